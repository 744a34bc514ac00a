return await M2MSec.Cli.M2MSecCli.RunAsync(args);
