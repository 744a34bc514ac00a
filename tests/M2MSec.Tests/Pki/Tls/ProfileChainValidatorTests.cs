using M2MSec.Pki.Tls;
using M2MSec.Pki.Validation;

namespace M2MSec.Tests.Pki.Tls;

public sealed class ProfileChainValidatorTests
{
    [Fact]
    public void Leaf_from_the_root_with_the_eku_is_valid()
    {
        using var pki = TestPki.Create("ca");
        var leaf = pki.Issue("server").Certificate;

        Assert.Equal(ChainVerdict.Valid, ProfileChainValidator.Validate(leaf, pki.Anchor, null, DateTimeOffset.UtcNow, ProfileChainValidator.ServerAuthOid));
    }

    [Fact]
    public void Leaf_from_another_root_is_untrusted()
    {
        using var pki = TestPki.Create("ca");
        using var other = TestPki.Create("other");
        var leaf = other.Issue("server").Certificate;

        var verdict = ProfileChainValidator.Validate(leaf, pki.Anchor, null, DateTimeOffset.UtcNow, ProfileChainValidator.ServerAuthOid);

        Assert.Equal(RefusalReason.UntrustedRoot, verdict.Reason);
    }

    [Fact]
    public void Leaf_without_the_required_eku_is_wrong_usage()
    {
        using var pki = TestPki.Create("ca");
        var leaf = pki.Issue("server").Certificate;

        var verdict = ProfileChainValidator.Validate(leaf, pki.Anchor, null, DateTimeOffset.UtcNow, ProfileChainValidator.ClientAuthOid);

        Assert.Equal(RefusalReason.WrongUsage, verdict.Reason);
    }

    [Fact]
    public void Leaf_is_checked_at_the_given_time()
    {
        using var pki = TestPki.Create("ca");
        var now = DateTimeOffset.UtcNow;
        var leaf = pki.Issue("server", notBefore: now.AddDays(-10), notAfter: now.AddDays(-1)).Certificate;

        Assert.Equal(RefusalReason.ExpiredAtTrustedTime, ProfileChainValidator.Validate(leaf, pki.Anchor, null, now, ProfileChainValidator.ServerAuthOid).Reason);
        Assert.True(ProfileChainValidator.Validate(leaf, pki.Anchor, null, now.AddDays(-5), ProfileChainValidator.ServerAuthOid).IsValid);
    }

    [Fact]
    public void Client_policy_uses_its_time_provider()
    {
        using var pki = TestPki.Create("ca");
        var leaf = pki.Issue("client", eku: ProfileChainValidator.ClientAuthOid).Certificate;
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var policy = new ClientCertificatePolicy(pki.Anchor, time: clock);

        Assert.True(policy.Evaluate(leaf, null).IsValid);
        clock.Advance(TimeSpan.FromDays(60));
        Assert.Equal(RefusalReason.ExpiredAtTrustedTime, policy.Evaluate(leaf, null).Reason);
    }
}
