using System.Security.Cryptography;

namespace M2MSec.Ota.Scp80;

/// <summary>The key pair of one key set: KIc (ciphering) and KID (integrity). Secrets: not printed.</summary>
public sealed class Scp80Keys(byte[] kicKey, byte[] kidKey)
{
    public byte[] KicKey { get; } = kicKey ?? throw new ArgumentNullException(nameof(kicKey));

    public byte[] KidKey { get; } = kidKey ?? throw new ArgumentNullException(nameof(kidKey));

    public void Wipe()
    {
        CryptographicOperations.ZeroMemory(KicKey);
        CryptographicOperations.ZeroMemory(KidKey);
    }

    public override string ToString() => "Scp80Keys";
}

/// <summary>A secured packet that cannot even be parsed (a length field, a truncation): no PoR can name its TAR.</summary>
public sealed class Scp80FormatException(string message) : FormatException(message);
