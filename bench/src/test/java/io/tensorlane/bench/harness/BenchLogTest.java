package io.tensorlane.bench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The record a family's JVM hands to {@code bench targets}: written whole when asked, read back equal. */
class BenchLogTest {
    @Test
    void writtenWhenAskedAndReadBack(@TempDir Path dir) throws Exception {
        BenchRow row = new BenchRow("softmax fwd", "3x5", "simd", 1, 0.25, null, 4.5);
        BenchLog.rows(List.of(row));
        BenchLog.versus("log-test workload", new Interleaved(new double[] {1, 2}, new double[] {2, 2}));
        Path file = dir.resolve("log.json");
        String before = System.getProperty(BenchLog.PROPERTY);
        try {
            System.clearProperty(BenchLog.PROPERTY);
            BenchLog.writeIfAsked(); // not asked: nothing written
            assertEquals(0, Files.list(dir).count());
            System.setProperty(BenchLog.PROPERTY, file.toString());
            BenchLog.writeIfAsked();
        } finally {
            if (before == null) System.clearProperty(BenchLog.PROPERTY); else System.setProperty(BenchLog.PROPERTY, before);
        }
        assertEquals(List.of(file), Files.list(dir).toList()); // no temporary file left behind
        BenchLog.Snapshot s = BenchLog.read(file);
        assertTrue(s.rows().contains(row), s.rows().toString());
        Interleaved v = s.versus().get("log-test workload");
        assertArrayEquals(new double[] {1, 2}, v.oursMs());
        assertArrayEquals(new double[] {2, 2}, v.torchMs());
        assertEquals(0.75, v.medianRatio());
    }
}
