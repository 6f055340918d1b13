using System.Text.Json.Serialization;

namespace Fleet.Core.Statistics;

/// <summary>
/// Count, mean and sum of squared deviations of a stream of numbers (Welford), mergeable across silos
/// (Chan et al.). Plain data: serializable as is. Not thread-safe: the caller locks.
/// </summary>
public sealed class RunningMoments
{
    private long _count;
    private double _mean;
    private double _m2;

    /// <summary>How many values were added.</summary>
    public long Count { get => _count; init => _count = value; }

    /// <summary>Their mean (0 when there are none).</summary>
    public double Mean { get => _mean; init => _mean = value; }

    /// <summary>The sum of squared deviations from the mean.</summary>
    public double M2 { get => _m2; init => _m2 = value; }

    /// <summary>The sample variance (divides by n − 1; 0 below two values).</summary>
    [JsonIgnore]
    public double Variance => _count > 1 ? Math.Max(0, _m2 / (_count - 1)) : 0;

    /// <summary>The sample standard deviation.</summary>
    [JsonIgnore]
    public double StandardDeviation => Math.Sqrt(Variance);

    /// <summary>The variance of the mean as an estimate: Variance / Count (0 when empty).</summary>
    [JsonIgnore]
    public double VarianceOfMean => _count > 0 ? Variance / _count : 0;

    /// <summary>The moments of <paramref name="values"/>.</summary>
    public static RunningMoments Of(IEnumerable<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var moments = new RunningMoments();
        foreach (var value in values)
        {
            moments.Add(value);
        }

        return moments;
    }

    /// <summary>Adds one value; NaN and infinities are ignored so that one bad output cannot poison the moments.</summary>
    public void Add(double value)
    {
        if (!double.IsFinite(value))
        {
            return;
        }

        _count++;
        var delta = value - _mean;
        _mean += delta / _count;
        _m2 += delta * (value - _mean);
    }

    /// <summary>Adds every value <paramref name="other"/> has seen, as if they had been added here.</summary>
    public void Merge(RunningMoments other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other._count == 0)
        {
            return;
        }

        if (_count == 0)
        {
            _count = other._count;
            _mean = other._mean;
            _m2 = other._m2;
            return;
        }

        double n = _count + other._count;
        var delta = other._mean - _mean;
        _mean += delta * other._count / n;
        _m2 += other._m2 + (delta * delta * _count * other._count / n);
        _count += other._count;
    }
}
