namespace Fleet.TestSupport;

/// <summary>Reads something the server settles in the background until it is as expected, or a deadline passes.</summary>
public static class Eventually
{
    /// <summary>
    /// Calls <paramref name="read"/> every 100 ms until <paramref name="done"/> holds or 30 s pass, and returns the last
    /// value either way: the caller's assertions then say what was not reached.
    /// </summary>
    public static async Task<T> ReadAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(done);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(100);
        }
    }
}
