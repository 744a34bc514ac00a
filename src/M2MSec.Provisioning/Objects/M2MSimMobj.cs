using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;
using M2MSec.Pki.Tls;

namespace M2MSec.Provisioning.Objects;

/// <summary>What the SHO puts in M2MSIMMobj: for whom, from which SHO, the registration nonce, and the MCIM object.</summary>
public sealed record M2MSimMobjContent(string Pcid, string TreId, string ShoId, byte[] RegistrationNonce, byte[] McimObject);

/// <summary>
/// M2MSIMMobj (seed 003), the document the SHO signs: XML Signature (enveloped, exclusive c14n, exactly one Reference
/// URI=""), ECDSA or RSA; XML parsed hardened (no DTD, no external references). docs/decisions/014-mcim-object.md.
/// <code>
/// &lt;M2MSIMMobj xmlns="urn:m2msec:m2msimmobj:1"&gt;&lt;PCID/&gt;&lt;TREId/&gt;&lt;SHO/&gt;&lt;RegNonce&gt;b64&lt;/RegNonce&gt;&lt;MCIMObject&gt;b64&lt;/MCIMObject&gt;&lt;ds:Signature/&gt;&lt;/M2MSIMMobj&gt;
/// </code>
/// </summary>
public static class M2MSimMobj
{
    public const string Namespace = "urn:m2msec:m2msimmobj:1";
    public const string RootName = "M2MSIMMobj";
    public const string RsaSha256Url = SignedXml.XmlDsigRSASHA256Url;

    /// <summary>Larger documents are refused before parsing.</summary>
    public const int MaxDocumentLength = 64 * 1024;

    public const int RegistrationNonceLength = 16;

    private const string DsNs = SignedXml.XmlDsigNamespaceUrl;
    private static readonly string[] ContentNames = ["PCID", "TREId", "SHO", "RegNonce", "MCIMObject"];

    /// <summary>The signed document (UTF-8 XML) under <paramref name="signer"/> (with its private key; profile sho).</summary>
    public static byte[] Sign(M2MSimMobjContent content, X509Certificate2 signer, X509Certificate2Collection? chain = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        ArgumentNullException.ThrowIfNull(signer);
        CheckContent(content, e => new ArgumentException(e, nameof(content)));
        EcdsaSha256SignatureDescription.Register();
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        var root = doc.CreateElement(RootName, Namespace);
        doc.AppendChild(root);
        string[] values = [content.Pcid, content.TreId, content.ShoId, Convert.ToBase64String(content.RegistrationNonce), Convert.ToBase64String(content.McimObject)];
        for (var i = 0; i < ContentNames.Length; i++)
        {
            var element = doc.CreateElement(ContentNames[i], Namespace);
            element.AppendChild(doc.CreateTextNode(values[i]));
            root.AppendChild(element);
        }

        using var ecdsa = signer.GetECDsaPrivateKey();
        using var rsa = ecdsa is null ? signer.GetRSAPrivateKey() : null;
        AsymmetricAlgorithm key = (AsymmetricAlgorithm?)ecdsa ?? rsa ?? throw new ArgumentException("the signer has no ECDSA or RSA private key", nameof(signer));
        var signed = new SignedXml(doc) { SigningKey = key };
        signed.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signed.SignedInfo.SignatureMethod = ecdsa is not null ? EcdsaSha256SignatureDescription.Url : RsaSha256Url;
        var reference = new Reference("") { DigestMethod = SignedXml.XmlDsigSHA256Url };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(new XmlDsigExcC14NTransform());
        signed.AddReference(reference);
        var x509 = new KeyInfoX509Data(signer);
        foreach (var c in chain?.Cast<X509Certificate2>() ?? [])
        {
            // The chain up to, not including, the root the TRE already holds.
            if (!c.RawDataMemory.Span.SequenceEqual(signer.RawDataMemory.Span) && !c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData))
                x509.AddCertificate(c);
        }
        var keyInfo = new KeyInfo();
        keyInfo.AddClause(x509);
        signed.KeyInfo = keyInfo;
        signed.ComputeSignature();
        root.AppendChild(doc.ImportNode(signed.GetXml(), true));
        return new UTF8Encoding(false).GetBytes(doc.OuterXml);
    }

    /// <summary>
    /// Verifies the signature and that the signer chains to <paramref name="trustRoot"/> at <paramref name="now"/>; returns the
    /// content and the signer (whose CN is the SHO id). Throws <see cref="ProvisioningException"/>.
    /// </summary>
    public static M2MSimMobjContent Verify(ReadOnlySpan<byte> document, X509Certificate2 trustRoot, DateTimeOffset now, out X509Certificate2 signer)
    {
        ArgumentNullException.ThrowIfNull(trustRoot);
        if (document.Length > MaxDocumentLength)
            throw new ProvisioningException("oversized", $"M2MSIMMobj over {MaxDocumentLength} octets");
        EcdsaSha256SignatureDescription.Register();
        var doc = Parse(document);
        var root = doc.DocumentElement!;
        var (signature, signatureMethod, certificates) = CheckShape(doc, root);

        signer = certificates[0];
        var others = certificates.Skip(1).ToList();
        using var ecdsa = signer.GetECDsaPublicKey();
        using var rsa = ecdsa is null ? signer.GetRSAPublicKey() : null;
        AsymmetricAlgorithm? key = signatureMethod == EcdsaSha256SignatureDescription.Url ? ecdsa : rsa;
        if (key is null)
            throw Refused("bad-signature", "the signature method does not match the signer's key");
        bool good;
        try
        {
            var signed = new SignedXml(doc);
            signed.LoadXml(signature);
            good = signed.CheckSignature(key);
        }
        catch (CryptographicException e)
        {
            throw Refused("bad-signature", e.Message);
        }
        if (!good)
            throw Refused("bad-signature", "the XML signature does not verify");
        var verdict = ProfileChainValidator.Validate(signer, trustRoot, others, now, requiredEku: null);
        if (!verdict.IsValid)
            throw Refused("untrusted-signer", $"the signer does not chain to the SHO signing root: {verdict.Detail}");
        if (!IsShoProfile(signer))
            throw Refused("wrong-profile", "the signer is not a sho-profile certificate");

        // Read from the signed element (the root, which URI="" covers) only.
        var texts = ContentNames.Select(n => ((XmlText)root[n, Namespace]!.FirstChild!).Value!).ToArray();
        M2MSimMobjContent content;
        try
        {
            content = new M2MSimMobjContent(texts[0], texts[1], texts[2], Convert.FromBase64String(texts[3]), Convert.FromBase64String(texts[4]));
        }
        catch (FormatException)
        {
            throw Refused("malformed", "RegNonce or MCIMObject is not base64");
        }
        CheckContent(content, e => Refused("malformed", e));
        if (!string.Equals(content.ShoId, signer.GetNameInfo(X509NameType.SimpleName, false), StringComparison.Ordinal))
            throw Refused("wrong-sho", "the SHO named in the document is not the signer");
        return content;
    }

    private static XmlDocument Parse(ReadOnlySpan<byte> document)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxDocumentLength,
        };
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        try
        {
            using var stream = new MemoryStream(document.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, settings);
            doc.Load(reader);
        }
        catch (XmlException e)
        {
            throw Refused("malformed", $"M2MSIMMobj is not well-formed XML: {e.Message}");
        }
        return doc;
    }

    /// <summary>
    /// The one shape accepted (defeats signature wrapping): the root M2MSIMMobj with exactly the content elements then one
    /// Signature; no comments, processing instructions or stray text; one Reference URI="" with enveloped + exc-c14n and
    /// SHA-256; exc-c14n for SignedInfo; ecdsa-sha256 or rsa-sha256; KeyInfo = one X509Data, the signer first.
    /// </summary>
    private static (XmlElement Signature, string Method, X509Certificate2[] Certificates) CheckShape(XmlDocument doc, XmlElement root)
    {
        if (root.LocalName != RootName || root.NamespaceURI != Namespace)
            throw Shape("the document element is not M2MSIMMobj");
        if (doc.SelectNodes("//comment() | //processing-instruction()")!.Count != 0)
            throw Shape("comments and processing instructions are refused");
        if (doc.GetElementsByTagName(RootName, Namespace).Count != 1)
            throw Shape("more than one M2MSIMMobj element");
        if (doc.GetElementsByTagName("Signature", DsNs).Count != 1 || doc.GetElementsByTagName("Reference", DsNs).Count != 1)
            throw Shape("exactly one Signature with exactly one Reference");
        if (doc.GetElementsByTagName("Object", DsNs).Count != 0 || doc.GetElementsByTagName("Manifest", DsNs).Count != 0)
            throw Shape("ds:Object and ds:Manifest are refused");
        if (root.Attributes.Cast<XmlAttribute>().Any(a => a.Name != "xmlns"))
            throw Shape("attributes on M2MSIMMobj are refused");
        var children = root.ChildNodes.Cast<XmlNode>().ToList();
        if (children.Count != ContentNames.Length + 1)
            throw Shape("M2MSIMMobj has other children than its content and one Signature");
        for (var i = 0; i < ContentNames.Length; i++)
        {
            if (children[i] is not XmlElement e || e.LocalName != ContentNames[i] || e.NamespaceURI != Namespace || e.Attributes.Count != 0
                || e.ChildNodes.Count != 1 || e.FirstChild is not XmlText)
                throw Shape($"element {i + 1} of M2MSIMMobj is not {ContentNames[i]} with one text value");
        }
        if (children[^1] is not XmlElement signature || signature.LocalName != "Signature" || signature.NamespaceURI != DsNs)
            throw Shape("the last child of M2MSIMMobj is not the Signature");

        var signedInfo = Only(signature, "SignedInfo");
        if (Algorithm(Only(signedInfo, "CanonicalizationMethod"), allowChildren: false) != SignedXml.XmlDsigExcC14NTransformUrl)
            throw Shape("SignedInfo is not canonicalized with exclusive c14n");
        var method = Algorithm(Only(signedInfo, "SignatureMethod"), allowChildren: false);
        if (method is not (EcdsaSha256SignatureDescription.Url or RsaSha256Url))
            throw Shape("the signature method is neither ecdsa-sha256 nor rsa-sha256");
        var reference = Only(signedInfo, "Reference");
        if (reference.Attributes.Count != 1 || reference.GetAttributeNode("URI") is not { Value: "" })
            throw Shape("the Reference is not URI=\"\" (the whole document)");
        var transforms = Elements(Only(reference, "Transforms")).ToList();
        if (transforms.Count != 2 || transforms.Any(t => t.LocalName != "Transform" || t.NamespaceURI != DsNs)
            || Algorithm(transforms[0], allowChildren: false) != SignedXml.XmlDsigEnvelopedSignatureTransformUrl
            || Algorithm(transforms[1], allowChildren: false) != SignedXml.XmlDsigExcC14NTransformUrl)
            throw Shape("the transforms are not exactly enveloped-signature then exclusive c14n");
        if (Algorithm(Only(reference, "DigestMethod"), allowChildren: false) != SignedXml.XmlDsigSHA256Url)
            throw Shape("the digest is not SHA-256");

        var x509Data = Only(Only(signature, "KeyInfo"), "X509Data");
        var certificates = new List<X509Certificate2>();
        foreach (var e in Elements(x509Data))
        {
            if (e.LocalName != "X509Certificate" || e.NamespaceURI != DsNs)
                throw Shape("X509Data carries only certificates");
            try
            {
                certificates.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(e.InnerText)));
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException)
            {
                throw Shape("an X509Certificate does not decode");
            }
        }
        if (certificates.Count is 0 or > 4)
            throw Shape("KeyInfo carries 1 to 4 certificates, the signer first");
        return (signature, method, [.. certificates]);
    }

    /// <summary>The sho profile (CertificateProfile.Sho): end entity, digitalSignature + nonRepudiation, no extended key usage.</summary>
    private static bool IsShoProfile(X509Certificate2 c)
    {
        var basic = c.Extensions.OfType<X509BasicConstraintsExtension>().SingleOrDefault();
        var usage = c.Extensions.OfType<X509KeyUsageExtension>().SingleOrDefault();
        const X509KeyUsageFlags Needed = X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.NonRepudiation;
        return basic is { CertificateAuthority: false } && usage is not null && (usage.KeyUsages & Needed) == Needed
            && !c.Extensions.OfType<X509EnhancedKeyUsageExtension>().Any();
    }

    private static void CheckContent(M2MSimMobjContent c, Func<string, Exception> error)
    {
        foreach (var (name, value) in new[] { ("PCID", c.Pcid), ("TREId", c.TreId), ("SHO", c.ShoId) })
            if (string.IsNullOrEmpty(value) || value.Length > 64 || !value.All(ch => ch is > ' ' and < '\u007f'))
                throw error($"{name}: 1 to 64 printable ASCII characters");
        if (c.RegistrationNonce is not { Length: RegistrationNonceLength })
            throw error($"RegNonce: {RegistrationNonceLength} octets");
        if (c.McimObject is not { Length: > 0 and <= Mcim.McimObject.MaxLength })
            throw error($"MCIMObject: 1 to {Mcim.McimObject.MaxLength} octets");
    }

    private static IEnumerable<XmlElement> Elements(XmlElement parent)
    {
        foreach (XmlNode n in parent.ChildNodes)
        {
            if (n is XmlElement e)
                yield return e;
            else if (n is not XmlWhitespace)
                throw Shape($"unexpected {n.NodeType} in {parent.LocalName}");
        }
    }

    private static XmlElement Only(XmlElement parent, string name)
    {
        var found = Elements(parent).Where(e => e.LocalName == name && e.NamespaceURI == DsNs).ToList();
        return found.Count == 1 ? found[0] : throw Shape($"{parent.LocalName} needs exactly one {name}");
    }

    private static string? Algorithm(XmlElement e, bool allowChildren)
    {
        if (!allowChildren && e.HasChildNodes)
            throw Shape($"{e.LocalName} has parameters (e.g. InclusiveNamespaces), which are refused");
        return e.GetAttributeNode("Algorithm")?.Value;
    }

    private static ProvisioningException Shape(string detail) => new("bad-shape", $"M2MSIMMobj: {detail}");

    private static ProvisioningException Refused(string code, string detail) => new(code, $"M2MSIMMobj: {detail}");
}
