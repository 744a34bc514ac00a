namespace M2MSec.Device.Tre;

/// <summary>
/// The platform credential (PfC) and attestation for the PVA (TR 33.812 §5.1.2.2 "Computation of cryptographic signatures"):
/// the attestation key signs the PVA's fresh challenge together with the measurements of this boot.
/// </summary>
public sealed partial class TrustedEnvironment
{
    /// <summary>
    /// The attestation statement (<c>M2MSec.Provisioning.Validation.AttestationStatement</c>) over <paramref name="challenge"/>:
    /// TRE id, PCID, the challenge and the firmware measurements taken at this boot, signed with the attestation key.
    /// </summary>
    public byte[] Attest(TreCaller caller, ReadOnlySpan<byte> challenge) => throw new NotImplementedException("issue 15: TrustedEnvironment.Attest");
}
