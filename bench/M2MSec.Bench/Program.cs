using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(M2MSec.Bench.AkaBenchmarks).Assembly).Run(args);
