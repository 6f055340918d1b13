using Fleet.Core.Identity;

namespace Fleet.Core.Tests;

public class IdentityTests
{
    [Theory]
    [InlineData("bike-demand")]
    [InlineData("a")]
    [InlineData("model_1.v2")]
    [InlineData("0abc")]
    public void Valid_model_names_pass(string name) => Assert.Null(ModelName.Validate(name));

    [Theory]
    [InlineData("", "required")]
    [InlineData("Bike", "lowercase")]
    [InlineData("-bike", "start with")]
    [InlineData("bike/demand", "not '/'")]
    [InlineData("bike@demand", "not '@'")]
    public void Invalid_model_names_say_why(string name, string expected) =>
        Assert.Contains(expected, ModelName.Validate(name));

    [Fact]
    public void Model_names_longer_than_the_limit_are_refused() =>
        Assert.Contains("longer than", ModelName.Validate(new string('a', ModelName.MaxLength + 1)));

    [Theory]
    [InlineData("weekday=6", "weekday=6")]
    [InlineData(" weekday=6 ", "weekday=6")]
    [InlineData("store=12,country=DE", "country=DE,store=12")]
    [InlineData("country=DE,store=12", "country=DE,store=12")]
    [InlineData("default", "default")]
    [InlineData("hour=2026-11-26T10:00", "hour=2026-11-26T10:00")]
    public void Slice_keys_normalize_by_sorting_dimensions(string key, string expected)
    {
        Assert.True(SliceKey.TryNormalize(key, out var normalized, out var error), error);
        Assert.Equal(expected, normalized);
    }

    [Theory]
    [InlineData("", "required")]
    [InlineData("weekday", "dimension=value")]
    [InlineData("weekday=", "dimension=value")]
    [InlineData("=6", "dimension=value")]
    [InlineData("a=1,a=2", "twice")]
    [InlineData("Weekday=6", "dimension 'Weekday'")]
    [InlineData("weekday=6/7", "value '6/7'")]
    [InlineData("a=1,,b=2", "bad part")]
    public void Invalid_slice_keys_say_why(string key, string expected)
    {
        Assert.False(SliceKey.TryNormalize(key, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Slice_id_round_trips_through_its_grain_key()
    {
        Assert.True(SliceId.TryCreate("bike-demand", "weekday=6", out var id, out _));
        Assert.Equal("bike-demand/weekday=6", id.ToString());
        Assert.Equal(id, SliceId.Parse(id.ToString()));
    }

    [Theory]
    [InlineData("bike@weekday=6", null, "bike", "weekday=6")]
    [InlineData("bike", "weekday=6", "bike", "weekday=6")]
    [InlineData("bike", null, "bike", "default")]
    [InlineData("bike@weekday=6", "weekday=6", "bike", "weekday=6")]
    [InlineData("bike@b=2,a=1", "a=1,b=2", "bike", "a=1,b=2")]
    public void Inference_names_resolve_to_a_slice(string name, string? parameter, string model, string key)
    {
        Assert.True(SliceId.TryResolve(name, parameter, out var id, out var error), error);
        Assert.Equal(new SliceId(model, key), id);
    }

    [Theory]
    [InlineData("bike@weekday=6", "weekday=5", "parameters.slice says")]
    [InlineData("Bike@weekday=6", null, "lowercase")]
    [InlineData("bike@", null, "required")]
    [InlineData("bike", "nope", "dimension=value")]
    public void Conflicting_or_invalid_slice_addresses_are_refused(string name, string? parameter, string expected)
    {
        Assert.False(SliceId.TryResolve(name, parameter, out _, out var error));
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Version_id_is_the_lowercase_sha256_of_the_bytes()
    {
        // sha256("abc"), from FIPS 180-2.
        Assert.Equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", VersionId.Of("abc"u8));
        Assert.True(VersionId.IsFull(VersionId.Of("abc"u8)));
        Assert.Equal("ba7816bf8f01", VersionId.Short(VersionId.Of("abc"u8)));
    }

    [Theory]
    [InlineData("ba7816bf", true)]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", true)]
    [InlineData("ba7816b", false)]
    [InlineData("BA7816BF", false)]
    [InlineData("ba7816bz", false)]
    [InlineData("", false)]
    public void Version_references_are_full_ids_or_prefixes_of_eight_digits(string reference, bool valid) =>
        Assert.Equal(valid, VersionId.ValidateReference(reference) is null);
}

public class SliceKeyFastPathTests
{
    [Theory]
    [InlineData("a=1,b=2")]
    [InlineData("country=DE,store=12")]
    [InlineData("weekday=6")]
    public void Normalized_keys_come_back_as_the_same_string(string key)
    {
        Assert.True(SliceKey.TryNormalize(key, out var normalized, out _));
        Assert.Same(key, normalized);
    }

    [Theory]
    [InlineData("b=2,a=1", "a=1,b=2")]
    [InlineData("a=1,a=1", null)]
    [InlineData("a=1,", null)]
    [InlineData("a=1,=2", null)]
    public void Keys_not_in_normal_form_take_the_full_path(string key, string? expected)
    {
        Assert.Equal(expected is not null, SliceKey.TryNormalize(key, out var normalized, out _));
        if (expected is not null)
        {
            Assert.Equal(expected, normalized);
        }
    }
}
