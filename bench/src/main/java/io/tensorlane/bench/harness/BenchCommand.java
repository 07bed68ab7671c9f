package io.tensorlane.bench.harness;

import io.tensorlane.bench.act.ActBench;
import io.tensorlane.bench.conv.ConvBench;
import io.tensorlane.bench.gemm.GemmBench;
import io.tensorlane.bench.pool.PoolBench;
import io.tensorlane.bench.norm.NormBench;
import io.tensorlane.bench.lstm.LstmBench;
import io.tensorlane.bench.targets.TargetsBench;
import io.tensorlane.bench.train.TrainBench;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code bench FAMILY}: the parent of one subcommand class per kernel family. A family is added by
 * writing its command class (timing through {@link Timer}, rows as {@link BenchRow}, output through
 * {@link BenchReport}) and listing it in {@code subcommands} below.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        header = "Times a kernel family: every implementation side by side, in one process.",
        description = {
                "Each family checks every implementation's result against the scalar reference twin before timing it "
                        + "(a mismatch stops the run), then reports the median wall time of repeated calls after a warm-up. "
                        + "Prints a table; --json FILE writes the rows as a JSON array of "
                        + "{kernel, shape, impl, threads, median_ms, gflops, gbps}: gbps counts bytes read + bytes written "
                        + "(1e9 bytes/s), gflops is null where the work is data movement.",
                "",
                "Example:",
                "  ./tensorlane bench act --threads 1 --json act.json",
                "  ./tensorlane bench gemm --anchors --json gemm.json --chart gemm.png",
                "  ./tensorlane bench targets     # every family against its anchors, then the issues' targets judged"},
        commandListHeading = "%nFamilies:%n",
        subcommands = {ActBench.class, GemmBench.class, ConvBench.class, PoolBench.class, NormBench.class, LstmBench.class, TrainBench.class, TargetsBench.class})
public final class BenchCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Whatever is not a known family: reported with the list of families instead of a generic parse error. */
    @CommandLine.Unmatched
    List<String> unmatched;

    @Override
    public void run() {
        String families = String.join(", ", spec.subcommands().keySet());
        if (unmatched == null || unmatched.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "bench: name a family: " + families);
        }
        throw new CommandLine.ParameterException(spec.commandLine(),
                "bench: unknown family '" + unmatched.getFirst() + "'; families: " + families);
    }
}
