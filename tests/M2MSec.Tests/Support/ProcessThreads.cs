namespace M2MSec.Tests.Support;

/// <summary>This process's threads as Linux names them (<c>/proc/self/task/*/comm</c>: a .NET thread's name, cut to 15 octets).</summary>
internal static class ProcessThreads
{
    public static int Named(string name)
    {
        var count = 0;
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') == name)
                    count++;
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }
        return count;
    }
}
