package io.tensorlane.bench.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the bench families measured in this process: every table printed through {@link BenchReport#printTable}
 * and every {@link Interleaved} comparison, by label. {@code bench targets} runs each family in a JVM of its own
 * (kernels from one family must not share a JIT profile with another's: a first GEMM shape measured 7x slower
 * after the activation family in the same JVM) with the system property {@value #PROPERTY} naming a file, to
 * which the family's JVM writes this record when its command ends ({@link #writeIfAsked()}); then it reads the
 * files back. A process-wide record: the command line runs one command per process.
 */
public final class BenchLog {
    /** System property: the file to write the record to when the command ends. */
    public static final String PROPERTY = "tensorlane.bench.log";

    private static final List<BenchRow> ROWS = new ArrayList<>();
    private static final Map<String, Interleaved> VERSUS = new LinkedHashMap<>();

    private BenchLog() {
    }

    /** The record as written to a file. */
    public record Snapshot(List<BenchRow> rows, Map<String, Interleaved> versus) {
        public Snapshot {
            rows = List.copyOf(rows);
            versus = Map.copyOf(versus);
        }
    }

    static synchronized void rows(List<BenchRow> rows) {
        ROWS.addAll(rows);
    }

    static synchronized void versus(String label, Interleaved result) {
        VERSUS.put(label, result);
    }

    /** What was recorded in this process so far. */
    public static synchronized Snapshot snapshot() {
        return new Snapshot(ROWS, VERSUS);
    }

    /** Writes {@link #snapshot()} to the file named by {@value #PROPERTY}, if set (whole, through a temp file). */
    public static void writeIfAsked() throws IOException {
        String file = System.getProperty(PROPERTY);
        if (file == null || file.isBlank()) return;
        Path target = Path.of(file).toAbsolutePath();
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            new ObjectMapper().writeValue(tmp.toFile(), snapshot());
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Reads a file that {@link #writeIfAsked()} wrote. */
    public static Snapshot read(Path file) throws IOException {
        return new ObjectMapper().readValue(file.toFile(), Snapshot.class);
    }
}
