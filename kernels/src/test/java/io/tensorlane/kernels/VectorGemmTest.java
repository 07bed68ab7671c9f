package io.tensorlane.kernels;

import static io.tensorlane.kernels.GemmFixture.assertBitIdentical;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.simd.VectorGemm;
import io.tensorlane.kernels.simd.VectorWidth;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The Vector API GEMM against the oracle, at every vector width the build runs it with (tag "simd"),
 * plus blockings small enough that every loop of the BLIS nest runs several times on small matrices.
 */
@Tag("simd")
class VectorGemmTest extends GemmContractTest {
    private static final int NR = 2 * VectorWidth.FLOAT.length();

    @Override
    GemmKernels gemm() {
        return Kernels.get(Impl.SIMD).gemm();
    }

    @Override
    int randomTriples() {
        return 60;
    }

    private static void allTransposes(GemmKernels gemm, int[][] shapes, long seed) {
        Random rnd = new Random(seed);
        for (int[] s : shapes) {
            for (Trans ta : TRANS) {
                for (Trans tb : TRANS) {
                    Case r = random(rnd, s[0], s[1], s[2]);
                    Case cs = new Case(ta, tb, s[0], s[1], s[2], r.alpha(), r.beta(), r.padA(), r.padB(), r.padC(),
                            r.offA(), r.offB(), r.offC(), r.heap());
                    runAndCheck(gemm, cs, rnd.nextBoolean() ? Parallelism.single() : Parallelism.threads(3), rnd.nextLong());
                }
            }
        }
    }

    @Test
    void tinyBlockingRunsEveryLoopLevelManyTimes() {
        // mc = 8 rows, kc = 16, nc = 2 panels: a 33 x 65 x 40 product takes 5 x 3 x 3 blocks, with edges everywhere
        GemmKernels tiny = new VectorGemm(new GemmBlocking(4, NR, 8, 16, 2 * NR));
        allTransposes(tiny, new int[][] {{33, 65, 40}, {9, 2 * NR + 1, 17}, {4, NR, 16}, {5, 3, 33}}, 41);
    }

    @Test
    void eightRowMicrokernel() {
        // the 512-bit default; runs here at whatever width this JVM has
        GemmKernels eight = new VectorGemm(new GemmBlocking(8, NR, 16, 24, 2 * NR));
        allTransposes(eight, new int[][] {{33, 65, 40}, {8, NR, 24}, {17, 3 * NR - 1, 7}, {129, 33, 50}}, 43);
    }

    @Test
    void blockingNeverChangesTheResults() {
        // every kc block continues one recursive sum per element, so mc, kc and nc only move work around
        GemmKernels a = new VectorGemm(new GemmBlocking(4, NR, 128, 32, 64 * NR));
        GemmKernels b = new VectorGemm(new GemmBlocking(4, NR, 12, 48, 2 * NR));
        Random rnd = new Random(47);
        for (int[] s : new int[][] {{100, 129, 97}, {37, 5 * NR + 3, 64}}) {
            Case cs = random(rnd, s[0], s[1], s[2]);
            long seed = rnd.nextLong();
            assertBitIdentical(runAndCheck(a, cs, Parallelism.single(), seed),
                    runAndCheck(b, cs, Parallelism.threads(2), seed), cs + " with other mc, kc and nc");
        }
    }

    @Test
    void deepProductsTakeSeveralPassesOverC() {
        // k beyond one pass (4096): the partial sums of each pass are added to C in turn
        GemmKernels tiny = new VectorGemm(new GemmBlocking(4, NR, 8, 700, 2 * NR));
        allTransposes(tiny, new int[][] {{5, NR + 3, 9000}}, 53);
        allTransposes(gemm(), new int[][] {{3, 2 * NR + 1, 4097}}, 59);
    }

    @Test
    void streamedAndBlockPackedNestsAreBitIdentical() {
        // chunks of few rows stream B strip by strip through L1; every other chunk packs B in blocks. Both
        // must give each element the same sum, so forcing either path on the same operands (awkward n, pads,
        // offsets, heap and native, every transpose and scalar pair, beta = 0 over NaN) gives the same bits
        GemmBlocking def = GemmBlocking.forVectorLanes(VectorWidth.FLOAT.length());
        GemmBlocking tiny = new GemmBlocking(4, NR, 8, 16, 2 * NR);
        int[][] shapes = {{64, 3 * NR + 5, 300}, {33, 65, 40}, {5, 2 * NR + 1, 17}, {97, NR - 1, 7},
                {12, 9 * NR + 2, 513}, {2, 3, 2}};
        float[] alphas = {1f, 0.5f, -1.5f};
        Random rnd = new Random(61);
        for (GemmBlocking bl : new GemmBlocking[] {def, tiny}) {
            GemmKernels streamed = new VectorGemm(bl, Integer.MAX_VALUE);
            GemmKernels blocks = new VectorGemm(bl, 0);
            for (int[] s : shapes) {
                for (Trans ta : TRANS) {
                    for (Trans tb : TRANS) {
                        Case r = random(rnd, s[0], s[1], s[2]);
                        Case cs = new Case(ta, tb, s[0], s[1], s[2], alphas[rnd.nextInt(3)], SCALARS[rnd.nextInt(4)],
                                r.padA(), lineMultiplePad(rnd, tb, s[1], s[2]), r.padC(), r.offA(), r.offB(), r.offC(), r.heap());
                        long seed = rnd.nextLong();
                        Parallelism par = rnd.nextBoolean() ? Parallelism.single() : Parallelism.threads(3);
                        assertBitIdentical(runAndCheck(blocks, cs, Parallelism.single(), seed),
                                runAndCheck(streamed, cs, par, seed), cs + " streamed vs block-packed, " + bl);
                    }
                }
            }
        }
    }

    /** A pad for B that makes ldb a multiple of 16 floats (so B streams when it may) in 3 cases of 4. */
    private static int lineMultiplePad(Random rnd, Trans tb, int n, int k) {
        int cols = tb == Trans.N ? n : k;
        int pad = (16 - cols % 16) % 16 + (rnd.nextBoolean() ? 16 : 0);
        return rnd.nextInt(4) == 0 ? rnd.nextInt(5) : pad;
    }

    @Test
    void streamedPathMatchesOracleOnAwkwardShapes() {
        // n not a multiple of NR (partial last strip, odd n), lda > k, offsets, k across several strip
        // depths and one not a multiple of the lanes, every scalar pair, 1-3 threads; ldb a multiple of a
        // cache line so that B streams (and, one case in four, not)
        GemmKernels g = new VectorGemm(GemmBlocking.forVectorLanes(VectorWidth.FLOAT.length()), Integer.MAX_VALUE);
        Random rnd = new Random(67);
        int[][] shapes = {{64, 2 * NR * 5 + 7, 257}, {96, 301, 37}, {4, NR + 1, 600}, {3, 129, 5}, {64, 16, 513}};
        for (int[] s : shapes) {
            for (Trans ta : TRANS) {
                for (float beta : SCALARS) {
                    Case r = random(rnd, s[0], s[1], s[2]);
                    float alpha = beta == 0f ? -1.5f : SCALARS[1 + rnd.nextInt(3)];
                    Case cs = new Case(ta, Trans.N, s[0], s[1], s[2], alpha, beta, r.padA(),
                            lineMultiplePad(rnd, Trans.N, s[1], s[2]), r.padC(), r.offA(), r.offB(), r.offC(), r.heap());
                    Parallelism par = rnd.nextBoolean() ? Parallelism.single() : Parallelism.threads(1 + rnd.nextInt(3));
                    runAndCheck(g, cs, par, rnd.nextLong());
                }
            }
        }
    }

    @Test
    void rejectsANegativeStreamRowCount() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VectorGemm(GemmBlocking.forVectorLanes(VectorWidth.FLOAT.length()), -1));
        assertTrue(e.getMessage().contains("streamRows=-1"), e.getMessage());
    }

    @Test
    void rejectsARegisterTileWithoutMicrokernel() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VectorGemm(new GemmBlocking(6, NR, 12, 64, 4 * NR)));
        assertTrue(e.getMessage().contains("mr=6"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new VectorGemm(new GemmBlocking(4, NR + 2, 8, 64, 4 * (NR + 2))));
    }

    @Test
    void describeReportsTheBlocking() {
        String d = Kernels.describe();
        assertTrue(d.contains("gemm"), d);
        if (Kernels.get().impl() == Impl.SIMD) assertTrue(d.contains("kc="), d);
    }
}
