package io.tensorlane.bench.act;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code bench FAMILY}: one subcommand per kernel family. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {
                "Times a kernel family in one process, every implementation side by side, after checking",
                "the results against the scalar reference. Prints a table; --json writes rows",
                "{kernel, shape, impl, threads, median_ms, gflops, gbps} (gbps counts bytes read + written).",
                "",
                "Families: act (activations, softmax and the memory-copy baseline).",
                "",
                "Example:",
                "  ./tensorlane bench act --threads 1 --json act.json"},
        subcommands = {ActBench.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "bench: name a family: " + String.join(", ", spec.subcommands().keySet()));
    }
}
