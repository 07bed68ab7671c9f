package io.tensorlane.kernels;

import static io.tensorlane.kernels.GemmFixture.GUARD;
import static io.tensorlane.kernels.GemmFixture.assertBitIdentical;
import static io.tensorlane.kernels.GemmFixture.assertGuardsIntact;
import static io.tensorlane.kernels.GemmFixture.assertMatches;
import static io.tensorlane.kernels.GemmFixture.expected;
import static io.tensorlane.kernels.GemmFixture.matrix;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorlane.kernels.GemmFixture.Expected;
import io.tensorlane.kernels.GemmFixture.Matrix;
import java.lang.foreign.Arena;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/**
 * What every {@link GemmKernels} must do, checked against a double-accumulating oracle with an error
 * bound scaled by k (see {@link GemmFixture#expected}). Subclasses pick the implementation.
 */
abstract class GemmContractTest {
    static final int[] SIZES = {0, 1, 2, 3, 7, 15, 16, 17, 31, 33, 63, 65, 100, 129, 257};
    static final float[] SCALARS = {0f, 1f, 0.5f, -1.5f};
    static final Trans[] TRANS = Trans.values();

    abstract GemmKernels gemm();

    /** How many random (m, n, k) triples {@link #randomShapesMatchOracle} runs. */
    abstract int randomTriples();

    /** One sgemm call: shapes, scalars and storage. */
    record Case(Trans ta, Trans tb, int m, int n, int k, float alpha, float beta,
                int padA, int padB, int padC, long offA, long offB, long offC, boolean heap) {
        @Override
        public String toString() {
            return "sgemm(" + ta + tb + " m=" + m + " n=" + n + " k=" + k + " alpha=" + alpha + " beta=" + beta
                    + " pads=" + padA + "/" + padB + "/" + padC + " offs=" + offA + "/" + offB + "/" + offC
                    + (heap ? " heap" : " native") + ")";
        }
    }

    static Case random(Random rnd, int m, int n, int k) {
        return new Case(TRANS[rnd.nextInt(2)], TRANS[rnd.nextInt(2)], m, n, k,
                SCALARS[rnd.nextInt(4)], SCALARS[rnd.nextInt(4)],
                rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(5), rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(5),
                rnd.nextInt(3) == 0 ? 0 : rnd.nextInt(5),
                rnd.nextInt(4), rnd.nextInt(4), rnd.nextInt(4), rnd.nextInt(4) == 0);
    }

    /**
     * Runs the case with {@code par}, checks the result against the oracle and the guards around C, and
     * returns a copy of C's whole segment. With beta == 0, C starts as NaN.
     */
    float[] runAndCheck(Case cs, Parallelism par, long seed) {
        return runAndCheck(gemm(), cs, par, seed);
    }

    static float[] runAndCheck(GemmKernels gemm, Case cs, Parallelism par, long seed) {
        Random rnd = new Random(seed);
        // shared: worker threads must be able to read the operands (confined ones make the call single-threaded)
        try (Arena arena = Arena.ofShared()) {
            int aRows = cs.ta() == Trans.N ? cs.m() : cs.k(), aCols = cs.ta() == Trans.N ? cs.k() : cs.m();
            int bRows = cs.tb() == Trans.N ? cs.k() : cs.n(), bCols = cs.tb() == Trans.N ? cs.n() : cs.k();
            Matrix a = matrix(arena, rnd, cs.heap(), aRows, aCols, aCols + cs.padA(), cs.offA(), Float.NaN);
            Matrix b = matrix(arena, rnd, cs.heap(), bRows, bCols, bCols + cs.padB(), cs.offB(), Float.NaN);
            Matrix c = matrix(arena, rnd, cs.heap(), cs.m(), cs.n(), cs.n() + cs.padC(), cs.offC(), GUARD);
            if (cs.beta() == 0f) GemmFixture.fill(c, Float.NaN);
            Expected want = expected(cs.ta(), cs.tb(), cs.m(), cs.n(), cs.k(), cs.alpha(), a, b, cs.beta(), c, 0);
            gemm.sgemm(cs.ta(), cs.tb(), cs.m(), cs.n(), cs.k(), cs.alpha(), a.seg(), a.off(), a.ld(),
                    b.seg(), b.off(), b.ld(), cs.beta(), c.seg(), c.off(), c.ld(), par);
            String what = gemm + " " + cs + " on " + par;
            assertMatches(want, c, 0, what);
            assertGuardsIntact(c, what);
            return c.snapshot();
        }
    }

    @Test
    void everyTransposeAndScalarCombination() {
        int[][] shapes = {{7, 17, 33}, {17, 33, 5}};
        long seed = 1;
        for (int[] s : shapes) {
            for (Trans ta : TRANS) {
                for (Trans tb : TRANS) {
                    for (float alpha : SCALARS) {
                        for (float beta : SCALARS) {
                            runAndCheck(new Case(ta, tb, s[0], s[1], s[2], alpha, beta, 2, 3, 1, 3, 1, 2, false),
                                    Parallelism.single(), seed++);
                        }
                    }
                }
            }
        }
    }

    @Test
    void randomShapesMatchOracle() {
        Random rnd = new Random(20261127);
        Parallelism[] pars = {Parallelism.single(), Parallelism.threads(2), Parallelism.threads(3)};
        for (int t = 0; t < randomTriples(); t++) {
            int m = SIZES[rnd.nextInt(SIZES.length)], n = SIZES[rnd.nextInt(SIZES.length)];
            int k = SIZES[rnd.nextInt(SIZES.length)];
            runAndCheck(random(rnd, m, n, k), pars[rnd.nextInt(3)], rnd.nextLong());
        }
    }

    @Test
    void vectorShapesMatchOracle() {
        // m == 1 and n == 1 are matrix-vector products (their own path in the SIMD kernels)
        Random rnd = new Random(77);
        int[][] shapes = {{1, 1, 1}, {1, 257, 100}, {1, 33, 257}, {100, 1, 257}, {257, 1, 33}, {1, 1, 65},
                {1, 17, 1}, {17, 1, 0}, {1, 1000, 31}};
        for (int[] s : shapes) {
            for (Trans ta : TRANS) {
                for (Trans tb : TRANS) {
                    Case cs = random(rnd, s[0], s[1], s[2]);
                    runAndCheck(new Case(ta, tb, s[0], s[1], s[2], cs.alpha(), cs.beta(), cs.padA(), cs.padB(),
                            cs.padC(), cs.offA(), cs.offB(), cs.offC(), cs.heap()), Parallelism.threads(2), rnd.nextLong());
                }
            }
        }
    }

    @Test
    void resultsAreBitIdenticalForAnyThreadCount() {
        Random rnd = new Random(5);
        int[][] shapes = {{129, 257, 100}, {257, 65, 63}, {33, 257, 129}, {100, 129, 257}, {1, 257, 257},
                {257, 1, 129}, {65, 33, 300}};
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            for (int[] s : shapes) {
                Case cs = random(rnd, s[0], s[1], s[2]);
                long seed = rnd.nextLong();
                float[] one = runAndCheck(cs, Parallelism.single(), seed);
                assertBitIdentical(one, runAndCheck(cs, Parallelism.threads(2), seed), cs + " 2 threads");
                assertBitIdentical(one, runAndCheck(cs, Parallelism.threads(3), seed), cs + " 3 threads");
                assertBitIdentical(one, runAndCheck(cs, Parallelism.on(pool, 2), seed), cs + " injected executor");
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void betaZeroOverwritesNaNAndAlphaZeroReadsNeitherAnorB() {
        try (Arena arena = Arena.ofConfined()) {
            Random rnd = new Random(3);
            for (Trans ta : TRANS) {
                Matrix a = matrix(arena, rnd, false, 9, 20, 20, 0, Float.NaN);
                Matrix b = matrix(arena, rnd, false, 20, 18, 18, 0, Float.NaN);
                Matrix c = matrix(arena, rnd, false, 9, 18, 18, 0, GUARD);
                // alpha == 0: A and B are NaN everywhere and must not be read; C = beta * C exactly
                GemmFixture.fill(a, Float.NaN);
                GemmFixture.fill(b, Float.NaN);
                float[] before = c.snapshot();
                gemm().sgemm(ta, Trans.N, 9, 18, 20, 0f, a.seg(), 0, 20, b.seg(), 0, 18, -1.5f, c.seg(), 0, 18,
                        Parallelism.single());
                for (int i = 0; i < 9 * 18; i++) {
                    assertEquals(-1.5f * before[i], c.seg().getAtIndex(JAVA_FLOAT, i), "alpha=0, C[" + i + "]");
                }
                // alpha == 0 and beta == 0: C = 0 even where it held NaN
                GemmFixture.fill(c, Float.NaN);
                gemm().sgemm(ta, Trans.T, 9, 18, 20, 0f, a.seg(), 0, 20, b.seg(), 0, 20, 0f, c.seg(), 0, 18,
                        Parallelism.single());
                for (int i = 0; i < 9 * 18; i++) assertEquals(0f, c.seg().getAtIndex(JAVA_FLOAT, i));
                // k == 0: C = beta * C, A and B not read
                GemmFixture.fill(c, 2f);
                gemm().sgemm(ta, Trans.N, 9, 18, 0, 1f, a.seg(), 0, 20, b.seg(), 0, 18, 0.5f, c.seg(), 0, 18,
                        Parallelism.single());
                for (int i = 0; i < 9 * 18; i++) assertEquals(1f, c.seg().getAtIndex(JAVA_FLOAT, i));
                assertGuardsIntact(c, "alpha/k = 0");
            }
        }
    }

    @Test
    void gemvMatchesOracle() {
        Random rnd = new Random(11);
        int[][] shapes = {{0, 5}, {5, 0}, {1, 1}, {3, 7}, {17, 33}, {65, 16}, {100, 257}, {257, 129}, {8, 1000}};
        for (int[] s : shapes) {
            for (Trans ta : TRANS) {
                for (int t = 0; t < 2; t++) {
                    int m = s[0], n = s[1];
                    float alpha = SCALARS[rnd.nextInt(4)], beta = SCALARS[rnd.nextInt(4)];
                    int lda = n + rnd.nextInt(3);
                    int xLen = ta == Trans.N ? n : m, yLen = ta == Trans.N ? m : n;
                    boolean heap = rnd.nextBoolean();
                    Parallelism par = t == 0 ? Parallelism.single() : Parallelism.threads(3);
                    try (Arena arena = Arena.ofShared()) {
                        Matrix a = matrix(arena, rnd, heap, m, n, lda, 2, Float.NaN);
                        Matrix x = matrix(arena, rnd, heap, 1, xLen, xLen, 1, Float.NaN);
                        Matrix y = matrix(arena, rnd, heap, 1, yLen, yLen, 3, GUARD);
                        if (beta == 0f) GemmFixture.fill(y, Float.NaN);
                        // y (1 x yLen) = alpha * x^T op(A)^T + beta * y, which is sgemm with m = 1
                        Expected want = expected(Trans.N, ta == Trans.N ? Trans.T : Trans.N, 1, yLen, xLen,
                                alpha, x, a, beta, y, 0);
                        gemm().sgemv(ta, m, n, alpha, a.seg(), a.off(), lda, x.seg(), x.off(), beta, y.seg(), y.off(), par);
                        String what = "sgemv(" + ta + " m=" + m + " n=" + n + " alpha=" + alpha + " beta=" + beta + ")";
                        assertMatches(want, y, 0, what);
                        assertGuardsIntact(y, what);
                    }
                }
            }
        }
    }

    @Test
    void batchedMatchesOracleAndIsThreadIndependent() {
        Random rnd = new Random(13);
        int[][] shapes = {{7, 9, 5, 3}, {33, 17, 65, 4}, {1, 40, 24, 5}, {16, 16, 16, 0}, {65, 100, 33, 2},
                {20, 30, 40, 9}};
        for (int[] s : shapes) {
            int m = s[0], n = s[1], k = s[2], batch = s[3];
            Case cs = random(rnd, m, n, k);
            Trans ta = cs.ta(), tb = cs.tb();
            int aRows = ta == Trans.N ? m : k, aCols = ta == Trans.N ? k : m;
            int bRows = tb == Trans.N ? k : n, bCols = tb == Trans.N ? n : k;
            int lda = aCols + cs.padA(), ldb = bCols + cs.padB(), ldc = n + cs.padC();
            boolean sharedA = rnd.nextBoolean();
            long strideA = sharedA ? 0 : (long) aRows * lda + 3;
            long strideB = (long) bRows * ldb + 1, strideC = (long) m * ldc + 2;
            long seed = rnd.nextLong();
            float[] first = null;
            for (Parallelism par : new Parallelism[] {Parallelism.single(), Parallelism.threads(3)}) {
                Random data = new Random(seed);
                try (Arena arena = Arena.ofShared()) {
                    Matrix a = matrix(arena, data, cs.heap(), aRows, aCols, lda, 1, strideA, sharedA ? 1 : batch, Float.NaN);
                    Matrix b = matrix(arena, data, cs.heap(), bRows, bCols, ldb, 2, strideB, batch, Float.NaN);
                    Matrix c = matrix(arena, data, cs.heap(), m, n, ldc, 3, strideC, batch, GUARD);
                    if (cs.beta() == 0f) GemmFixture.fill(c, Float.NaN);
                    Expected[] want = new Expected[batch];
                    for (int i = 0; i < batch; i++) {
                        // product i reads A at a.off() + i*strideA (strideA is 0 when A is shared)
                        Matrix ai = new Matrix(a.seg(), a.off() + i * strideA, aRows, aCols, lda, 0, 1);
                        want[i] = expected(ta, tb, m, n, k, cs.alpha(), ai, b, cs.beta(), c, i);
                    }
                    gemm().sgemmBatched(ta, tb, m, n, k, cs.alpha(), a.seg(), a.off(), lda, strideA,
                            b.seg(), b.off(), ldb, strideB, cs.beta(), c.seg(), c.off(), ldc, strideC, batch, par);
                    String what = "sgemmBatched(" + ta + tb + " " + m + "x" + n + "x" + k + " batch=" + batch
                            + (sharedA ? " shared A" : "") + ") on " + par;
                    for (int i = 0; i < batch; i++) assertMatches(want[i], c, i, what + " #" + i);
                    assertGuardsIntact(c, what);
                    if (first == null) first = c.snapshot();
                    else assertBitIdentical(first, c.snapshot(), what);
                }
            }
        }
    }
}
