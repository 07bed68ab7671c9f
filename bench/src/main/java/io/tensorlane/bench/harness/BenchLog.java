package io.tensorlane.bench.harness;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the bench families measured in this process, for {@code bench targets}, which runs them one after the
 * other and then judges the results: every table printed through {@link BenchReport#printTable} and every
 * {@link Interleaved} comparison, by workload. A process-wide record (the command line runs one command at a
 * time); {@link #clear()} starts afresh. Small: a few hundred rows at most.
 */
public final class BenchLog {
    private static final List<BenchRow> ROWS = new ArrayList<>();
    private static final Map<String, Interleaved> VERSUS = new LinkedHashMap<>();

    private BenchLog() {
    }

    static synchronized void rows(List<BenchRow> rows) {
        ROWS.addAll(rows);
    }

    static synchronized void versus(String workload, Interleaved result) {
        VERSUS.put(workload, result);
    }

    /** The rows printed since the last {@link #clear()}, in order. */
    public static synchronized List<BenchRow> rows() {
        return List.copyOf(ROWS);
    }

    /** The interleaved comparisons since the last {@link #clear()}, by workload (the latest of each). */
    public static synchronized Map<String, Interleaved> versus() {
        return Map.copyOf(VERSUS);
    }

    public static synchronized void clear() {
        ROWS.clear();
        VERSUS.clear();
    }
}
