namespace M2MSec.NetworkFunctions.Vno;

/// <summary>The 3-octet PLMN identity (TS 24.008 §10.5.1.13); the codec is <see cref="M2MSec.Nas.PlmnIdentity"/>.</summary>
public static class PlmnId
{
    /// <summary>Encodes MCC (3 digits) + MNC (2 or 3 digits), e.g. "00102" → 00 f1 20.</summary>
    public static byte[] Encode(string plmn) => M2MSec.Nas.PlmnIdentity.Encode(plmn);
}
