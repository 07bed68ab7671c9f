package io.tensorlane.bench.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The PyTorch anchor's process handling and the interleaved comparison, against small shell servers that speak
 * the protocol (no PyTorch needed), and against the real script where a Python with PyTorch is installed.
 */
class TorchAnchorTest {
    /**
     * A server in sh: READY, then OK / MS answers, logging each command to stderr-free stdout order. The script path
     * and thread count the anchor appends arrive as $1 and $2.
     */
    private static List<String> shServer(String body) {
        return List.of("sh", "-c", body, "fake-python");
    }

    private static final String ECHO_SERVER = "echo \"READY 9.9.9 $2\"; "
            + "while read -r c a; do case \"$c\" in "
            + "prepare) echo 'OK 1.5';; "
            + "sample) echo 'MS 2.5';; "
            + "quit) exit 0;; "
            + "*) echo \"ERROR unknown command '$c'\";; esac; done";

    @Test
    void aMissingPythonIsReportedNotThrown() {
        TorchAnchor.Start s = TorchAnchor.start("/nonexistent/python3", 1);
        assertTrue(s.anchor().isEmpty());
        assertTrue(s.unavailable().contains("cannot run /nonexistent/python3"), s.unavailable());
        assertTrue(s.unavailable().contains("--torch-python"), s.unavailable());
    }

    @Test
    void aServerThatCannotImportTorchIsUnavailableWithItsReason() {
        TorchAnchor.Start s = TorchAnchor.start(shServer("echo 'ERROR cannot import torch: no module'"), 1, Map.of());
        assertTrue(s.anchor().isEmpty());
        assertEquals("cannot import torch: no module", s.unavailable());
    }

    @Test
    void aServerThatDiesAtOnceIsUnavailable() {
        TorchAnchor.Start s = TorchAnchor.start(shServer("exit 3"), 1, Map.of());
        assertTrue(s.anchor().isEmpty());
        assertTrue(s.unavailable().contains("ended (exit 3)"), s.unavailable());
    }

    @Test
    void answersAreParsedAndTheThreadCountIsPassed() {
        // the thread count and the fixed malloc thresholds reach the child's environment
        TorchAnchor.Start s = TorchAnchor.start(shServer("[ \"$OMP_NUM_THREADS\" = 3 ] || exit 9; "
                + "[ \"$MALLOC_MMAP_THRESHOLD_\" = " + (64 << 20) + " ] || exit 8; "
                + "[ \"$MALLOC_TRIM_THRESHOLD_\" = " + (256 << 20) + " ] || exit 7; " + ECHO_SERVER), 3, Map.of());
        try (TorchAnchor t = s.anchor().orElseThrow(() -> new AssertionError(s.unavailable()))) {
            assertEquals("torch-9.9.9", t.impl());
            assertEquals(1.5, t.prepare("softmax fwd 4x4"));
            assertEquals(2.5, t.sampleMs("softmax fwd 4x4", 7));
            assertThrows(IllegalArgumentException.class, () -> t.sampleMs("softmax fwd 4x4", 0));
        }
    }

    @Test
    void errorAnswersAndGarbageBecomeExceptionsNamingTheCommand() {
        String body = "echo 'READY 1.0 1'; read -r l; echo 'ERROR unknown workload nope'; read -r l; echo 'MS fast'; "
                + "read -r l; echo 'MS -1'; read -r l";
        try (TorchAnchor t = TorchAnchor.start(shServer(body), 1, Map.of()).anchor().orElseThrow()) {
            var e1 = assertThrows(TorchAnchor.AnchorException.class, () -> t.prepare("nope"));
            assertEquals("PyTorch anchor: prepare nope: unknown workload nope", e1.getMessage());
            var e2 = assertThrows(TorchAnchor.AnchorException.class, () -> t.sampleMs("x", 3));
            assertTrue(e2.getMessage().contains("unexpected answer 'MS fast'"), e2.getMessage());
            var e3 = assertThrows(TorchAnchor.AnchorException.class, () -> t.sampleMs("x", 3));
            assertTrue(e3.getMessage().contains("unexpected answer 'MS -1'"), e3.getMessage());
        }
    }

    @Test
    void aServerThatDiesMidRunFailsTheNextCommandWithItsExitCode() {
        try (TorchAnchor t = TorchAnchor.start(shServer("echo 'READY 1.0 1'; read -r l; exit 4"), 1, Map.of()).anchor().orElseThrow()) {
            var e = assertThrows(TorchAnchor.AnchorException.class, () -> t.prepare("softmax fwd 2x2"));
            assertTrue(e.getMessage().contains("ended (exit 4)"), e.getMessage());
        }
    }

    @Test
    void interleavedAlternatesTheSidesAndKeepsEveryRound() {
        // the server answers 1, 2, 3, ... ms for its samples; ours takes sample-independent time
        String counting = "echo 'READY 1.0 1'; n=0; while read -r c a; do case \"$c\" in prepare) echo 'OK 1';; "
                + "sample) n=$((n+1)); echo \"MS $n\";; quit) exit 0;; esac; done";
        AtomicInteger calls = new AtomicInteger();
        try (TorchAnchor t = TorchAnchor.start(shServer(counting), 1, Map.of()).anchor().orElseThrow()) {
            Interleaved r = Interleaved.run(calls::incrementAndGet, t, "w", 5, 1);
            assertArrayEquals(new double[] {1, 2, 3, 4, 5}, r.torchMs());
            assertEquals(3.0, r.torchMedianMs());
            // 1 timing call + 5 samples of at least 3 calls each
            assertTrue(calls.get() >= 16, "calls " + calls.get());
            assertEquals(5, r.oursMs().length);
        }
    }

    @Test
    void ratiosMediansAndSummary() {
        Interleaved r = new Interleaved(new double[] {1, 2, 3, 4}, new double[] {2, 2, 2, 2});
        assertArrayEquals(new double[] {0.5, 1, 1.5, 2}, r.ratios());
        assertEquals(1.25, r.medianRatio());
        assertEquals(2.5, r.oursMedianMs());
        assertEquals("vs torch-x, 4 interleaved rounds: ours 2.500 ms, torch-x 2.000 ms; ours/torch-x per round: median 1.25 "
                + "(quartiles 0.50-2.00, range 0.50-2.00); ratio of the medians 1.25", r.summary("torch-x"));
        assertThrows(IllegalArgumentException.class, () -> new Interleaved(new double[] {1}, new double[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> new Interleaved(new double[0], new double[0]));
        assertEquals(3, Interleaved.calls(200, 500));
        assertEquals(40, Interleaved.calls(200, 5));
    }

    /** The shipped script itself, where this machine has a Python with PyTorch (CI usually has none: skipped). */
    @Test
    void theRealScriptTimesAWorkloadAndRejectsUnknownOnes() {
        TorchAnchor.Start s = TorchAnchor.start(TorchAnchor.DEFAULT_PYTHON, 1);
        Assumptions.assumeTrue(s.anchor().isPresent(), () -> "no PyTorch here: " + s.unavailable());
        try (TorchAnchor t = s.anchor().get()) {
            assertTrue(t.impl().startsWith("torch-"), t.impl());
            assertTrue(t.prepare("softmax fwd 8x10") >= 0);
            double ms = t.sampleMs("softmax fwd 8x10", 5);
            assertTrue(ms > 0 && ms < 1000, "ms " + ms);
            var e = assertThrows(TorchAnchor.AnchorException.class, () -> t.prepare("conv2d fwd Nope"));
            assertTrue(e.getMessage().contains("unknown workload 'conv2d fwd Nope'"), e.getMessage());
            assertFalse(e.getMessage().contains("Traceback"), e.getMessage());
        }
    }
}
