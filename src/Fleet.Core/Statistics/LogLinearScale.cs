namespace Fleet.Core.Statistics;

/// <summary>
/// Buckets of positive magnitudes in [2^minExponent, 2^maxExponent): each octave [2^e, 2^(e+1)) is cut into
/// <c>subBuckets</c> equal parts, so a bucket is at most 1/subBuckets wide relative to its lower bound.
/// The bucket of a value comes from the bits of the double: no logarithm on the recording path.
/// </summary>
internal readonly struct LogLinearScale
{
    private const long MantissaMask = 0xF_FFFF_FFFF_FFFF;
    private const long ExponentOfOne = 0x3FF0_0000_0000_0000;

    public LogLinearScale(int minExponent, int maxExponent, int subBuckets)
    {
        MinExponent = minExponent;
        SubBuckets = subBuckets;
        Buckets = (maxExponent - minExponent) * subBuckets;
        Min = Math.ScaleB(1, minExponent);
        Max = Math.ScaleB(1, maxExponent);
    }

    public int MinExponent { get; }

    public int SubBuckets { get; }

    /// <summary>How many buckets lie between <see cref="Min"/> and <see cref="Max"/>.</summary>
    public int Buckets { get; }

    public double Min { get; }

    public double Max { get; }

    /// <summary>0 … Buckets − 1 for a magnitude in [Min, Max); −1 below (or NaN); Buckets at or above Max.</summary>
    public int IndexOf(double magnitude)
    {
        if (!(magnitude >= Min))
        {
            return -1;
        }

        if (magnitude >= Max)
        {
            return Buckets;
        }

        var bits = BitConverter.DoubleToInt64Bits(magnitude);
        var exponent = (int)((bits >> 52) & 0x7FF) - 1023;
        var mantissa = BitConverter.Int64BitsToDouble((bits & MantissaMask) | ExponentOfOne);
        var sub = Math.Min((int)((mantissa - 1) * SubBuckets), SubBuckets - 1);
        return ((exponent - MinExponent) * SubBuckets) + sub;
    }

    public double LowerBound(int index) =>
        index >= Buckets ? Max : Math.ScaleB(1 + ((double)(index % SubBuckets) / SubBuckets), MinExponent + (index / SubBuckets));

    public double UpperBound(int index) => LowerBound(index + 1);
}
