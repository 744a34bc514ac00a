using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using M2MSec.Cli.Demo;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Cli;

/// <summary>
/// Issue 19 asks for profiles with the runtime's own tools (dotnet-trace, dotnet-counters). Their port is a Unix socket named after the
/// process id and start time, which the demo's <c>execve</c> (decision 054) keeps: the replaced runtime's socket file stayed behind, the
/// new runtime could not bind the name, and every tool got "Connection refused" from `m2msec demo`.
/// </summary>
public sealed class DemoDiagnosticsPortTests
{
    [Fact]
    public void RemoveDiagnosticsSockets_OnlyThisProcesssOwn_RealSocketsToo()
    {
        var dir = Directory.CreateTempSubdirectory("m2msec-diag-").FullName;
        try
        {
            using var own = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            own.Bind(new UnixDomainSocketEndPoint(Path.Combine(dir, "dotnet-diagnostic-123-4567-socket")));
            foreach (var other in new[] { "dotnet-diagnostic-1234-4567-socket", "dotnet-diagnostic-12-4567-socket", "dotnet-diagnostic-123-4567-socket.txt", "notes" })
                File.WriteAllText(Path.Combine(dir, other), "");
            Assert.Equal(1, DemoReexec.RemoveDiagnosticsSockets(dir, 123));
            Assert.Equal(["dotnet-diagnostic-12-4567-socket", "dotnet-diagnostic-123-4567-socket.txt", "dotnet-diagnostic-1234-4567-socket", "notes"],
                Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            Assert.Equal(0, DemoReexec.RemoveDiagnosticsSockets(Path.Combine(dir, "gone"), 123));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public async Task Demo_ReplacedProcess_AnswersOnTheRuntimesDiagnosticsPort()
    {
        var ct = TestContext.Current.CancellationToken;
        var home = Directory.CreateTempSubdirectory("m2msec-demo-diag-").FullName;
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "m2msec")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "demo", "--devices", "1000", "--data", Path.Combine(home, "demo") })
            psi.ArgumentList.Add(a);
        TestHome.UseFresh(psi, home);
        psi.Environment.Remove("DOTNET_EnableDiagnostics");
        using var p = Process.Start(psi)!;
        _ = p.StandardError.ReadToEndAsync(ct);
        try
        {
            string? line;
            while ((line = await p.StandardOutput.ReadLineAsync(ct)) is not null && !line.Contains("/1000 (", StringComparison.Ordinal))
            {
            }
            Assert.NotNull(line);
            Assert.Contains(DemoReexec.Marker + "=", await File.ReadAllTextAsync($"/proc/{p.Id}/environ", ct), StringComparison.Ordinal);
            var port = Assert.Single(Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{p.Id}-*-socket"));
            Assert.Equal((ulong)p.Id, await ProcessInfoAsync(port, ct));
        }
        finally
        {
            if (!p.HasExited)
                p.Kill(true);
            await p.WaitForExitAsync(ct);
            foreach (var stale in Directory.GetFiles(Path.GetTempPath(), $"dotnet-diagnostic-{p.Id}-*-socket"))
                File.Delete(stale);
            Directory.Delete(home, true);
        }
    }

    /// <summary>
    /// The diagnostics IPC protocol's ProcessInfo command (dotnet/diagnostics, documentation/design-docs/ipc-protocol.md): header = magic
    /// "DOTNET_IPC_V1\0", uint16 size, command set 0x04 (Process), command 0x00, uint16 reserved; the answer's header says 0xFF 0x00 (OK)
    /// and its payload starts with the process id (uint64). What dotnet-trace and dotnet-counters send first.
    /// </summary>
    private static async Task<ulong> ProcessInfoAsync(string port, CancellationToken ct)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(port), ct);
        var request = new byte[20];
        Encoding.ASCII.GetBytes("DOTNET_IPC_V1\0").CopyTo(request, 0);
        BinaryPrimitives.WriteUInt16LittleEndian(request.AsSpan(14), 20);
        request[16] = 0x04;
        request[17] = 0x00;
        await socket.SendAsync(request, SocketFlags.None, ct);
        var answer = new byte[28];
        var read = 0;
        while (read < answer.Length)
        {
            var n = await socket.ReceiveAsync(answer.AsMemory(read), SocketFlags.None, ct);
            Assert.True(n > 0, $"the port closed after {read} octets");
            read += n;
        }
        Assert.Equal("DOTNET_IPC_V1\0", Encoding.ASCII.GetString(answer, 0, 14));
        Assert.Equal((0xFF, 0x00), (answer[16], answer[17]));
        return BinaryPrimitives.ReadUInt64LittleEndian(answer.AsSpan(20));
    }
}
