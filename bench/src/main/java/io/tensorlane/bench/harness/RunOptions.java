package io.tensorlane.bench.harness;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The options every {@code bench} family shares (a picocli mixin): the thread count and the JSON file the
 * rows are also written to. {@code bench gemm} keeps its own {@code --threads} (its text names OpenBLAS).
 */
public final class RunOptions {
    @Option(names = "--threads", defaultValue = "1", paramLabel = "T",
            description = "Threads (default ${DEFAULT-VALUE}: single-thread figures are the comparable ones).")
    public int threads;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the rows as a JSON array.")
    public Path json;
}
