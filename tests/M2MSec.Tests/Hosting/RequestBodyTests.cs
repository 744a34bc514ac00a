using M2MSec.NetworkFunctions.Hosting;
using Microsoft.AspNetCore.Http;

namespace M2MSec.Tests.Hosting;

/// <summary><see cref="RequestBody"/>: a body read whole, never more than the function allows, announced length or not.</summary>
public sealed class RequestBodyTests
{
    private static HttpRequest Request(byte[] body, long? contentLength)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new MemoryStream(body);
        context.Request.ContentLength = contentLength;
        return context.Request;
    }

    [Theory]
    [InlineData(0, true)]
    [InlineData(20_000, true)]
    [InlineData(20_000, false)] // chunked: no length announced
    public async Task Body_ReadWhole(int size, bool announced)
    {
        var body = Enumerable.Range(0, size).Select(i => (byte)i).ToArray();
        Assert.Equal(body, await RequestBody.ReadAsync(Request(body, announced ? size : null), 65536, CancellationToken.None));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task LongerThanAllowed_Null_UnboundedBufferingThreat(bool announced)
    {
        var body = new byte[70_000];
        Assert.Null(await RequestBody.ReadAsync(Request(body, announced ? body.Length : null), 65536, CancellationToken.None));
    }

    [Fact]
    public async Task ShorterThanAnnounced_WhatCame()
    {
        // (Kestrel refuses such a request itself; the reader returns what it got, never zeros it did not receive.)
        Assert.Equal([1, 2, 3], await RequestBody.ReadAsync(Request([1, 2, 3], 10), 65536, CancellationToken.None));
    }
}
