package io.tensorlane.kernels;

import static io.tensorlane.kernels.GemmFixture.assertBitIdentical;
import static io.tensorlane.kernels.GemmFixture.matrix;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.GemmFixture.Matrix;
import io.tensorlane.kernels.simd.VectorGemm;
import io.tensorlane.kernels.simd.VectorWidth;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The split-k product {@code [A1 | A2] [B1 ; B2]} and the product over a pre-packed B, SIMD against the
 * scalar twin (both sum each element over k1 then k2 in order with fma and combine alike, so they agree
 * bit for bit), packed against unpacked, one thread against three, default against tiny blockings whose
 * kc blocks fall across k1, on awkward shapes with padded leading dims, offsets and heap segments.
 */
@Tag("simd")
class GemmSplitKPackedTest {
    private static final int NR = 2 * VectorWidth.FLOAT.length();
    private static final GemmKernels SCALAR = Kernels.get(Impl.SCALAR).gemm();
    private static final GemmKernels SIMD = Kernels.get(Impl.SIMD).gemm();
    /** Shapes m, n, k1, k2: tails in every direction, k1 not a multiple of any kc, k2 = 0, m above the 256-row blocks. */
    private static final int[][] SHAPES = {
            {1, 1, 1, 1}, {3, 5, 7, 2}, {4, NR, 16, 16}, {5, NR + 3, 17, 9}, {9, 3 * NR - 1, 33, 40},
            {13, 2 * NR, 1, 30}, {7, 37, 25, 0}, {2, 50, 300, 13}, {261, 2 * NR + 5, 11, 6}, {64, 4 * NR, 64, 64}};

    private record Operands(Matrix a1, Matrix a2, Matrix b1, Matrix b2, Matrix c, float alpha, float beta) {
    }

    private static Operands operands(Arena arena, Random rnd, int m, int n, int k1, int k2) {
        boolean heap = rnd.nextBoolean();
        Matrix a1 = matrix(arena, rnd, heap, m, k1, k1 + rnd.nextInt(3), rnd.nextInt(5), Float.NaN);
        Matrix a2 = matrix(arena, rnd, heap, m, Math.max(k2, 1), Math.max(k2, 1) + rnd.nextInt(3), rnd.nextInt(5), Float.NaN);
        Matrix b1 = matrix(arena, rnd, heap, k1, n, n + rnd.nextInt(3), rnd.nextInt(5), Float.NaN);
        Matrix b2 = matrix(arena, rnd, heap, Math.max(k2, 1), n, n + rnd.nextInt(3), rnd.nextInt(5), Float.NaN);
        Matrix c = matrix(arena, rnd, heap, m, n, n + rnd.nextInt(3), rnd.nextInt(5), GemmFixture.GUARD);
        float alpha = rnd.nextBoolean() ? 1f : rnd.nextFloat() * 2 - 1;
        float beta = new float[] {0f, 1f, 0.5f}[rnd.nextInt(3)];
        if (beta == 0f) GemmFixture.fill(c, Float.NaN); // beta = 0 must not read C
        return new Operands(a1, a2, b1, b2, c, alpha, beta);
    }

    private static float[] splitK(GemmKernels g, Operands o, int m, int n, int k1, int k2, Parallelism par) {
        float[] before = o.c.snapshot();
        g.sgemmSplitK(m, n, k1, k2, o.alpha, o.a1.seg(), o.a1.off(), o.a1.ld(), o.a2.seg(), o.a2.off(), o.a2.ld(),
                o.b1.seg(), o.b1.off(), o.b1.ld(), o.b2.seg(), o.b2.off(), o.b2.ld(), o.beta, o.c.seg(), o.c.off(), o.c.ld(), par);
        return restore(o.c, before);
    }

    /** Packs [B1 ; B2] below {@code lead} rows of other values and multiplies from row {@code lead}. */
    private static float[] packed(GemmKernels g, Operands o, int m, int n, int k1, int k2, int lead, Parallelism par) {
        PackedMatrix p = g.newPackedB(lead + k1 + k2, n);
        assertEquals(lead + k1 + k2, p.rows());
        assertEquals(n, p.cols());
        if (lead > 0) g.packB(p, 0, Math.min(lead, k1), o.b1.seg(), o.b1.off(), o.b1.ld()); // rows the product must skip
        g.packB(p, lead, k1, o.b1.seg(), o.b1.off(), o.b1.ld());
        if (k2 > 0) g.packB(p, lead + k1, k2, o.b2.seg(), o.b2.off(), o.b2.ld());
        float[] before = o.c.snapshot();
        g.sgemmPacked(m, n, k1, k2, o.alpha, o.a1.seg(), o.a1.off(), o.a1.ld(), o.a2.seg(), o.a2.off(), o.a2.ld(),
                p, lead, o.beta, o.c.seg(), o.c.off(), o.c.ld(), par);
        return restore(o.c, before);
    }

    private static float[] restore(Matrix c, float[] before) {
        float[] after = c.snapshot();
        MemorySegment.copy(MemorySegment.ofArray(before), 0, c.seg(), 0, c.seg().byteSize());
        return after;
    }

    @Test
    void splitKAndPackedMatchTheTwinBitForBit() {
        Random rnd = new Random(61);
        GemmKernels[] simds = {SIMD, new VectorGemm(new GemmBlocking(4, NR, 8, 16, 2 * NR)),
                new VectorGemm(new GemmBlocking(8, NR, 16, 24, 2 * NR))};
        try (Arena arena = Arena.ofShared()) {
            for (int[] s : SHAPES) {
                int m = s[0], n = s[1], k1 = s[2], k2 = s[3];
                Operands o = operands(arena, rnd, m, n, k1, k2);
                String what = "m=" + m + " n=" + n + " k1=" + k1 + " k2=" + k2;
                float[] want = splitK(SCALAR, o, m, n, k1, k2, Parallelism.single());
                assertBitIdentical(want, packed(SCALAR, o, m, n, k1, k2, 3, Parallelism.single()), "scalar packed " + what);
                for (GemmKernels g : simds) {
                    for (Parallelism par : new Parallelism[] {Parallelism.single(), Parallelism.threads(3)}) {
                        String w = g + " " + par + " " + what;
                        assertBitIdentical(want, splitK(g, o, m, n, k1, k2, par), "splitK " + w);
                        assertBitIdentical(want, packed(g, o, m, n, k1, k2, 0, par), "packed " + w);
                        assertBitIdentical(want, packed(g, o, m, n, k1, k2, 5, par), "packed from row 5 " + w);
                    }
                }
                // and the result is the product: the double-precision oracle over [A1 | A2] [B1 ; B2] is close
                for (int i = 0; i < m; i += Math.max(1, m / 7)) {
                    for (int j = 0; j < n; j += Math.max(1, n / 5)) {
                        double sum = 0, mag = 0;
                        for (int p = 0; p < k1; p++) { sum += (double) o.a1.get(0, i, p) * o.b1.get(0, p, j); mag += Math.abs((double) o.a1.get(0, i, p) * o.b1.get(0, p, j)); }
                        for (int p = 0; p < k2; p++) { sum += (double) o.a2.get(0, i, p) * o.b2.get(0, p, j); mag += Math.abs((double) o.a2.get(0, i, p) * o.b2.get(0, p, j)); }
                        double c = o.beta == 0f ? 0 : o.c.get(0, i, j);
                        double exp = o.alpha * sum + o.beta * c;
                        double got = want[(int) o.c.index(0, i, j)];
                        assertTrue(Math.abs(got - exp) <= 2 * (k1 + k2 + 3) * 0x1p-24 * (Math.abs(o.alpha) * mag + Math.abs(o.beta * c)) + 1e-30,
                                what + " (" + i + "," + j + "): " + got + " vs " + exp);
                    }
                }
            }
        }
    }

    @Test
    void withoutSecondPairThePackedProductIsTheSgemm() {
        Random rnd = new Random(67);
        try (Arena arena = Arena.ofShared()) {
            for (int[] s : new int[][] {{5, NR + 3, 17}, {64, 128, 512}, {300, 2 * NR + 1, 40}, {2, 2, 9}, {2, 33, 20}}) {
                // (m or n = 1 would take sgemm's matrix-vector path, which sums in another order)
                int m = s[0], n = s[1], k = s[2];
                Operands o = operands(arena, rnd, m, n, k, 0);
                float[] before = o.c.snapshot();
                SIMD.sgemm(Trans.N, Trans.N, m, n, k, o.alpha, o.a1.seg(), o.a1.off(), o.a1.ld(), o.b1.seg(), o.b1.off(), o.b1.ld(),
                        o.beta, o.c.seg(), o.c.off(), o.c.ld(), Parallelism.single());
                float[] want = restore(o.c, before);
                assertBitIdentical(want, packed(SIMD, o, m, n, k, 0, 2, Parallelism.threads(2)), "packed vs sgemm " + m + "x" + n + "x" + k);
                assertBitIdentical(want, splitK(SIMD, o, m, n, k, 0, Parallelism.single()), "splitK vs sgemm " + m + "x" + n + "x" + k);
            }
        }
    }

    @Test
    void packedMatricesAreCheckedAndOwned() {
        for (GemmKernels g : new GemmKernels[] {SCALAR, SIMD}) {
            assertThrows(IllegalArgumentException.class, () -> g.newPackedB(0, 4));
            assertThrows(IllegalArgumentException.class, () -> g.newPackedB(4, 0));
            assertThrows(IllegalArgumentException.class, () -> g.newPackedB(1 << 16, 1 << 16));
        }
        PackedMatrix fromScalar = SCALAR.newPackedB(3, 4), fromSimd = SIMD.newPackedB(3, 4);
        MemorySegment b = MemorySegment.ofArray(new float[12]), a = MemorySegment.ofArray(new float[6]);
        MemorySegment c = MemorySegment.ofArray(new float[8]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SIMD.packB(fromScalar, 0, 3, b, 0, 4));
        assertTrue(e.getMessage().contains("another kernel set"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SCALAR.packB(fromSimd, 0, 3, b, 0, 4));
        assertThrows(IllegalArgumentException.class,
                () -> SIMD.sgemmPacked(2, 4, 3, 0, 1f, a, 0, 3, null, 0, 0, fromScalar, 0, 0f, c, 0, 4, Parallelism.single()));
    }
}
