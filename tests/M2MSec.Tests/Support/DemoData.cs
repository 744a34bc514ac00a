namespace M2MSec.Tests.Support;

/// <summary>What `demo --data DIR` leaves beside its data directory too: the fuse directory and the key ring of a path outside the home.</summary>
internal static class DemoData
{
    /// <summary>Removes <paramref name="dir"/>, DIR.fuse and DIR.kek.json, whichever exist.</summary>
    public static void Delete(string dir)
    {
        if (Directory.Exists(dir))
            Directory.Delete(dir, true);
        if (Directory.Exists(dir + ".fuse"))
            Directory.Delete(dir + ".fuse", true);
        File.Delete(dir + ".kek.json");
    }
}
