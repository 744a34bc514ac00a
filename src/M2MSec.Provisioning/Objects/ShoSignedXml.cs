using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Text;
using System.Xml;
using M2MSec.Pki;
using M2MSec.Pki.Tls;

namespace M2MSec.Provisioning.Objects;

/// <summary>
/// The one shape of a document a SHO signs for a TRE (M2MSIMMobj, McimInstruction): a root element holding exactly its
/// text-valued content elements then one enveloped XML Signature (exclusive c14n, exactly one Reference URI="", SHA-256,
/// ECDSA or RSA, KeyInfo = one X509Data with the signer first); XML parsed hardened (no DTD, no external references, size
/// bound); the signer chains to the SHO signing root and has the sho profile. docs/decisions/014 and 019.
/// </summary>
internal sealed class ShoSignedXml(string rootName, string ns, string[] contentNames, int maxDocumentLength)
{
    private const string DsNs = SignedXml.XmlDsigNamespaceUrl;

    /// <summary>Signs the content values (in <c>contentNames</c> order) under <paramref name="signer"/>.</summary>
    public byte[] Sign(string[] values, X509Certificate2 signer, X509Certificate2Collection? chain)
    {
        EcdsaSha256SignatureDescription.Register();
        var doc = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        var root = doc.CreateElement(rootName, ns);
        doc.AppendChild(root);
        for (var i = 0; i < contentNames.Length; i++)
        {
            var element = doc.CreateElement(contentNames[i], ns);
            element.AppendChild(doc.CreateTextNode(values[i]));
            root.AppendChild(element);
        }

        using var ecdsa = signer.GetECDsaPrivateKey();
        using var rsa = ecdsa is null ? signer.GetRSAPrivateKey() : null;
        AsymmetricAlgorithm key = (AsymmetricAlgorithm?)ecdsa ?? rsa ?? throw new ArgumentException("the signer has no ECDSA or RSA private key", nameof(signer));
        var signed = new SignedXml(doc) { SigningKey = key };
        signed.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
        signed.SignedInfo.SignatureMethod = ecdsa is not null ? EcdsaSha256SignatureDescription.Url : M2MSimMobj.RsaSha256Url;
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
    /// Verifies size, shape, signature, the signer's chain to <paramref name="trustRoot"/> at <paramref name="now"/> and its
    /// profile; returns the content texts read from the signed root element. Throws <see cref="ProvisioningException"/>.
    /// </summary>
    public string[] Verify(ReadOnlySpan<byte> document, X509Certificate2 trustRoot, DateTimeOffset now, out X509Certificate2 signer)
    {
        ArgumentNullException.ThrowIfNull(trustRoot);
        return Verify(document, _ => trustRoot, now, out signer);
    }

    /// <summary>
    /// As <see cref="Verify(ReadOnlySpan{byte}, X509Certificate2, DateTimeOffset, out X509Certificate2)"/>, with the root chosen
    /// from the content texts once the signature over them verified (<paramref name="trustRootFor"/> may throw
    /// <see cref="ProvisioningException"/> to refuse).
    /// </summary>
    public string[] Verify(ReadOnlySpan<byte> document, Func<string[], X509Certificate2> trustRootFor, DateTimeOffset now, out X509Certificate2 signer)
    {
        ArgumentNullException.ThrowIfNull(trustRootFor);
        if (document.Length > maxDocumentLength)
            throw Refused("oversized", $"over {maxDocumentLength} octets");
        EcdsaSha256SignatureDescription.Register();
        var doc = Parse(document);
        var root = doc.DocumentElement!;
        var (signature, signatureMethod, certificates) = CheckShape(doc, root);
        signer = certificates[0];
        try
        {
            var texts = CheckSignature(doc, root, signature, signatureMethod, certificates, trustRootFor, now);
            // Read from the signed element (the root, which URI="" covers) only.
            return texts;
        }
        catch
        {
            signer.Dispose();
            throw;
        }
        finally
        {
            foreach (var other in certificates.Skip(1))
                other.Dispose();
        }
    }

    private string[] CheckSignature(XmlDocument doc, XmlElement root, XmlElement signature, string signatureMethod, X509Certificate2[] certificates,
        Func<string[], X509Certificate2> trustRootFor, DateTimeOffset now)
    {
        var signer = certificates[0];
        using var ecdsa = signer.GetECDsaPublicKey();
        using var rsa = ecdsa is null ? signer.GetRSAPublicKey() : null;
        AsymmetricAlgorithm? key = signatureMethod == EcdsaSha256SignatureDescription.Url ? ecdsa : rsa;
        if (key is null)
            throw Refused("bad-signature", "the signature method does not match the signer's key");
        // KeyInfo is outside what is signed (the enveloped transform drops the whole Signature) and its certificates are
        // decoded already: SignedXml would decode them again, ≈ 180 µs each on OpenSSL 3 (issue 19).
        signature.RemoveChild(Only(signature, "KeyInfo"));
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
        var texts = contentNames.Select(n => ((XmlText)root[n, ns]!.FirstChild!).Value!).ToArray();
        var trustRoot = trustRootFor(texts);
        var verdict = ProfileChainValidator.Validate(signer, trustRoot, certificates[1..], now, requiredEku: null);
        if (!verdict.IsValid)
            throw Refused("untrusted-signer", $"the signer does not chain to the SHO signing root: {verdict.Detail}");
        if (!IsShoProfile(signer))
            throw Refused("wrong-profile", "the signer is not a sho-profile certificate");
        return texts;
    }

    /// <summary>Each identifier: 1 to 64 printable ASCII characters.</summary>
    public static void CheckIdentifiers(Func<string, Exception> error, params (string Name, string Value)[] values)
    {
        foreach (var (name, value) in values)
            if (string.IsNullOrEmpty(value) || value.Length > 64 || !value.All(ch => ch is > ' ' and < '\u007f'))
                throw error($"{name}: 1 to 64 printable ASCII characters");
    }

    public ProvisioningException Refused(string code, string detail) => new(code, $"{rootName}: {detail}");

    private XmlDocument Parse(ReadOnlySpan<byte> document)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = maxDocumentLength,
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
            throw Refused("malformed", $"not well-formed XML: {e.Message}");
        }
        return doc;
    }

    /// <summary>
    /// The one shape accepted (defeats signature wrapping): the root with exactly the content elements then one Signature;
    /// no comments, processing instructions or stray text; one Reference URI="" with enveloped + exc-c14n and SHA-256;
    /// exc-c14n for SignedInfo; ecdsa-sha256 or rsa-sha256; KeyInfo = one X509Data, the signer first.
    /// </summary>
    private (XmlElement Signature, string Method, X509Certificate2[] Certificates) CheckShape(XmlDocument doc, XmlElement root)
    {
        if (root.LocalName != rootName || root.NamespaceURI != ns)
            throw Shape($"the document element is not {rootName}");
        if (doc.SelectNodes("//comment() | //processing-instruction()")!.Count != 0)
            throw Shape("comments and processing instructions are refused");
        if (doc.GetElementsByTagName(rootName, ns).Count != 1)
            throw Shape($"more than one {rootName} element");
        if (doc.GetElementsByTagName("Signature", DsNs).Count != 1 || doc.GetElementsByTagName("Reference", DsNs).Count != 1)
            throw Shape("exactly one Signature with exactly one Reference");
        if (doc.GetElementsByTagName("Object", DsNs).Count != 0 || doc.GetElementsByTagName("Manifest", DsNs).Count != 0)
            throw Shape("ds:Object and ds:Manifest are refused");
        if (root.Attributes.Cast<XmlAttribute>().Any(a => a.Name != "xmlns"))
            throw Shape($"attributes on {rootName} are refused");
        var children = root.ChildNodes.Cast<XmlNode>().ToList();
        if (children.Count != contentNames.Length + 1)
            throw Shape($"{rootName} has other children than its content and one Signature");
        for (var i = 0; i < contentNames.Length; i++)
        {
            if (children[i] is not XmlElement e || e.LocalName != contentNames[i] || e.NamespaceURI != ns || e.Attributes.Count != 0
                || e.ChildNodes.Count != 1 || e.FirstChild is not XmlText)
                throw Shape($"element {i + 1} of {rootName} is not {contentNames[i]} with one text value");
        }
        if (children[^1] is not XmlElement signature || signature.LocalName != "Signature" || signature.NamespaceURI != DsNs)
            throw Shape($"the last child of {rootName} is not the Signature");

        var signedInfo = Only(signature, "SignedInfo");
        if (Algorithm(Only(signedInfo, "CanonicalizationMethod")) != SignedXml.XmlDsigExcC14NTransformUrl)
            throw Shape("SignedInfo is not canonicalized with exclusive c14n");
        var method = Algorithm(Only(signedInfo, "SignatureMethod"));
        if (method is not (EcdsaSha256SignatureDescription.Url or M2MSimMobj.RsaSha256Url))
            throw Shape("the signature method is neither ecdsa-sha256 nor rsa-sha256");
        var reference = Only(signedInfo, "Reference");
        if (reference.Attributes.Count != 1 || reference.GetAttributeNode("URI") is not { Value: "" })
            throw Shape("the Reference is not URI=\"\" (the whole document)");
        var transforms = Elements(Only(reference, "Transforms")).ToList();
        if (transforms.Count != 2 || transforms.Any(t => t.LocalName != "Transform" || t.NamespaceURI != DsNs)
            || Algorithm(transforms[0]) != SignedXml.XmlDsigEnvelopedSignatureTransformUrl
            || Algorithm(transforms[1]) != SignedXml.XmlDsigExcC14NTransformUrl)
            throw Shape("the transforms are not exactly enveloped-signature then exclusive c14n");
        if (Algorithm(Only(reference, "DigestMethod")) != SignedXml.XmlDsigSHA256Url)
            throw Shape("the digest is not SHA-256");

        var x509Data = Only(Only(signature, "KeyInfo"), "X509Data");
        var encoded = Elements(x509Data).ToList();
        if (encoded.Count is 0 or > 4)
            throw Shape("KeyInfo carries 1 to 4 certificates, the signer first");
        if (encoded.Any(e => e.LocalName != "X509Certificate" || e.NamespaceURI != DsNs))
            throw Shape("X509Data carries only certificates");
        var certificates = new List<X509Certificate2>();
        try
        {
            foreach (var e in encoded)
                certificates.Add(DerCertificates.Load(Convert.FromBase64String(e.InnerText)));
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            certificates.ForEach(c => c.Dispose());
            throw Shape("an X509Certificate does not decode");
        }
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

    private IEnumerable<XmlElement> Elements(XmlElement parent)
    {
        foreach (XmlNode n in parent.ChildNodes)
        {
            if (n is XmlElement e)
                yield return e;
            else if (n is not XmlWhitespace)
                throw Shape($"unexpected {n.NodeType} in {parent.LocalName}");
        }
    }

    private XmlElement Only(XmlElement parent, string name)
    {
        var found = Elements(parent).Where(e => e.LocalName == name && e.NamespaceURI == DsNs).ToList();
        return found.Count == 1 ? found[0] : throw Shape($"{parent.LocalName} needs exactly one {name}");
    }

    /// <summary>The Algorithm attribute; parameters (e.g. InclusiveNamespaces) are refused.</summary>
    private string? Algorithm(XmlElement e)
    {
        if (e.HasChildNodes)
            throw Shape($"{e.LocalName} has parameters (e.g. InclusiveNamespaces), which are refused");
        return e.GetAttributeNode("Algorithm")?.Value;
    }

    private ProvisioningException Shape(string detail) => new("bad-shape", $"{rootName}: {detail}");
}
