package io.tensorlane.kernels;

import static io.tensorlane.kernels.FloatAsserts.assertClose;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.tensorlane.kernels.RecurrentGoldenTest.Placed;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Both detection implementations against the golden iou (torchvision box_iou) and nms (torchvision
 * nms, including pairs whose IoU is exactly 0.5, which must not suppress each other) cases. NMS keep
 * lists must match exactly.
 */
class DetectionGoldenTest {
    static Stream<String> iouCases() {
        return GoldenCase.filesOf("iou").stream();
    }

    static Stream<String> nmsCases() {
        return GoldenCase.filesOf("nms").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("iouCases")
    void scalarIou(String file) {
        iou(Kernels.get(Impl.SCALAR), file);
    }

    @Tag("simd")
    @ParameterizedTest(name = "{0}")
    @MethodSource("iouCases")
    void simdIou(String file) {
        iou(Kernels.get(Impl.SIMD), file);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nmsCases")
    void scalarNms(String file) {
        nms(Kernels.get(Impl.SCALAR), file);
    }

    @Tag("simd")
    @ParameterizedTest(name = "{0}")
    @MethodSource("nmsCases")
    void simdNms(String file) {
        nms(Kernels.get(Impl.SIMD), file);
    }

    private static void iou(KernelSet k, String file) {
        GoldenCase c = GoldenCase.load(file);
        int n = (int) c.shape("inputs", "boxes_a")[0], m = (int) c.shape("inputs", "boxes_b")[0];
        try (Arena arena = Arena.ofConfined()) {
            Placed a = Placed.of(arena, c.floats("inputs", "boxes_a")), b = Placed.of(arena, c.floats("inputs", "boxes_b"));
            Placed out = Placed.filled(arena, n * m, Float.NaN);
            Detection.iou(k, n, m, a.seg(), a.off(), b.seg(), b.off(), out.seg(), out.off());
            assertClose(file + " out", c.floats("outputs", "out"), out.get(), c.rtol(), c.atol());
        }
    }

    private static void nms(KernelSet k, String file) {
        GoldenCase c = GoldenCase.load(file);
        int n = (int) c.shape("inputs", "boxes")[0];
        float thr = Float.parseFloat(c.param("iou_threshold").asText());
        try (Arena arena = Arena.ofConfined()) {
            Placed boxes = Placed.of(arena, c.floats("inputs", "boxes")), scores = Placed.of(arena, c.floats("inputs", "scores"));
            MemorySegment keep = arena.allocate((long) n * Integer.BYTES);
            int kept = Detection.nms(k, n, boxes.seg(), boxes.off(), scores.seg(), scores.off(), thr, keep, 0);
            int[] got = new int[kept];
            for (int i = 0; i < kept; i++) got[i] = keep.getAtIndex(JAVA_INT, i);
            assertArrayEquals(c.ints("outputs", "keep"), got, file);
        }
    }
}
