namespace M2MSec.Storage.Certificates;

/// <summary>
/// A CA's (or the delegated OCSP signer's) certificate and private key, by hierarchy and slot
/// ("root", "issuing", "ocsp", …). The key is PKCS#8 and wrapped under the key ring at rest.
/// </summary>
public sealed record AuthorityKey(string Hierarchy, string Slot, byte[] CertificateDer, byte[] PrivateKeyPkcs8);
