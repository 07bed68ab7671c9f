package io.tensorlane.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The same input gives bit-identical SIMD results on every call, before and after the JIT compiles
 * the kernel (lane sums are added in a fixed order, not by reduceLanes, whose order can change).
 */
@Tag("simd")
class SimdReproducibilityTest {
    @Test
    void repeatedCallsAcrossJitCompilationAgreeBitForBit() {
        KernelSet k = Kernels.get(Impl.SIMD);
        long rows = 1000, cols = 100, n = rows * cols;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(n * 4, 64);
            SplittableRandom r = new SplittableRandom(3);
            for (long i = 0; i < n; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 10 - 5));
            MemorySegment[] first = new MemorySegment[5], now = new MemorySegment[5];
            for (int j = 0; j < 5; j++) {
                first[j] = arena.allocate(n * 4, 64);
                now[j] = arena.allocate(n * 4, 64);
            }
            run(k, rows, cols, x, first);
            for (int it = 0; it < 300; it++) { // enough calls for C2 to compile each kernel
                run(k, rows, cols, x, now);
                for (int j = 0; j < 5; j++) assertEquals(-1, first[j].mismatch(now[j]), "output " + j + " changed at call " + it);
            }
        }
    }

    private static void run(KernelSet k, long rows, long cols, MemorySegment x, MemorySegment[] out) {
        k.softmax().softmax(rows, cols, x, 0, out[0], 0);
        k.softmax().logSoftmax(rows, cols, x, 0, out[1], 0);
        k.reductions().rowSum(rows, cols, x, 0, out[2], 0);
        k.reductions().rowVariance(rows, cols, x, 0, out[3], 0);
        k.softmax().softmaxBackward(rows, cols, out[0], 0, x, 0, out[4], 0);
    }
}
