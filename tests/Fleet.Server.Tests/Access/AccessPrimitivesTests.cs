using Fleet.Runtime.Access;

namespace Fleet.Server.Tests.Access;

/// <summary>The pure parts of access: roles, model patterns and the key's text.</summary>
public sealed class AccessPrimitivesTests
{
    [Theory]
    [InlineData("bike-*", "bike-hourly", true)]
    [InlineData("bike-*", "bike-", true)]
    [InlineData("bike-*", "bik", false)]
    [InlineData("bike-*", "ebike-x", false)]
    [InlineData("*-daily", "bike-daily", true)]
    [InlineData("*-daily", "bike-daily-2", false)]
    [InlineData("b*e*y", "bike-hourly", true)]
    [InlineData("b*e*z", "bike-hourly", false)]
    [InlineData("*", "anything", true)]
    [InlineData("exact", "exact", true)]
    [InlineData("exact", "exactly", false)]
    [InlineData("a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    public void Patterns_match_whole_names_with_star_wildcards(string pattern, string model, bool expected) =>
        Assert.Equal(expected, ModelScope.Matches(pattern, model));

    [Fact]
    public void No_pattern_allows_every_model_and_any_matching_pattern_allows_it()
    {
        Assert.True(ModelScope.Allows([], "x"));
        Assert.True(ModelScope.Allows(["a-*", "bike-*"], "bike-1"));
        Assert.False(ModelScope.Allows(["a-*", "b-*"], "bike-1"));
    }

    [Fact]
    public void Admin_grants_every_role_and_other_roles_only_themselves()
    {
        foreach (var role in AccessRoles.All)
        {
            Assert.True(AccessRoles.Grants([AccessRoles.Admin], role));
            Assert.True(AccessRoles.Grants([role], role));
            Assert.Equal(role == AccessRoles.Admin, AccessRoles.Grants([role], AccessRoles.Admin));
        }

        Assert.False(AccessRoles.Grants([AccessRoles.Reader, AccessRoles.Caller], AccessRoles.Deployer));
        Assert.False(AccessRoles.Grants([], AccessRoles.Reader));
    }

    [Fact]
    public void A_generated_key_parses_back_and_matches_only_its_own_hash()
    {
        var key = ApiKeySecret.Generate();
        var other = ApiKeySecret.Generate();

        var parsed = ApiKeySecret.TryParse(key.Text, out var problem);

        Assert.Null(problem);
        Assert.Equal(key, parsed);
        Assert.Matches("^fk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$", key.Text);
        Assert.True(key.Matches(key.Hash()));
        Assert.False(key.Matches(other.Hash()));
        Assert.DoesNotContain(key.Text[16..], key.Hash(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not hex at all")]
    [InlineData("0123")]
    public void A_stored_hash_that_is_not_64_hex_digits_matches_no_key(string stored) =>
        Assert.False(ApiKeySecret.Generate().Matches(stored));

    [Fact]
    public void A_stored_hash_differing_in_one_digit_or_in_case_of_letters_only_matches_as_hex_does()
    {
        var key = ApiKeySecret.Generate();
        var hash = key.Hash();
        var flipped = (hash[^1] == '0' ? "1" : "0");

        Assert.False(key.Matches(hash[..^1] + flipped));
        Assert.True(key.Matches(hash.ToUpperInvariant()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("fk_")]
    [InlineData("fk_0123456789AB_secret")]
    [InlineData("fk_0123456789ab-secret")]
    [InlineData("fk_0123456789ab_")]
    [InlineData("fk_0123456789ab_sec ret")]
    [InlineData("xx_0123456789ab_secret")]
    public void Text_not_shaped_as_a_key_is_refused_with_the_expected_shape(string? text)
    {
        Assert.Null(ApiKeySecret.TryParse(text, out var problem));
        Assert.Equal("the API key is not a Fleet key (fk_<id>_<secret>)", problem);
    }
}
