using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Xml;
using M2MSec.Pki.Authority;
using M2MSec.Provisioning;
using M2MSec.Provisioning.Objects;
using M2MSec.Tests.Support;

namespace M2MSec.Tests.Provisioning;

/// <summary>
/// Issue 15, item 2: M2MSIMMobj signed by the SHO (XML Signature, enveloped + exclusive c14n, one Reference URI="",
/// ECDSA through a registered SignatureDescription or RSA) — verified against the SHO signing root, hardened parsing, the
/// exact shape only (signature wrapping refused), and interoperability with xmlsec1.
/// </summary>
public sealed class M2MSimMobjTests
{
    private const string Ds = "http://www.w3.org/2000/09/xmldsig#";

    private static M2MSimMobjContent Content(string sho = "sho") =>
        new("001990000000001", "TRE-TEST-0001", sho, RandomNumberGenerator.GetBytes(16), RandomNumberGenerator.GetBytes(300));

    [Theory]
    [InlineData(KeyAlgorithm.EcP256, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256")]
    [InlineData(KeyAlgorithm.Rsa2048, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")]
    public async Task Sign_ThenVerify_GivesTheSignedContentAndTheSigner(KeyAlgorithm algorithm, string method)
    {
        var sho = await ShoSigning.CreateAsync(algorithm);
        var content = Content();
        var doc = M2MSimMobj.Sign(content, sho.Signer, sho.Chain);
        Assert.Contains(method, Encoding.UTF8.GetString(doc), StringComparison.Ordinal);
        var got = M2MSimMobj.Verify(doc, sho.Root, DateTimeOffset.UtcNow, out var signer);
        Assert.Equal(content.Pcid, got.Pcid);
        Assert.Equal(content.TreId, got.TreId);
        Assert.Equal("sho", got.ShoId);
        Assert.Equal(content.RegistrationNonce, got.RegistrationNonce);
        Assert.Equal(content.McimObject, got.McimObject);
        Assert.Equal(sho.Signer.Thumbprint, signer.Thumbprint);
    }

    [Fact]
    public async Task OneChangedValue_FailsTheSignature()
    {
        var sho = await ShoSigning.CreateAsync();
        var doc = Encoding.UTF8.GetString(M2MSimMobj.Sign(Content(), sho.Signer, sho.Chain));
        var changed = doc.Replace("<PCID>001990000000001</PCID>", "<PCID>001990000000002</PCID>", StringComparison.Ordinal);
        Assert.Equal("bad-signature", Code(changed, sho.Root));
    }

    [Fact]
    public async Task SignerFromAnotherHierarchy_ExpiredOrNotShoProfile_IsRefused()
    {
        var sho = await ShoSigning.CreateAsync();
        var other = await ShoSigning.CreateAsync();
        var doc = M2MSimMobj.Sign(Content(), other.Signer, other.Chain);
        Assert.Equal("untrusted-signer", Assert.Throws<ProvisioningException>(() => M2MSimMobj.Verify(doc, sho.Root, DateTimeOffset.UtcNow, out _)).Code);
        var good = M2MSimMobj.Sign(Content(), sho.Signer, sho.Chain);
        Assert.Equal("untrusted-signer", Assert.Throws<ProvisioningException>(() => M2MSimMobj.Verify(good, sho.Root, DateTimeOffset.UtcNow.AddYears(5), out _)).Code);
        using var device = await sho.IssueAsync(CertificateProfile.Device, "sho");
        var byDevice = M2MSimMobj.Sign(Content(), device, sho.Chain);
        Assert.Equal("wrong-profile", Assert.Throws<ProvisioningException>(() => M2MSimMobj.Verify(byDevice, sho.Root, DateTimeOffset.UtcNow, out _)).Code);
        // The document's SHO must be the signer.
        var misnamed = M2MSimMobj.Sign(Content("other-sho"), sho.Signer, sho.Chain);
        Assert.Equal("wrong-sho", Assert.Throws<ProvisioningException>(() => M2MSimMobj.Verify(misnamed, sho.Root, DateTimeOffset.UtcNow, out _)).Code);
    }

    [Fact]
    public async Task Dtd_ExternalEntity_NotXml_AndOversized_AreRefusedBeforeAnyCheck()
    {
        var sho = await ShoSigning.CreateAsync();
        var doc = Encoding.UTF8.GetString(M2MSimMobj.Sign(Content(), sho.Signer, sho.Chain));
        var withDtd = "<!DOCTYPE M2MSIMMobj [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>" + doc.Replace("<PCID>001990000000001", "<PCID>&x;", StringComparison.Ordinal);
        Assert.Equal("malformed", Code(withDtd, sho.Root));
        Assert.Equal("malformed", Code("not xml", sho.Root));
        Assert.Equal("malformed", Code(doc[..^5], sho.Root));
        Assert.Equal("oversized", Assert.Throws<ProvisioningException>(() => M2MSimMobj.Verify(new byte[M2MSimMobj.MaxDocumentLength + 1], sho.Root, DateTimeOffset.UtcNow, out _)).Code);
    }

    /// <summary>An attacker's M2MSIMMobj as the document element, the genuine signed one tucked inside it.</summary>
    [Fact]
    public async Task SecondUnsignedM2MSimMobjAroundTheSignedOne_IsRefused_SignatureWrappingThreat()
    {
        var (sho, doc) = await SignedAsync();
        var evil = Load(doc);
        var outer = evil.CreateElement("M2MSIMMobj", M2MSimMobj.Namespace);
        foreach (var n in new[] { "PCID", "TREId", "SHO", "RegNonce", "MCIMObject" })
            outer.AppendChild(evil.ImportNode(evil.DocumentElement![n, M2MSimMobj.Namespace]!, true));
        outer["PCID", M2MSimMobj.Namespace]!.InnerText = "001990000000666";
        var original = evil.DocumentElement!;
        evil.RemoveChild(original);
        evil.AppendChild(outer);
        outer.AppendChild(evil.ImportNode(original, true));
        Assert.Equal("bad-shape", Code(evil.OuterXml, sho.Root));
        // The same second copy placed after the Signature or inside ds:Object: refused as well.
        var inObject = Load(doc);
        var obj = inObject.CreateElement("ds", "Object", Ds);
        obj.AppendChild(inObject.ImportNode(inObject.DocumentElement!, true));
        inObject.DocumentElement!["Signature", Ds]!.AppendChild(obj);
        Assert.Equal("bad-shape", Code(inObject.OuterXml, sho.Root));
    }

    [Fact]
    public async Task DuplicatedOrMovedContentElement_IsRefused_SignatureWrappingThreat()
    {
        var (sho, doc) = await SignedAsync();
        var duplicated = Load(doc);
        var pcid = duplicated.DocumentElement!["PCID", M2MSimMobj.Namespace]!;
        var copy = (XmlElement)pcid.CloneNode(true);
        copy.InnerText = "001990000000666";
        duplicated.DocumentElement.InsertBefore(copy, pcid);
        Assert.Equal("bad-shape", Code(duplicated.OuterXml, sho.Root));

        var moved = Load(doc);
        var sig = moved.DocumentElement!["Signature", Ds]!;
        moved.DocumentElement.RemoveChild(sig);
        moved.DocumentElement.InsertBefore(sig, moved.DocumentElement.FirstChild);
        Assert.Equal("bad-shape", Code(moved.OuterXml, sho.Root));

        var twoSignatures = Load(doc);
        twoSignatures.DocumentElement!.AppendChild(twoSignatures.DocumentElement["Signature", Ds]!.CloneNode(true));
        Assert.Equal("bad-shape", Code(twoSignatures.OuterXml, sho.Root));
    }

    [Fact]
    public async Task ReferenceToAnotherId_OtherTransformsOrAlgorithms_AreRefused_SignatureWrappingThreat()
    {
        var (sho, doc) = await SignedAsync();
        Assert.Equal("bad-shape", Code(doc.Replace("URI=\"\"", "URI=\"#evil\"", StringComparison.Ordinal), sho.Root));
        Assert.Equal("bad-shape", Code(doc.Replace("<Reference URI=\"\">", "<Reference URI=\"\" Id=\"r\">", StringComparison.Ordinal), sho.Root));
        Assert.Equal("bad-shape", Code(doc.Replace("xml-exc-c14n#\" /></Transforms>", "xml-exc-c14n#\" /><Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\" /></Transforms>", StringComparison.Ordinal), sho.Root));
        Assert.Equal("bad-shape", Code(doc.Replace("xmldsig-more#ecdsa-sha256", "xmldsig#rsa-sha1", StringComparison.Ordinal), sho.Root));
        Assert.Equal("bad-shape", Code(doc.Replace("xmlenc#sha256", "xmldsig#sha1", StringComparison.Ordinal), sho.Root));
        var twoReferences = Load(doc);
        var signedInfo = twoReferences.DocumentElement!["Signature", Ds]!["SignedInfo", Ds]!;
        signedInfo.AppendChild(signedInfo["Reference", Ds]!.CloneNode(true));
        Assert.Equal("bad-shape", Code(twoReferences.OuterXml, sho.Root));
    }

    /// <summary>
    /// exc-c14n without comments drops a comment, so the signature still verifies over "0019…": a reader taking the first text
    /// node would see a truncated PCID. Comments are refused outright; whitespace changes the digest.
    /// </summary>
    [Fact]
    public async Task CommentOrWhitespaceInjection_IsRefused_SignatureWrappingThreat()
    {
        var (sho, doc) = await SignedAsync();
        Assert.Equal("bad-shape", Code(doc.Replace("<PCID>00199", "<PCID>00199<!-- -->", StringComparison.Ordinal), sho.Root));
        Assert.Equal("bad-shape", Code(doc.Replace("<TREId>", "<!-- x --><TREId>", StringComparison.Ordinal), sho.Root));
        Assert.Equal("bad-shape", Code(doc.Replace("<TREId>", "\n  <TREId>", StringComparison.Ordinal), sho.Root));
        Assert.Equal("bad-signature", Code(doc.Replace("<PCID>00199", "<PCID> 00199", StringComparison.Ordinal), sho.Root));
        Assert.Equal("bad-shape", Code(doc.Replace("<PCID>001990000000001</PCID>", "<PCID><![CDATA[001990000000001]]></PCID>", StringComparison.Ordinal), sho.Root));
    }

    /// <summary>Debian's xmlsec1 (an independent implementation) accepts what we sign, ECDSA and RSA, and refuses a changed copy.</summary>
    [Theory]
    [InlineData(KeyAlgorithm.EcP256)]
    [InlineData(KeyAlgorithm.Rsa2048)]
    public async Task Xmlsec1_VerifiesTheSignedDocument(KeyAlgorithm algorithm)
    {
        var xmlsec1 = ExternalTool.Require("xmlsec1", "apt-get install xmlsec1");
        var sho = await ShoSigning.CreateAsync(algorithm);
        var dir = Directory.CreateTempSubdirectory("m2msec-xmlsec-").FullName;
        try
        {
            var root = Path.Combine(dir, "root.pem");
            await File.WriteAllTextAsync(root, sho.Root.ExportCertificatePem());
            var docPath = Path.Combine(dir, "m2msimmobj.xml");
            var doc = M2MSimMobj.Sign(Content(), sho.Signer, sho.Chain);
            await File.WriteAllBytesAsync(docPath, doc);
            var (code, stdout, stderr) = await ExternalTool.RunAsync(xmlsec1, ["--verify", "--trusted-pem", root, "--enabled-reference-uris", "empty", docPath]);
            Assert.True(code == 0, $"xmlsec1 refused ({code}): {stdout} {stderr}");
            var tampered = Path.Combine(dir, "tampered.xml");
            await File.WriteAllTextAsync(tampered, Encoding.UTF8.GetString(doc).Replace("<PCID>001990000000001", "<PCID>001990000000002", StringComparison.Ordinal));
            var (badCode, _, _) = await ExternalTool.RunAsync(xmlsec1, ["--verify", "--trusted-pem", root, "--enabled-reference-uris", "empty", tampered]);
            Assert.NotEqual(0, badCode);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static async Task<(ShoSigning Sho, string Doc)> SignedAsync()
    {
        var sho = await ShoSigning.CreateAsync();
        var doc = Encoding.UTF8.GetString(M2MSimMobj.Sign(Content(), sho.Signer, sho.Chain));
        M2MSimMobj.Verify(Encoding.UTF8.GetBytes(doc), sho.Root, DateTimeOffset.UtcNow, out _); // the untouched one verifies
        return (sho, doc);
    }

    private static XmlDocument Load(string xml)
    {
        var d = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        d.LoadXml(xml);
        return d;
    }

    private static string Code(string xml, X509Certificate2 root) =>
        Assert.Throws<ProvisioningException>(() => M2MSimMobj.Verify(Encoding.UTF8.GetBytes(xml), root, DateTimeOffset.UtcNow, out _)).Code;
}
