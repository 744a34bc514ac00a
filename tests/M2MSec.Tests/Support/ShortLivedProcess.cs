using System.Diagnostics;

namespace M2MSec.Tests.Support;

/// <summary>
/// The runtime settings of the `serve` and `device run` processes the tests start: they live seconds to two minutes, several at once
/// on CI's two cores. With tiered compilation their background tier-up was half of all CPU in the kill-and-resume test (perf, issue 19:
/// the "Tiered Compilation" threads of nine services and their restarts, each re-instrumenting and recompiling for PGO); off, each
/// runs its ReadyToRun code as it is (the CLI's images, copied to the tests' bin/: decision 064) and compiles the rest once, optimised.
/// Only the tests' processes: an operator's `serve` keeps tiering and PGO, which a long-running service repays (docs/decisions/040).
/// Not for `demo` processes, which re-execute themselves without PGO (decision 054) and run long enough to tier up.
/// </summary>
internal static class ShortLivedProcess
{
    public static ProcessStartInfo WithoutTiering(this ProcessStartInfo psi)
    {
        psi.Environment["DOTNET_TieredCompilation"] = "0";
        return psi;
    }
}
