package io.tensorlane.kernels;

import io.tensorlane.kernels.GuardedBuffer.Memory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Random;

import static io.tensorlane.kernels.FloatAsserts.assertClose;
import static io.tensorlane.kernels.FloatAsserts.assertExact;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The SIMD batch-norm, dropout and optimizer kernels against their scalar twins on awkward shapes (sizes around
 * every vector width, planes longer than one statistics block, more rows than one row block), odd offsets, heap and
 * off-heap memory; guard elements must keep their sentinel. Tagged "simd": re-run at 128/256/512-bit caps.
 *
 * <p>Tolerances: batch-norm statistics are float sums over blocks of at most 2048 centred values merged in double
 * (the twin: two passes in double), so mean/var/out agree to a few 1e-6 relative (checked at 2e-5 relative plus
 * 2e-5 of the data's scale); dx sums dout*(x-mean) the same way (checked at 1e-4 of the gradient scale). Dropout
 * masks and the optimizer updates use the same integer / float operations as the twin: exact.
 */
@Tag("simd")
class NormSimdMatchesScalarTest {
    private final KernelSet ref = Kernels.get(Impl.SCALAR);
    private final KernelSet simd = Kernels.get(Impl.SIMD);

    /** {outer, channels, inner}: per-feature (inner 1) and spatial shapes. */
    static final long[][] SHAPES = {{1, 1, 1}, {1, 3, 7}, {3, 7, 1}, {2, 5, 17}, {4, 3, 33}, {5, 65, 1}, {2, 2, 2049},
            {130, 9, 1}, {3, 17, 65}, {1, 2, 4100}, {2, 33, 1}, {7, 4, 9},
            // many small planes: statistics blocks of several whole planes (and a partial last group), masked tails
            {64, 3, 16}, {300, 2, 7}, {45, 3, 100}, {3, 2, 2048},
            // image-major small planes: several blocks of images (and a partial last one), vector-multiple planes
            // at every width, and more channels per image than one pass takes (sub-ranges of whole channels)
            {70, 5, 64}, {9, 4, 8}, {33, 7, 32}, {5, 40, 256}, {40, 3, 128}};

    private static float[] random(Random r, int n, double center, double spread) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (center + spread * r.nextGaussian());
        return v;
    }

    private static float max(float[] v) {
        float m = 0;
        for (float f : v) m = Math.max(m, Math.abs(f));
        return m;
    }

    private record BnOut(float[] y, float[] mean, float[] var, float[] rm, float[] rv, float[] dx, float[] dg, float[] db) {
    }

    private static BnOut batchNorm(KernelSet k, Memory mem, long off, long[] s, float[] x, float[] dout, float[] gamma,
                                   float[] beta, float[] rm0, float[] rv0, boolean training, boolean perChannelCalls,
                                   float[] bwdMean, float[] bwdVar) {
        long outer = s[0], ch = s[1], inner = s[2], n = outer * ch * inner;
        try (Arena arena = Arena.ofConfined()) {
            GuardedBuffer xb = GuardedBuffer.floats(mem, arena, off, x), db = GuardedBuffer.floats(mem, arena, off, dout);
            GuardedBuffer g = GuardedBuffer.floats(mem, arena, off, gamma), b = GuardedBuffer.floats(mem, arena, off, beta);
            GuardedBuffer rm = GuardedBuffer.floats(mem, arena, off, rm0), rv = GuardedBuffer.floats(mem, arena, off, rv0);
            GuardedBuffer y = GuardedBuffer.floats(mem, arena, off, n), dx = GuardedBuffer.floats(mem, arena, off, n);
            GuardedBuffer mean = GuardedBuffer.floats(mem, arena, off, ch), var = GuardedBuffer.floats(mem, arena, off, ch);
            GuardedBuffer dg = GuardedBuffer.floats(mem, arena, off, ch), dbeta = GuardedBuffer.floats(mem, arena, off, ch);
            long step = perChannelCalls ? 1 : ch;
            for (long c0 = 0; c0 < ch; c0 += step) {
                long c1 = Math.min(ch, c0 + step);
                if (training) {
                    k.norm().batchNormTrainForward(outer, ch, inner, c0, c1, xb.seg, off, g.seg, off, b.seg, off, 1e-5f, 0.9f,
                            rm.seg, off, rv.seg, off, y.seg, off, mean.seg, off, var.seg, off);
                } else {
                    k.norm().batchNormEvalForward(outer, ch, inner, c0, c1, xb.seg, off, g.seg, off, b.seg, off,
                            rm.seg, off, rv.seg, off, 1e-5f, y.seg, off);
                }
            }
            GuardedBuffer sm = training ? mean : rm, sv = training ? var : rv;
            // the backward of the SIMD set gets the twin's batch statistics: dgamma depends on the mean through
            // sum(dout) * (mean error), and the two forwards may round the mean to different neighbouring floats
            if (training && bwdMean != null) {
                sm = GuardedBuffer.floats(mem, arena, off, bwdMean);
                sv = GuardedBuffer.floats(mem, arena, off, bwdVar);
            }
            for (long c0 = 0; c0 < ch; c0 += step) {
                long c1 = Math.min(ch, c0 + step);
                k.norm().batchNormBackward(training, outer, ch, inner, c0, c1, xb.seg, off, db.seg, off, g.seg, off,
                        sm.seg, off, sv.seg, off, 1e-5f, dx.seg, off, dg.seg, off, dbeta.seg, off);
            }
            for (GuardedBuffer o : new GuardedBuffer[] {y, dx, mean, var, dg, dbeta, rm, rv}) o.assertGuardsIntact("batch norm");
            return new BnOut(y.toFloats(), mean.toFloats(), var.toFloats(), rm.toFloats(), rv.toFloats(), dx.toFloats(),
                    dg.toFloats(), dbeta.toFloats());
        }
    }

    @Test
    void batchNormMatchesTwin() {
        Random r = new Random(61);
        int i = 0;
        for (long[] s : SHAPES) {
            for (boolean training : new boolean[] {true, false}) {
                int n = (int) (s[0] * s[1] * s[2]), ch = (int) s[1];
                // an offset mean (the cancellation case) and a spread that differs per shape
                double center = (i % 3 == 0) ? 50 : -0.5, spread = 0.1 + i % 4;
                float[] x = random(r, n, center, spread), dout = random(r, n, 0.2, 1);
                float[] gamma = random(r, ch, 1, 0.3), beta = random(r, ch, 0, 1);
                float[] rm = random(r, ch, center, 1), rv = new float[ch];
                for (int c = 0; c < ch; c++) rv[c] = (float) (spread * spread * (0.5 + r.nextDouble()));
                Memory mem = i % 2 == 0 ? Memory.NATIVE : Memory.HEAP;
                long off = i % 3;
                BnOut e = batchNorm(ref, mem, off, s, x, dout, gamma, beta, rm, rv, training, false, null, null);
                BnOut a = batchNorm(simd, mem, off, s, x, dout, gamma, beta, rm, rv, training, false, e.mean(), e.var());
                String what = java.util.Arrays.toString(s) + (training ? " train" : " eval");
                double outScale = max(e.y()), dxScale = Math.max(max(e.dx()), 1e-30f);
                assertClose(what + " out", e.y(), a.y(), 2e-5, 2e-5 * outScale);
                assertClose(what + " dx", e.dx(), a.dx(), 1e-4, 1e-4 * dxScale);
                assertClose(what + " dgamma", e.dg(), a.dg(), 1e-4, 1e-4 * Math.max(max(e.dg()), 1e-30f) + 1e-4 * Math.sqrt(n));
                assertClose(what + " dbeta", e.db(), a.db(), 1e-4, 1e-5 * n);
                if (training) {
                    assertClose(what + " mean", e.mean(), a.mean(), 2e-6, 2e-6 * spread);
                    assertClose(what + " var", e.var(), a.var(), 2e-5, 1e-9);
                    assertClose(what + " running mean", e.rm(), a.rm(), 2e-6, 2e-6 * spread);
                    assertClose(what + " running var", e.rv(), a.rv(), 2e-5, 1e-9);
                }
                // a channel's result does not depend on the channel range it was computed in
                BnOut split = batchNorm(simd, mem, off, s, x, dout, gamma, beta, rm, rv, training, true, e.mean(), e.var());
                assertExact(what + " split out", a.y(), split.y());
                assertExact(what + " split dx", a.dx(), split.dx());
                assertExact(what + " split dgamma", a.dg(), split.dg());
                i++;
            }
        }
    }

    @Test
    void dropoutMasksAreBitIdenticalToTheTwin() {
        Random r = new Random(62);
        long[][] cases = {{1, 0}, {7, 3}, {17, 100}, {65, (1L << 32) - 20}, {1000, (1L << 33) - 999}, {4097, 12345}};
        for (long[] cs : cases) {
            int n = (int) cs[0];
            long index0 = cs[1];
            for (float p : new float[] {0f, 0.2f, 0.5f, 0.9f}) {
                float[] x = random(r, n, 0, 3);
                long seed = r.nextLong();
                float[][] res = new float[2][];
                float[][] masks = new float[2][];
                int j = 0;
                for (KernelSet k : new KernelSet[] {ref, simd}) {
                    try (Arena arena = Arena.ofConfined()) {
                        GuardedBuffer xb = GuardedBuffer.floats(Memory.NATIVE, arena, 1, x);
                        GuardedBuffer m = GuardedBuffer.floats(Memory.NATIVE, arena, 1, n), y = GuardedBuffer.floats(Memory.NATIVE, arena, 1, n);
                        k.norm().dropoutForward(n, index0, seed, DropoutMask.keepThreshold(p), Dropout.scale(p), xb.seg, 1, m.seg, 1, y.seg, 1);
                        m.assertGuardsIntact("mask");
                        y.assertGuardsIntact("y");
                        res[j] = y.toFloats();
                        masks[j++] = m.toFloats();
                    }
                }
                assertExact("dropout mask n=" + n + " p=" + p, masks[0], masks[1]);
                assertExact("dropout y n=" + n + " p=" + p, res[0], res[1]);
                for (int i = 0; i < n; i++) {
                    float keep = DropoutMask.keep(seed, index0 + i, DropoutMask.keepThreshold(p)) ? 1f : 0f;
                    assertEquals(keep, masks[1][i], "mask element " + i);
                }
            }
        }
    }

    @Test
    void dropoutApplyIsExact() {
        Random r = new Random(63);
        for (int n : new int[] {1, 3, 8, 17, 33, 1000}) {
            float[] x = random(r, n, 0, 2), mask = new float[n];
            for (int i = 0; i < n; i++) mask[i] = r.nextBoolean() ? 1f : 0f;
            float[][] res = new float[2][];
            int j = 0;
            for (KernelSet k : new KernelSet[] {ref, simd}) {
                try (Arena arena = Arena.ofConfined()) {
                    GuardedBuffer xb = GuardedBuffer.floats(Memory.HEAP, arena, 2, x), mb = GuardedBuffer.floats(Memory.HEAP, arena, 2, mask);
                    GuardedBuffer y = GuardedBuffer.floats(Memory.HEAP, arena, 2, n);
                    k.norm().dropoutApply(n, Dropout.scale(0.3f), xb.seg, 2, mb.seg, 2, y.seg, 2);
                    y.assertGuardsIntact("y");
                    res[j++] = y.toFloats();
                }
            }
            assertExact("dropoutApply n=" + n, res[0], res[1]);
        }
    }

    @Test
    void optimizerUpdatesAreBitIdenticalToTheTwin() {
        Random r = new Random(64);
        for (int n : new int[] {1, 3, 7, 15, 16, 17, 33, 65, 1000}) {
            for (float wd : new float[] {0f, 0.01f}) {
                for (String op : new String[] {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"}) {
                    float[] w = random(r, n, 0, 1), g = random(r, n, 0, 0.1), s1 = random(r, n, 0, 0.01), s2 = new float[n];
                    for (int i = 0; i < n; i++) s2[i] = (float) Math.abs(r.nextGaussian() * 1e-3);
                    if (op.equals("adagrad") || op.equals("rmsprop")) s1 = s2.clone();
                    float[][][] res = new float[2][][];
                    int j = 0;
                    for (KernelSet k : new KernelSet[] {ref, simd}) {
                        try (Arena arena = Arena.ofConfined()) {
                            long off = n % 3;
                            GuardedBuffer wb = GuardedBuffer.floats(Memory.NATIVE, arena, off, w), gb = GuardedBuffer.floats(Memory.NATIVE, arena, off, g);
                            GuardedBuffer ab = GuardedBuffer.floats(Memory.NATIVE, arena, off, s1), bb = GuardedBuffer.floats(Memory.NATIVE, arena, off, s2);
                            OptimizerKernels o = k.optim();
                            switch (op) {
                                case "sgd" -> o.sgd(n, 0.05f, wd, wb.seg, off, gb.seg, off);
                                case "momentum", "nesterov" -> o.momentum(n, op.equals("nesterov"), 0.05f, 0.9f, wd, wb.seg, off, gb.seg, off, ab.seg, off);
                                case "adagrad" -> o.adagrad(n, 0.05f, 1e-8f, wd, wb.seg, off, gb.seg, off, ab.seg, off);
                                case "rmsprop" -> o.rmsprop(n, 0.05f, 0.99f, 1e-8f, wd, wb.seg, off, gb.seg, off, ab.seg, off);
                                default -> o.adam(n, 0.01f, 0.9f, 0.999f, 1e-8f, Optimizers.biasCorrection(0.9f, 3),
                                        Optimizers.biasCorrection(0.999f, 3), wd, wb.seg, off, gb.seg, off, ab.seg, off, bb.seg, off);
                            }
                            wb.assertGuardsIntact(op + " w");
                            ab.assertGuardsIntact(op + " state");
                            res[j++] = new float[][] {wb.toFloats(), ab.toFloats(), bb.toFloats()};
                        }
                    }
                    for (int t = 0; t < 3; t++) assertExact(op + " n=" + n + " wd=" + wd + " tensor " + t, res[0][t], res[1][t]);
                }
            }
        }
    }

    @Test
    void sumSquaresAndNonFiniteCountMatchTheTwin() {
        Random r = new Random(65);
        for (int n : new int[] {0, 1, 7, 17, 4095, 4097, 10000}) {
            float[] x = random(r, n, 0.5, 2);
            try (Arena arena = Arena.ofConfined()) {
                GuardedBuffer xb = GuardedBuffer.floats(Memory.NATIVE, arena, 3, x);
                double e = ref.optim().sumSquares(n, xb.seg, 3), a = simd.optim().sumSquares(n, xb.seg, 3);
                assertClose("sumSquares n=" + n, e, a, 1e-6, 0);
                assertEquals(0, simd.optim().countNonFinite(n, xb.seg, 3));
                if (n > 3) {
                    xb.seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 3 + n - 1, Float.NaN);
                    xb.seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 3, Float.NEGATIVE_INFINITY);
                    xb.seg.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 3 + n / 2, Float.POSITIVE_INFINITY);
                    assertEquals(3, ref.optim().countNonFinite(n, xb.seg, 3));
                    assertEquals(3, simd.optim().countNonFinite(n, xb.seg, 3));
                }
            }
        }
    }
}
