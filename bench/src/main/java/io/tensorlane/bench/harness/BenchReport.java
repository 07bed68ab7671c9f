package io.tensorlane.bench.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/** The table every {@code bench} family prints and the JSON file it writes. */
public final class BenchReport {
    private BenchReport() {
    }

    /**
     * Prints one line per row. "vs copy" relates a row's GB/s to the {@code copy} row's (when there is one);
     * "x scalar" is the speed-up over the {@code scalar} row of the same kernel and shape.
     */
    public static void printTable(PrintWriter out, List<BenchRow> rows) {
        BenchLog.rows(rows);
        BenchRow copy = rows.stream().filter(r -> r.kernel().equals("copy")).findFirst().orElse(null);
        boolean anyFlops = rows.stream().anyMatch(r -> r.gflops() != null);
        int iw = Math.max(7, rows.stream().mapToInt(r -> r.impl().length()).max().orElse(7));
        out.printf(Locale.ROOT, "%-14s %-12s %-" + iw + "s %7s %10s %s%9s %8s %9s%n", "kernel", "shape", "impl", "threads",
                "median ms", anyFlops ? String.format(Locale.ROOT, "%9s ", "GFLOP/s") : "", "GB/s",
                copy == null ? "" : "vs copy", "x scalar");
        for (BenchRow r : rows) {
            String flops = !anyFlops ? "" : String.format(Locale.ROOT, "%9s ",
                    r.gflops() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.gflops()));
            String vsCopy = copy == null || r.gbps() == null || copy.gbps() == null ? ""
                    : String.format(Locale.ROOT, "%.2fx", r.gbps() / copy.gbps());
            String speedup = "";
            if (!r.impl().equals("scalar")) {
                speedup = rows.stream()
                        .filter(o -> o.impl().equals("scalar") && o.kernel().equals(r.kernel()) && o.shape().equals(r.shape()))
                        .findFirst().map(s -> String.format(Locale.ROOT, "%.2fx", s.medianMs() / r.medianMs())).orElse("");
            }
            out.printf(Locale.ROOT, "%-14s %-12s %-" + iw + "s %7d %10.3f %s%9s %8s %9s%n", r.kernel(), r.shape(), r.impl(),
                    r.threads(), r.medianMs(), flops, r.gbps() == null ? "-" : String.format(Locale.ROOT, "%.2f", r.gbps()),
                    vsCopy, speedup);
        }
        out.flush();
    }

    /** Writes the rows as a JSON array (creating parent directories). */
    public static void writeJson(Path file, List<BenchRow> rows) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), rows);
    }
}
