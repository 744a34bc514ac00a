namespace M2MSec.Storage;

/// <summary>
/// A store could not be opened or used: a corrupt file, a wrong key-encryption key, a schema
/// newer than this build, an unreachable server. The message names the problem and says that
/// nothing was changed.
/// </summary>
public class StoreException : Exception
{
    public StoreException(string message) : base(message)
    {
    }

    public StoreException(string message, Exception innerException) : base(message, innerException)
    {
    }
}

/// <summary>A protected secret did not decrypt: unknown key id, wrong key, or a ciphertext moved to another row.</summary>
public sealed class SecretDecryptionException(string message) : StoreException(message);
