package io.tensorlane.bench.examples;

import io.tensorlane.runtime.Ops;
import java.io.PrintWriter;
import java.nio.file.Path;

/** One runnable example of {@code ./tensorlane example NAME}: trains or fits a model and reports one headline metric. */
public interface Example {
    /** The name on the command line, e.g. {@code linreg}. */
    String name();

    /** One line: what it does and on which data. */
    String summary();

    /** Epochs (or iterations) when the user gives none. */
    int defaultEpochs();

    /**
     * Runs the example, printing what it does to {@code out}.
     *
     * @param epochs training epochs (or iterations for the classic models)
     * @param seed   seeds every random choice (weights, shuffling, synthetic data)
     * @param ops    the device and threads to compute with
     * @param outDir where files (charts) go
     */
    Outcome run(int epochs, long seed, Ops ops, Path outDir, PrintWriter out) throws Exception;

    /**
     * The headline result.
     *
     * @param metric  what was measured, e.g. {@code test R2}
     * @param value   its value
     * @param target  the documented goal in words, e.g. {@code >= 0.40}
     * @param met     whether the value reaches it
     */
    record Outcome(String metric, double value, String target, boolean met) {
        static Outcome atLeast(String metric, double value, double goal) {
            return new Outcome(metric, value, ">= " + goal, value >= goal);
        }

        static Outcome atMost(String metric, double value, double goal) {
            return new Outcome(metric, value, "<= " + goal, value <= goal);
        }
    }
}
