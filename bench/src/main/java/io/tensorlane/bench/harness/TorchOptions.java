package io.tensorlane.bench.harness;

import java.io.PrintWriter;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The PyTorch anchor options of the bench families that have one (a picocli mixin): {@code --torch} times
 * PyTorch on the same workloads in alternation with tensorlane ({@link Interleaved}).
 */
public final class TorchOptions {
    @Option(names = "--torch", description = "Also time PyTorch on the same workloads, in samples alternating with "
            + "tensorlane's (a Python child process; needs PyTorch: Debian apt-get install -y python3-torch), and "
            + "report the per-round ratio ours/torch.")
    public boolean torch;

    @Option(names = "--torch-python", paramLabel = "PATH", description = "The Python with PyTorch for --torch "
            + "(default: /usr/bin/python3 if present, else python3 on PATH).")
    public String python = TorchAnchor.DEFAULT_PYTHON;

    @Option(names = "--rounds", defaultValue = "15", paramLabel = "N",
            description = "Alternating rounds for --torch, one sample of each side per round (default ${DEFAULT-VALUE}).")
    public int rounds;

    @Option(names = "--sample-ms", defaultValue = "100", paramLabel = "MS",
            description = "Length of one --torch sample, per side, in milliseconds (default ${DEFAULT-VALUE}).")
    public double sampleMs;

    /** Checks the values; returns the problem with them, or null. */
    public String invalid() {
        if (rounds < 1) return "--rounds must be >= 1, got " + rounds;
        if (!(sampleMs >= 1 && sampleMs <= 60_000)) return "--sample-ms must be in [1, 60000], got " + sampleMs;
        return null;
    }

    /**
     * Starts the anchor when {@code --torch} was given; prints what was started, or why there is none (the bench
     * then runs without it).
     */
    public Optional<TorchAnchor> start(int threads, PrintWriter out) {
        if (!torch) return Optional.empty();
        TorchAnchor.Start s = TorchAnchor.start(python, threads);
        if (s.anchor().isEmpty()) {
            out.println("PyTorch anchor unavailable: " + s.unavailable());
        } else {
            out.println("PyTorch anchor: " + s.anchor().get() + ", " + threads + " thread(s), " + rounds
                    + " rounds of ~" + Math.round(sampleMs) + " ms per side");
        }
        out.flush();
        return s.anchor();
    }
}
