package io.tensorlane.bench.targets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.bench.harness.BenchRow;
import io.tensorlane.bench.harness.Interleaved;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The verdicts from synthetic measurements: which rows and comparisons each target reads, and its bound's direction. */
class IssueTargetsTest {
    private static Target.Result result(List<Target.Result> rs, String goalStart) {
        return rs.stream().filter(r -> r.target().goal().startsWith(goalStart)).findFirst()
                .orElseThrow(() -> new AssertionError("no target " + goalStart));
    }

    /** The target whose goal starts with goalStart: its measured value and whether it is met. */
    private static Target.Result assertResult(List<Target.Result> rs, String goalStart, double value, boolean met) {
        Target.Result r = result(rs, goalStart);
        assertEquals(value, r.value().getAsDouble(), 1e-12, goalStart);
        assertEquals(met, r.met(), goalStart);
        return r;
    }

    private static Interleaved ratio(double r) {
        return new Interleaved(new double[] {r, r, r}, new double[] {1, 1, 1});
    }

    @Test
    void targetsReadTheirRowsAndComparisons() {
        List<BenchRow> rows = List.of(
                new BenchRow("copy", "16777216", "jdk", 1, 10, null, 10.0),
                new BenchRow("relu fwd", "16777216", "simd", 1, 11, null, 9.0),
                new BenchRow("sigmoid fwd", "16777216", "scalar", 1, 50, null, 1.0),
                new BenchRow("sigmoid fwd", "16777216", "simd", 1, 10, null, 5.0),
                new BenchRow("sgemm", "1024x1024x1024", "tensorlane-simd", 1, 20, 100.0, null),
                new BenchRow("sgemm", "1024x1024x1024", "openblas:Zen", 1, 18, 110.0, null),
                new BenchRow("sgemm", "1024x1024x1024", "tensorlane-simd", 2, 10.5, 200.0, null),
                new BenchRow("conv2d fwd", "ResNet-3x3", "simd", 1, 10, 90.0, null),
                new BenchRow("sgemm", "1024x1024x1024", "simd", 1, 20, 100.0, null));
        Map<String, Interleaved> versus = Map.of(
                "softmax fwd 256x1000", ratio(0.55),
                "LeNet-5 step b64 1x28x28", ratio(0.45),
                "digits-CNN step b64 1x8x8", ratio(0.71),
                "maxpool2x2s2 fwd 8x64x112x112", ratio(0.08));
        List<Target.Result> rs = TargetsBench.judge(new Measurements(rows, versus));

        assertResult(rs, "relu fwd", 0.9, true);
        assertEquals("NOT met", assertResult(rs, "softmax fwd 256x1000 >= 2x", 1 / 0.55, false).verdict());
        assertResult(rs, "sigmoid fwd SIMD", 5.0, true);
        // openblas 18 ms vs ours 20 ms: 0.9x, under 0.95
        assertResult(rs, "sgemm 1024x1024x1024 >= 0.95x", 0.9, false);
        assertResult(rs, "sgemm 1024x1024x1024 on 2 threads", 20 / 10.5, true);
        assertResult(rs, "ResNet-3x3 fwd >= 0.8x", 0.9, true);
        assertTrue(result(rs, "LeNet-5 training step").met());
        // at-most bounds: 0.71 is over 0.7
        assertFalse(result(rs, "digits-CNN training step").met());
        assertEquals(12.5, result(rs, "maxpool fwd 8x64x112x112 >= 10x").value().getAsDouble(), 1e-9);
        // nothing measured for these: not a pass, not a fail
        Target.Result lstm = result(rs, "LSTMCell");
        assertFalse(lstm.measured());
        assertFalse(lstm.met());
        assertEquals("not measured", lstm.verdict());
        assertEquals("not measured", result(rs, "conv fwd LeNet-A").verdict());

        StringWriter sw = new StringWriter();
        TargetsBench.printResults(new PrintWriter(sw), rs);
        assertTrue(sw.toString().contains("#7     LeNet-5 training step b64 <= 0.7x PyTorch's time"), sw.toString());
        long measured = rs.stream().filter(Target.Result::measured).count(), met = rs.stream().filter(Target.Result::met).count();
        assertTrue(sw.toString().contains("targets: " + met + " met, " + (measured - met) + " not met, "
                + (rs.size() - measured) + " not measured"), sw.toString());
    }

    @Test
    void everyIssueHasItsTargets() {
        List<Target> all = IssueTargets.all();
        for (String issue : List.of("3", "4", "5", "6", "7")) {
            assertTrue(all.stream().anyMatch(t -> t.issue().equals(issue)), "issue " + issue);
        }
        assertEquals(12, all.stream().filter(t -> t.goal().startsWith("conv fwd")).count());
    }
}
