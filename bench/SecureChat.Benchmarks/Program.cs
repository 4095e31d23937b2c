using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/SecureChat.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
