namespace M2MSec.Tests.Support;

/// <summary>Files of the repository the tests run from (the directory holding M2MSec.slnx, above the test binaries).</summary>
internal static class RepositoryPaths
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "M2MSec.slnx")))
                return dir.FullName;
        throw new InvalidOperationException("repository root (M2MSec.slnx) not found");
    }
}
