package io.tensorlane.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every pooling golden case (issue 5) passes {@code verify} through the public Ops API, both implementations. */
class PoolVerifyTest {
    static final List<String> POOL_OPS = List.of("maxpool2d", "avgpool2d", "global_avgpool", "max_unpool2d", "roi_pool");

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd"})
    void everyPoolingGoldenCasePasses(String impl) throws Exception {
        Path dir = CliTest.corpus();
        long expected = CliTest.casesOf(dir, POOL_OPS);
        assertEquals(24, expected, "the corpus' pooling cases");
        CliTest.Run r = CliTest.run("verify", dir.toString(), "--ops", String.join(",", POOL_OPS), "--impl", impl);
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("verify: " + expected + " passed, 0 failed"), r.out());
    }

    @Test
    void benchPoolHasHelpAndRejectsBadOptions() {
        CliTest.Run help = CliTest.run("bench", "pool", "--help");
        assertEquals(0, help.exit());
        assertTrue(help.out().contains("maxpool2x2s2 fwd") && help.out().contains("Example"), help.out());
        CliTest.Run bad = CliTest.run("bench", "pool", "--threads", "0");
        assertEquals(2, bad.exit());
        assertTrue(bad.err().contains("bench pool: --threads must be >= 1, got 0"), bad.err());
    }
}
