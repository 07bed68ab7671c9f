package io.tensorlane.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The validating entry points {@link Gemm}: every class of bad argument, rejected before C is touched. */
class GemmValidationTest {
    private static final Parallelism ONE = Parallelism.single();

    private static MemorySegment floats(Arena arena, int n, float v) {
        MemorySegment s = arena.allocate((long) n * Float.BYTES);
        for (int i = 0; i < n; i++) s.setAtIndex(JAVA_FLOAT, i, v);
        return s;
    }

    private static void assertRejected(String message, MemorySegment c, Executable call) {
        float[] before = c.toArray(JAVA_FLOAT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(message), "message was: " + e.getMessage());
        assertEquals(java.util.Arrays.toString(before), java.util.Arrays.toString(c.toArray(JAVA_FLOAT)),
                "C changed before the error");
    }

    @Test
    void sgemmNamesTheBadArgument() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = floats(arena, 20, 1f), b = floats(arena, 30, 1f), c = floats(arena, 24, 5f);
            Trans n = Trans.N, t = Trans.T;
            assertRejected("sgemm: m must be >= 0, got -1", c,
                    () -> Gemm.sgemm(n, n, -1, 6, 5, 1f, a, 0, 5, b, 0, 6, 0f, c, 0, 6, ONE));
            assertRejected("sgemm: k must be >= 0, got -2", c,
                    () -> Gemm.sgemm(n, n, 4, 6, -2, 1f, a, 0, 5, b, 0, 6, 0f, c, 0, 6, ONE));
            assertRejected("sgemm: lda=3 is smaller than the 5 columns of A (m=4, k=5, ta=N)", c,
                    () -> Gemm.sgemm(n, n, 4, 6, 5, 1f, a, 0, 3, b, 0, 6, 0f, c, 0, 6, ONE));
            assertRejected("sgemm: lda=3 is smaller than the 4 columns of A (m=4, k=5, ta=T)", c,
                    () -> Gemm.sgemm(t, n, 4, 6, 5, 1f, a, 0, 3, b, 0, 6, 0f, c, 0, 6, ONE));
            assertRejected("sgemm: ldb=5 is smaller than the 6 columns of B (k=5, n=6, tb=N)", c,
                    () -> Gemm.sgemm(n, n, 4, 6, 5, 1f, a, 0, 5, b, 0, 5, 0f, c, 0, 6, ONE));
            assertRejected("sgemm: ldb=4 is smaller than the 5 columns of B (k=5, n=6, tb=T)", c,
                    () -> Gemm.sgemm(n, t, 4, 6, 5, 1f, a, 0, 5, b, 0, 4, 0f, c, 0, 6, ONE));
            assertRejected("sgemm: ldc=5 is smaller than the 6 columns of C (m=4, n=6)", c,
                    () -> Gemm.sgemm(n, n, 4, 6, 5, 1f, a, 0, 5, b, 0, 6, 0f, c, 0, 5, ONE));
            // A needs (4-1)*5 + 5 = 20 elements from offset 1
            assertRejected("sgemm: A (4x5 stored, lda=5, ta=N) needs elements [1, 21) but its segment holds 20", c,
                    () -> Gemm.sgemm(n, n, 4, 6, 5, 1f, a, 1, 5, b, 0, 6, 0f, c, 0, 6, ONE));
            assertRejected("sgemm: B (5x6 stored, ldb=7, tb=N) needs elements [0, 34)", c,
                    () -> Gemm.sgemm(n, n, 4, 6, 5, 1f, a, 0, 5, b, 0, 7, 0f, c, 0, 6, ONE));
            assertRejected("sgemm: C (4x6, ldc=6) needs elements [2, 26)", c,
                    () -> Gemm.sgemm(n, n, 4, 6, 5, 1f, a, 0, 5, b, 0, 6, 0f, c, 2, 6, ONE));
            assertRejected("sgemm: C (4x6, ldc=6) offset -1 is negative", c,
                    () -> Gemm.sgemm(n, n, 4, 6, 5, 1f, a, 0, 5, b, 0, 6, 0f, c, -1, 6, ONE));
            assertRejected("sgemm: A (4x5 stored, lda=5, ta=N) is null", c,
                    () -> Gemm.sgemm(n, n, 4, 6, 5, 1f, null, 0, 5, b, 0, 6, 0f, c, 0, 6, ONE));
            assertRejected("sgemm: ta is null", c,
                    () -> Gemm.sgemm(null, n, 4, 6, 5, 1f, a, 0, 5, b, 0, 6, 0f, c, 0, 6, ONE));
            assertRejected("sgemm: par is null", c,
                    () -> Gemm.sgemm(n, n, 4, 6, 5, 1f, a, 0, 5, b, 0, 6, 0f, c, 0, 6, null));
            // C overlapping an input
            MemorySegment big = floats(arena, 64, 1f);
            assertRejected("sgemm: C [19, 43) and A [0, 20) share memory", big,
                    () -> Gemm.sgemm(n, n, 4, 6, 5, 1f, big, 0, 5, b, 0, 6, 0f, big, 19, 6, ONE));
            assertRejected("sgemm: C [0, 24) and B [10, 40) share memory", big,
                    () -> Gemm.sgemm(n, n, 4, 6, 5, 1f, a, 0, 5, big, 10, 6, 0f, big, 0, 6, ONE));
            // rows * ld overflowing a long
            assertRejected("overflows a long", c,
                    () -> Gemm.sgemm(n, n, 4, 6, 5, 1f, a, Long.MAX_VALUE - 3, 5, b, 0, 6, 0f, c, 0, 6, ONE));
        }
    }

    @Test
    void zeroSizesAreNoOpsButKZeroStillScalesC() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment c = floats(arena, 6, 4f);
            // m == 0 or n == 0: nothing is read or written, so even null operands are accepted
            Gemm.sgemm(Trans.N, Trans.N, 0, 6, 5, 1f, null, 0, 5, null, 0, 6, 0f, null, 0, 6, ONE);
            Gemm.sgemm(Trans.N, Trans.N, 1, 0, 5, 1f, null, 0, 5, null, 0, 0, 0f, null, 0, 0, ONE);
            // k == 0: C = beta * C, A and B untouched (null allowed)
            Gemm.sgemm(Trans.N, Trans.T, 2, 3, 0, 1f, null, 0, 0, null, 0, 0, 0.5f, c, 0, 3, ONE);
            for (int i = 0; i < 6; i++) assertEquals(2f, c.getAtIndex(JAVA_FLOAT, i));
            Gemm.sgemmBatched(Trans.N, Trans.N, 2, 3, 4, 1f, null, 0, 4, 8, null, 0, 3, 12, 0f, null, 0, 3, 6, 0, ONE);
            Gemm.sgemv(Trans.T, 5, 0, 1f, null, 0, 0, null, 0, 0f, null, 0, ONE);
        }
    }

    @Test
    void sgemvNamesTheBadArgument() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = floats(arena, 12, 1f), x = floats(arena, 4, 1f), y = floats(arena, 3, 9f);
            assertRejected("sgemv: lda=3 is smaller than the 4 columns of A (m=3, n=4)", y,
                    () -> Gemm.sgemv(Trans.N, 3, 4, 1f, a, 0, 3, x, 0, 0f, y, 0, ONE));
            assertRejected("sgemv: n must be >= 0, got -4", y,
                    () -> Gemm.sgemv(Trans.N, 3, -4, 1f, a, 0, 4, x, 0, 0f, y, 0, ONE));
            assertRejected("sgemv: x (4 elements) needs elements [1, 5)", y,
                    () -> Gemm.sgemv(Trans.N, 3, 4, 1f, a, 0, 4, x, 1, 0f, y, 0, ONE));
            assertRejected("sgemv: y (4 elements) needs elements [0, 4)", y,
                    () -> Gemm.sgemv(Trans.T, 3, 4, 1f, a, 0, 4, x, 0, 0f, y, 0, ONE));
            assertRejected("sgemv: A (m=3, n=4, lda=5) needs elements [0, 14)", y,
                    () -> Gemm.sgemv(Trans.N, 3, 4, 1f, a, 0, 5, x, 0, 0f, y, 0, ONE));
            assertRejected("sgemv: y [9, 12) and A [0, 12) share memory", a,
                    () -> Gemm.sgemv(Trans.N, 3, 4, 1f, a, 0, 4, x, 0, 0f, a, 9, ONE));
        }
    }

    @Test
    void sgemmBatchedNamesTheBadArgument() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = floats(arena, 100, 1f), b = floats(arena, 100, 1f), c = floats(arena, 100, 3f);
            assertRejected("sgemmBatched: batch must be >= 0, got -1", c,
                    () -> Gemm.sgemmBatched(Trans.N, Trans.N, 2, 3, 4, 1f, a, 0, 4, 8, b, 0, 3, 12, 0f, c, 0, 3, 6, -1, ONE));
            assertRejected("sgemmBatched: strideB must be >= 0, got -12", c,
                    () -> Gemm.sgemmBatched(Trans.N, Trans.N, 2, 3, 4, 1f, a, 0, 4, 8, b, 0, 3, -12, 0f, c, 0, 3, 6, 2, ONE));
            assertRejected("sgemmBatched: strideC=5 is smaller than the 6 elements one C spans (m=2, n=3, ldc=3)", c,
                    () -> Gemm.sgemmBatched(Trans.N, Trans.N, 2, 3, 4, 1f, a, 0, 4, 8, b, 0, 3, 12, 0f, c, 0, 3, 5, 2, ONE));
            // the 9th A starts at 8*12 = 96 and needs 8 elements: [0, 104) > 100
            assertRejected("sgemmBatched: A (2x4 stored, lda=4, ta=N, 9 at stride 12) needs elements [0, 104)", c,
                    () -> Gemm.sgemmBatched(Trans.N, Trans.N, 2, 3, 4, 1f, a, 0, 4, 12, b, 0, 3, 0, 0f, c, 0, 3, 6, 9, ONE));
            assertRejected("overflows a long", c,
                    () -> Gemm.sgemmBatched(Trans.N, Trans.N, 2, 3, 4, 1f, a, 0, 4, Long.MAX_VALUE / 2, b, 0, 3, 0, 0f,
                            c, 0, 3, 6, 9, ONE));
        }
    }

    @Test
    void entryPointsComputeThroughTheSelectedKernels() {
        try (Arena arena = Arena.ofConfined()) {
            // [1 2; 3 4] * [5 6; 7 8] = [19 22; 43 50]
            MemorySegment a = arena.allocateFrom(JAVA_FLOAT, 1, 2, 3, 4), b = arena.allocateFrom(JAVA_FLOAT, 5, 6, 7, 8);
            MemorySegment c = floats(arena, 4, Float.NaN);
            Gemm.sgemm(Trans.N, Trans.N, 2, 2, 2, 1f, a, 0, 2, b, 0, 2, 0f, c, 0, 2, ONE);
            assertEquals("[19.0, 22.0, 43.0, 50.0]", java.util.Arrays.toString(c.toArray(JAVA_FLOAT)));
            MemorySegment y = floats(arena, 2, 1f);
            Gemm.sgemv(Trans.T, 2, 2, 2f, a, 0, 2, b, 0, 1f, y, 0, ONE); // 2 * [1 3; 2 4] [5 6] + 1
            assertEquals("[47.0, 69.0]", java.util.Arrays.toString(y.toArray(JAVA_FLOAT)));
            MemorySegment cc = floats(arena, 8, Float.NaN);
            Gemm.sgemmBatched(Trans.N, Trans.T, 2, 2, 2, 1f, a, 0, 2, 0, b, 0, 2, 0, 0f, cc, 0, 2, 4, 2, Parallelism.threads(2));
            // A B^T = [17 23; 39 53], twice
            assertEquals("[17.0, 23.0, 39.0, 53.0, 17.0, 23.0, 39.0, 53.0]", java.util.Arrays.toString(cc.toArray(JAVA_FLOAT)));
        }
    }
}
