using System.Text;

namespace M2MSec.Dm.Auth;

/// <summary>
/// A DM account's name and password (OMA-TS-DM_Security-V1_2 §5.1: AAuthName / AAuthSecret).
/// The password is kept as bytes; <see cref="ToString"/> never shows it.
/// </summary>
public sealed class DmCredentials
{
    private readonly byte[] _password;

    public DmCredentials(string name, ReadOnlySpan<byte> password)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        NameUtf8 = Encoding.UTF8.GetBytes(name);
        _password = password.ToArray();
    }

    /// <summary>Convenience for UTF-8 text passwords.</summary>
    public DmCredentials(string name, string password)
        : this(name, Encoding.UTF8.GetBytes(password ?? throw new ArgumentNullException(nameof(password))))
    {
    }

    public string Name { get; }

    public ReadOnlyMemory<byte> NameUtf8 { get; }

    public ReadOnlySpan<byte> Password => _password;

    /// <summary>name ":" password, the input of auth-basic and of the inner MD5 of auth-md5 / auth-MAC.</summary>
    internal byte[] NameColonPassword()
    {
        var buf = new byte[NameUtf8.Length + 1 + _password.Length];
        NameUtf8.Span.CopyTo(buf);
        buf[NameUtf8.Length] = (byte)':';
        _password.CopyTo(buf.AsSpan(NameUtf8.Length + 1));
        return buf;
    }

    public override string ToString() => $"DmCredentials({Name}, password redacted)";
}
