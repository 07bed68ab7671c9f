package io.tensorlane.kernels;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

import static io.tensorlane.kernels.FloatAsserts.assertClose;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Finite-difference checks of the batch-norm and dropout backward kernels: the loss {@code L = sum(out * dout)} of a
 * double-precision forward written here from the definition is differentiated with centred differences
 * (h = 1e-5, in double), and the kernels' analytic gradients (float) must agree to 1e-3 relative. Both layouts,
 * training and eval, both implementations.
 */
class NormGradientCheckTest {
    private static final double H = 1e-5;
    private static final float EPS = 1e-5f;

    /** {outer, channels, inner}: per-feature and spatial. */
    private static final long[][] SHAPES = {{4, 5, 1}, {2, 3, 6}, {1, 2, 5}};

    @Test
    void scalarBatchNormBackwardMatchesFiniteDifferences() {
        batchNorm(Kernels.get(Impl.SCALAR));
    }

    @Tag("simd")
    @Test
    void simdBatchNormBackwardMatchesFiniteDifferences() {
        batchNorm(Kernels.get(Impl.SIMD));
    }

    @Test
    void scalarDropoutBackwardMatchesFiniteDifferences() {
        dropout(Kernels.get(Impl.SCALAR));
    }

    @Tag("simd")
    @Test
    void simdDropoutBackwardMatchesFiniteDifferences() {
        dropout(Kernels.get(Impl.SIMD));
    }

    /** sum(out * dout) of batch norm in double; training uses batch statistics, else the given mean/var. */
    private static double loss(long[] s, double[] x, double[] gamma, double[] beta, double[] rm, double[] rv,
                               double[] dout, boolean training) {
        int outer = (int) s[0], ch = (int) s[1], inner = (int) s[2];
        double l = 0;
        for (int c = 0; c < ch; c++) {
            double mu = rm[c], va = rv[c];
            if (training) {
                double sum = 0, q = 0;
                for (int o = 0; o < outer; o++) for (int j = 0; j < inner; j++) sum += x[(o * ch + c) * inner + j];
                mu = sum / (outer * inner);
                for (int o = 0; o < outer; o++) {
                    for (int j = 0; j < inner; j++) {
                        double d = x[(o * ch + c) * inner + j] - mu;
                        q += d * d;
                    }
                }
                va = q / (outer * inner);
            }
            for (int o = 0; o < outer; o++) {
                for (int j = 0; j < inner; j++) {
                    int i = (o * ch + c) * inner + j;
                    l += (gamma[c] * (x[i] - mu) / Math.sqrt(va + EPS) + beta[c]) * dout[i];
                }
            }
        }
        return l;
    }

    private interface Loss {
        double at(double[] v);
    }

    private static float[] numeric(double[] v, Loss f) {
        float[] g = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            double keep = v[i];
            v[i] = keep + H;
            double up = f.at(v);
            v[i] = keep - H;
            double down = f.at(v);
            v[i] = keep;
            g[i] = (float) ((up - down) / (2 * H));
        }
        return g;
    }

    private static double[] doubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static float[] randomFloats(Random r, int n, double center, double spread) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (center + spread * r.nextGaussian());
        return v;
    }

    private static MemorySegment seg(Arena a, float[] v) {
        MemorySegment s = a.allocate(Math.max(1, v.length) * 4L, 4);
        MemorySegment.copy(v, 0, s, JAVA_FLOAT, 0, v.length);
        return s;
    }

    private static float[] floats(MemorySegment s, int n) {
        float[] v = new float[n];
        MemorySegment.copy(s, JAVA_FLOAT, 0, v, 0, n);
        return v;
    }

    private static void batchNorm(KernelSet k) {
        Random r = new Random(71);
        for (long[] s : SHAPES) {
            for (boolean training : new boolean[] {true, false}) {
                int n = (int) (s[0] * s[1] * s[2]), ch = (int) s[1];
                float[] x = randomFloats(r, n, 0.5, 2), dout = randomFloats(r, n, 0, 1);
                float[] gamma = randomFloats(r, ch, 1, 0.5), beta = randomFloats(r, ch, 0, 1);
                float[] rm = randomFloats(r, ch, 0.3, 0.5), rv = new float[ch];
                for (int c = 0; c < ch; c++) rv[c] = (float) (0.5 + r.nextDouble());
                float[] dx, dg, db;
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment xs = seg(a, x), ds = seg(a, dout), gs = seg(a, gamma), bs = seg(a, beta);
                    MemorySegment rms = seg(a, rm), rvs = seg(a, rv), y = seg(a, new float[n]);
                    MemorySegment mean = seg(a, new float[ch]), var = seg(a, new float[ch]);
                    MemorySegment dxs = seg(a, new float[n]), dgs = seg(a, new float[ch]), dbs = seg(a, new float[ch]);
                    if (training) {
                        k.norm().batchNormTrainForward(s[0], ch, s[2], 0, ch, xs, 0, gs, 0, bs, 0, EPS, 0.9f, rms, 0, rvs, 0,
                                y, 0, mean, 0, var, 0);
                    }
                    k.norm().batchNormBackward(training, s[0], ch, s[2], 0, ch, xs, 0, ds, 0, gs, 0,
                            training ? mean : rms, 0, training ? var : rvs, 0, EPS, dxs, 0, dgs, 0, dbs, 0);
                    dx = floats(dxs, n);
                    dg = floats(dgs, ch);
                    db = floats(dbs, ch);
                }
                double[] xd = doubles(x), gd = doubles(gamma), bd = doubles(beta), rmd = doubles(rm), rvd = doubles(rv), dd = doubles(dout);
                String what = java.util.Arrays.toString(s) + (training ? " train" : " eval");
                assertClose(what + " dx", numeric(xd, v -> loss(s, v, gd, bd, rmd, rvd, dd, training)), dx, 1e-3, 1e-4);
                assertClose(what + " dgamma", numeric(gd, v -> loss(s, xd, v, bd, rmd, rvd, dd, training)), dg, 1e-3, 1e-4);
                assertClose(what + " dbeta", numeric(bd, v -> loss(s, xd, gd, v, rmd, rvd, dd, training)), db, 1e-3, 1e-4);
            }
        }
    }

    private static void dropout(KernelSet k) {
        Random r = new Random(72);
        int n = 37;
        float p = 0.3f;
        float[] x = randomFloats(r, n, 0, 1), dout = randomFloats(r, n, 0, 1), mask = new float[n];
        for (int i = 0; i < n; i++) mask[i] = r.nextDouble() < p ? 0f : 1f;
        float[] dx;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ds = seg(a, dout), ms = seg(a, mask), dxs = seg(a, new float[n]);
            k.norm().dropoutApply(n, Dropout.scale(p), ds, 0, ms, 0, dxs, 0);
            dx = floats(dxs, n);
        }
        double[] dd = doubles(dout), md = doubles(mask);
        float[] num = numeric(doubles(x), v -> {
            double l = 0;
            for (int i = 0; i < n; i++) l += v[i] * md[i] / (1.0 - p) * dd[i];
            return l;
        });
        assertClose("dropout dx", num, dx, 1e-4, 1e-5);
    }
}
