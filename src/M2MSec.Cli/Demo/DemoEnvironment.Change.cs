using System.Net.Http.Json;
using M2MSec.NetworkFunctions.Hosting;
using M2MSec.NetworkFunctions.Sho;

namespace M2MSec.Cli.Demo;

/// <summary>Issue 16: what the change-of-subscription stages ask of the fleet — each SHO as its administrator.</summary>
internal sealed partial class DemoEnvironment
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, HttpClient> _admins = new(StringComparer.Ordinal);

    /// <summary>The demo as the administrator of one instance (an SHO by its id, or the ICF).</summary>
    private HttpClient AdminOf(string instance) => _admins.GetOrAdd(instance, id => DemoHttp.AdminClient(_fleet, id, TimeSpan.FromSeconds(30)));

    /// <summary>The device's owner hands <paramref name="shoId"/> its authorisation token (seed 003).</summary>
    public async Task SetAuthorisationTokenAsync(string shoId, string pcid, byte[] token, CancellationToken ct)
    {
        using var response = await AdminOf(shoId).PutAsJsonAsync($"authorisation-tokens/{pcid}", new AuthorisationTokenRequest(Convert.ToHexStringLower(token)),
            NetworkFunctionHost.JsonOptions, ct);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>The new SHO <paramref name="shoId"/> takes the device over (it asks the RO).</summary>
    public Task<ChangeAccepted> RequestChangeAsync(string shoId, string pcid, CancellationToken ct) =>
        new ShoClient(AdminOf(shoId)).RequestChangeAsync(new ShoChangeRequest(pcid, null), ct);

    /// <summary>Gives the second SHO <paramref name="count"/> IMSIs for this run (a block of its own, 001 02 9…).</summary>
    public async Task AddSecondShoImsisAsync(int count, CancellationToken ct)
    {
        if (count == 0)
            return;
        var first = $"001029{System.Security.Cryptography.RandomNumberGenerator.GetInt32(0, 9_000) * 100_000L:D9}";
        await new ShoClient(AdminOf(ShoOptions.SecondShoId)).AddImsiRangeAsync(first, count, ct);
    }

    /// <summary>
    /// The RO's operator re-opens a PCID that was spent in a step whose answer was lost (docs/decisions/016): its use at the ICF
    /// is forgotten, so the device's next attach with it is accepted.
    /// </summary>
    public async Task ReopenPcidAsync(string pcid, CancellationToken ct)
    {
        using var response = await AdminOf("icf").DeleteAsync($"pcid-uses/{Uri.EscapeDataString(pcid)}", ct);
        if (response.StatusCode != System.Net.HttpStatusCode.NotFound)
            response.EnsureSuccessStatusCode();
    }

    private void DisposeAdmins()
    {
        foreach (var c in _admins.Values)
            c.Dispose();
    }
}
