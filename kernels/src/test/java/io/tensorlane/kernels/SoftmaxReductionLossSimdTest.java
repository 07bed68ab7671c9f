package io.tensorlane.kernels;

import static io.tensorlane.kernels.TestBuffers.*;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** SIMD softmax, reductions and losses against their scalar twins. */
@Tag("simd")
class SoftmaxReductionLossSimdTest {
    static final KernelSet REF = Kernels.get(Impl.SCALAR);
    static final KernelSet SIMD = Kernels.get(Impl.SIMD);

    static Stream<Arguments> matrices() {
        long[] dims = {1, 3, 7, 16, 17, 33, 65, 1000};
        Stream.Builder<Arguments> b = Stream.builder();
        for (long r : new long[] {1, 3, 17}) for (long c : dims) b.add(Arguments.of(r, c, (r + c) % 3));
        b.add(Arguments.of(2L, 4097L, 1L));
        b.add(Arguments.of(65L, 7L, 3L));
        return b.build();
    }

    interface RowOp {
        void run(SoftmaxKernels k, long rows, long cols, MemorySegment x, long xo, MemorySegment y, long yo);
    }

    interface RowBackward {
        void run(SoftmaxKernels k, long rows, long cols, MemorySegment y, long yo, MemorySegment d, long dOff, MemorySegment dx, long dxo);
    }

    @ParameterizedTest(name = "{0}x{1} off={2}")
    @MethodSource("matrices")
    void softmaxFamily(long rows, long cols, long off) {
        long n = rows * cols;
        try (Arena arena = Arena.ofConfined()) {
            SplittableRandom rnd = new SplittableRandom(rows * 1000 + cols);
            for (double range : new double[] {3, 1000}) {
                MemorySegment x = floats(arena, off, n, rnd, -range, range);
                MemorySegment d = floats(arena, off + 1, n, rnd, -1, 1);
                RowOp[] fwd = {SoftmaxKernels::softmax, SoftmaxKernels::logSoftmax};
                RowBackward[] bwd = {SoftmaxKernels::softmaxBackward, SoftmaxKernels::logSoftmaxBackward};
                String[] names = {"softmax", "log_softmax"};
                for (int i = 0; i < 2; i++) {
                    MemorySegment r = out(arena, off + 2, n), s = out(arena, off + 2, n);
                    fwd[i].run(REF.softmax(), rows, cols, x, off, r, off + 2);
                    fwd[i].run(SIMD.softmax(), rows, cols, x, off, s, off + 2);
                    // float vs double row sums: relative error grows like sqrt(cols) ulp; log-softmax
                    // values near 0 need an absolute floor scaled by the row's magnitude.
                    assertClose(names[i], r, s, off + 2, n, 2e-5, i == 0 ? 1e-30 : 2e-5 * Math.max(1, Math.log(cols)));
                    assertGuards(names[i], s, off + 2, n);
                    MemorySegment gr = out(arena, off, n), gs = out(arena, off, n);
                    bwd[i].run(REF.softmax(), rows, cols, r, off + 2, d, off + 1, gr, off);
                    bwd[i].run(SIMD.softmax(), rows, cols, r, off + 2, d, off + 1, gs, off);
                    assertClose(names[i] + "_backward", gr, gs, off, n, 2e-5, 2e-6);
                    assertGuards(names[i] + "_backward", gs, off, n);
                }
            }
        }
    }

    interface Reduce {
        void run(ReductionKernels k, long rows, long cols, MemorySegment x, long xo, MemorySegment out, long oo);
    }

    @ParameterizedTest(name = "{0}x{1} off={2}")
    @MethodSource("matrices")
    void reductions(long rows, long cols, long off) {
        long n = rows * cols;
        try (Arena arena = Arena.ofConfined()) {
            SplittableRandom rnd = new SplittableRandom(rows * 7 + cols);
            MemorySegment x = floats(arena, off, n, rnd, -4, 6);
            Reduce[] ops = {ReductionKernels::rowSum, ReductionKernels::rowMean, ReductionKernels::rowMax, ReductionKernels::rowVariance,
                    ReductionKernels::colSum, ReductionKernels::colMean, ReductionKernels::colMax, ReductionKernels::colVariance};
            String[] names = {"rowSum", "rowMean", "rowMax", "rowVariance", "colSum", "colMean", "colMax", "colVariance"};
            for (int i = 0; i < ops.length; i++) {
                long len = i < 4 ? rows : cols;
                long count = i < 4 ? cols : rows;
                MemorySegment r = out(arena, 1, len), s = out(arena, 1, len);
                ops[i].run(REF.reductions(), rows, cols, x, off, r, 1);
                ops[i].run(SIMD.reductions(), rows, cols, x, off, s, 1);
                // float accumulation vs the twin's double: error bounded by ~count ulp of the magnitudes summed
                double atol = names[i].contains("Max") ? 0 : 6.0 * count * 1.2e-7 * (names[i].contains("Sum") ? 1 : 6);
                assertClose(names[i], r, s, 1, len, names[i].contains("Max") ? 0 : 1e-5, atol);
                assertGuards(names[i], s, 1, len);
            }
            for (boolean row : new boolean[] {true, false}) {
                long len = row ? rows : cols;
                MemorySegment r = arena.allocate(len * 4), s = arena.allocate(len * 4);
                if (row) {
                    REF.reductions().rowArgmax(rows, cols, x, off, r, 0);
                    SIMD.reductions().rowArgmax(rows, cols, x, off, s, 0);
                } else {
                    REF.reductions().colArgmax(rows, cols, x, off, r, 0);
                    SIMD.reductions().colArgmax(rows, cols, x, off, s, 0);
                }
                for (long i = 0; i < len; i++) {
                    assertEquals(r.getAtIndex(JAVA_INT, i), s.getAtIndex(JAVA_INT, i), (row ? "row" : "col") + "Argmax at " + i);
                }
            }
        }
    }

    @Test
    void argmaxTakesTheFirstMaximum() {
        try (Arena arena = Arena.ofConfined()) {
            float[] v = {1, 5, 3, 5, 5, 0, 2, 5, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9};
            MemorySegment x = arena.allocate(v.length * 4L);
            for (int i = 0; i < v.length; i++) x.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, v[i]);
            for (KernelSet k : new KernelSet[] {REF, SIMD}) {
                MemorySegment o = arena.allocate(8);
                k.reductions().rowArgmax(1, 8, x, 0, o, 0);
                assertEquals(1, o.getAtIndex(JAVA_INT, 0), k.impl() + " row");
                k.reductions().rowArgmax(1, 18, x, 0, o, 0);
                assertEquals(16, o.getAtIndex(JAVA_INT, 0), k.impl() + " row 18");
                // columns: 2 rows x 9 cols; col 1 holds (5, 1) -> row 0; col 7 holds (5, 9) -> row 1
                MemorySegment oc = arena.allocate(9 * 4);
                k.reductions().colArgmax(2, 9, x, 0, oc, 0);
                assertEquals(0, oc.getAtIndex(JAVA_INT, 1), k.impl() + " col 1");
                assertEquals(1, oc.getAtIndex(JAVA_INT, 7), k.impl() + " col 7");
            }
        }
    }

    @ParameterizedTest(name = "{0}x{1} off={2}")
    @MethodSource("matrices")
    void losses(long n, long c, long off) {
        long numel = n * c;
        try (Arena arena = Arena.ofConfined()) {
            SplittableRandom rnd = new SplittableRandom(n * 13 + c);
            for (double range : new double[] {3, 100}) {
                MemorySegment x = floats(arena, off, numel, rnd, -range, range);
                MemorySegment t = floats(arena, 1, numel, rnd, 0, 1);
                MemorySegment lab = labels(arena, 2, n, (int) c, rnd);
                MemorySegment gr = out(arena, off, numel), gs = out(arena, off, numel);

                double lr = REF.losses().softmaxCrossEntropy(n, c, x, off, lab, 2, gr, off);
                double ls = SIMD.losses().softmaxCrossEntropy(n, c, x, off, lab, 2, gs, off);
                assertEquals(lr, ls, 1e-5 * Math.max(1, Math.abs(lr)), "softmax_loss");
                // Probabilities near 1 carry float rounding (a few 1e-7 absolute), so dx = (p - onehot)/n does too.
                assertClose("softmax_loss dx", gr, gs, off, numel, 2e-5, 2e-6 / n);
                assertGuards("softmax_loss dx", gs, off, numel);

                lr = REF.losses().svmHinge(n, c, 1f, x, off, lab, 2, gr, off);
                ls = SIMD.losses().svmHinge(n, c, 1f, x, off, lab, 2, gs, off);
                assertEquals(lr, ls, 1e-5 * Math.max(1, Math.abs(lr)), "svm_loss");
                assertExact("svm_loss dx", gr, gs, off, numel);
                assertGuards("svm_loss dx", gs, off, numel);

                for (MseReduction red : MseReduction.values()) {
                    lr = REF.losses().mse(red, numel, n, x, off, t, 1, gr, off);
                    ls = SIMD.losses().mse(red, numel, n, x, off, t, 1, gs, off);
                    assertEquals(lr, ls, 1e-5 * Math.abs(lr), "mse " + red);
                    assertClose("mse dpred " + red, gr, gs, off, numel, 1e-6, 1e-30);
                    assertGuards("mse dpred", gs, off, numel);
                }

                lr = REF.losses().sigmoidBce(numel, x, off, t, 1, gr, off);
                ls = SIMD.losses().sigmoidBce(numel, x, off, t, 1, gs, off);
                assertEquals(lr, ls, 1e-5 * Math.max(1, Math.abs(lr)), "sigmoid_bce");
                assertClose("sigmoid_bce dx", gr, gs, off, numel, 1e-5, 1e-7 / numel);
                assertGuards("sigmoid_bce dx", gs, off, numel);
            }
        }
    }
}
