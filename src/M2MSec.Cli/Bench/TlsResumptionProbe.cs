using System.Net.Security;
using System.Reflection;
using System.Runtime.InteropServices;

namespace M2MSec.Cli.Bench;

/// <summary>
/// Whether a completed handshake resumed a session, asked of OpenSSL itself (<c>SSL_session_reused</c>
/// on the stream's <c>SSL*</c>). .NET has no public API for it, so this reads the private field that
/// holds the handle (<c>SslStream._securityContext</c>, a SafeSslHandle on Linux, .NET 10) — for the
/// benchmark's proof only. When the field or the function is missing, <see cref="Unavailable"/> says why.
/// </summary>
internal static class TlsResumptionProbe
{
    private delegate int SessionReused(IntPtr ssl);

    private static readonly Lazy<(Func<SslStream, bool>? Probe, string? Why)> State = new(Create);

    /// <summary>Why the probe cannot answer; null when it can.</summary>
    public static string? Unavailable => State.Value.Why;

    /// <summary>True for a resumed handshake, false for a full one, null when the probe cannot tell.</summary>
    public static bool? IsResumed(SslStream stream) => State.Value.Probe?.Invoke(stream);

    private static (Func<SslStream, bool>?, string?) Create()
    {
        if (!OperatingSystem.IsLinux())
            return (null, "the probe reads OpenSSL's state (Linux only)");
        var field = typeof(SslStream).GetField("_securityContext", BindingFlags.NonPublic | BindingFlags.Instance);
        if (field is null || !typeof(SafeHandle).IsAssignableFrom(field.FieldType))
            return (null, "SslStream._securityContext (the SSL* handle) not found in this .NET");
        IntPtr function = 0;
        if (!new[] { "libssl.so.3", "libssl.so.1.1" }.Any(name => NativeLibrary.TryLoad(name, out var lib) && NativeLibrary.TryGetExport(lib, "SSL_session_reused", out function)))
            return (null, "libssl's SSL_session_reused not found");
        var reused = Marshal.GetDelegateForFunctionPointer<SessionReused>(function);
        return (stream =>
        {
            var handle = (SafeHandle)field.GetValue(stream)!;
            var added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                return reused(handle.DangerousGetHandle()) == 1;
            }
            finally
            {
                if (added)
                    handle.DangerousRelease();
            }
        }, null);
    }
}
