namespace M2MSec.Provisioning.Objects;

/// <summary>
/// What the DPF reads from ./M2MMobj (seed 003: "information about the M2ME and its TRE"): the PCID, the TRE id, the SHO the
/// Bootstrap message designated, the PfC (attestation and encryption certificates, DER) and the registration nonce.
/// </summary>
public sealed record M2MMobjInfo(string Pcid, string TreId, string ShoId, byte[] PfcAttestation, byte[] PfcEncryption, byte[] RegistrationNonce);
