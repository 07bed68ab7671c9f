package io.tensorlane.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tensorlane.kernels.RecurrentGoldenTest.Placed;
import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Finite-difference checks of every recurrent backward (RNN and LSTM, single step and sequence, with
 * and without an initial cell state and an upstream cell gradient) and of the smooth-L1 gradient:
 * centred differences in double of {@code L = sum(h*dh) + sum(cLast*dcLast)} against the analytic
 * grads, for every input element.
 *
 * <p>Tolerance: the forward is float32, so L carries rounding noise of about 1e-7 relative per term;
 * with step 1e-2 that is below 1e-4 in the quotient, and the centred truncation error (eps^2/6 times
 * a third derivative of O(1) weights) is of the same order. Each grad must agree within
 * 2e-3 * (1 + |grad|), while a wrong gate or a missing term is off by O(0.1 .. 1).
 */
class RecurrentGradientCheckTest {
    static final double EPS = 1e-2;

    /** The inputs of one problem, perturbable by index: x, h0, c0, wx, wh, b. */
    static final class Problem {
        final int gates, n, t, d, h;
        final boolean withC0, withDcLast;
        final float[][] in; // x, h0, c0, wx, wh, b
        final float[] dh, dcLast;

        Problem(Random r, int gates, int n, int t, int d, int h, boolean withC0, boolean withDcLast) {
            this.gates = gates;
            this.n = n;
            this.t = t;
            this.d = d;
            this.h = h;
            this.withC0 = withC0;
            this.withDcLast = withDcLast;
            in = new float[][] {RecurrentSimdTest.rand(r, n * t * d, 1f), RecurrentSimdTest.rand(r, n * h, 1f),
                    RecurrentSimdTest.rand(r, n * h, 1f), RecurrentSimdTest.rand(r, d * gates * h, 0.5f),
                    RecurrentSimdTest.rand(r, h * gates * h, 0.5f), RecurrentSimdTest.rand(r, gates * h, 0.5f)};
            dh = RecurrentSimdTest.rand(r, n * t * h, 1f);
            dcLast = RecurrentSimdTest.rand(r, n * h, 1f);
        }

        /** L in double from a float forward. */
        double loss(KernelSet k) {
            try (Arena arena = Arena.ofConfined()) {
                Placed x = Placed.of(arena, in[0]), h0 = Placed.of(arena, in[1]), c0 = Placed.of(arena, in[2]);
                Placed wx = Placed.of(arena, in[3]), wh = Placed.of(arena, in[4]), b = Placed.of(arena, in[5]);
                Placed hOut = Placed.filled(arena, n * t * h, 0f), cOut = Placed.filled(arena, n * t * h, 0f);
                Placed g = Placed.filled(arena, n * t * 4 * h, 0f), ws = Placed.filled(arena, h, 0f);
                if (gates == 1) {
                    Recurrent.rnnForward(k, n, t, d, h, x.seg(), x.off(), h0.seg(), h0.off(), wx.seg(), wx.off(),
                            wh.seg(), wh.off(), b.seg(), b.off(), hOut.seg(), hOut.off(), ws.seg(), ws.off(), Parallelism.single());
                } else {
                    Recurrent.lstmForward(k, n, t, d, h, x.seg(), x.off(), h0.seg(), h0.off(), withC0 ? c0.seg() : null, c0.off(),
                            wx.seg(), wx.off(), wh.seg(), wh.off(), b.seg(), b.off(), hOut.seg(), hOut.off(),
                            cOut.seg(), cOut.off(), g.seg(), g.off(), Parallelism.single());
                }
                float[] hv = hOut.get(), cv = cOut.get();
                double l = 0;
                for (int i = 0; i < hv.length; i++) l += (double) hv[i] * dh[i];
                if (gates == 4 && withDcLast) {
                    for (int r = 0; r < n; r++) {
                        for (int j = 0; j < h; j++) l += (double) cv[(r * t + t - 1) * h + j] * dcLast[r * h + j];
                    }
                }
                return l;
            }
        }

        /** Analytic grads: dx, dh0, dc0, dWx, dWh, db. */
        float[][] grads(KernelSet k) {
            try (Arena arena = Arena.ofConfined()) {
                Placed x = Placed.of(arena, in[0]), h0 = Placed.of(arena, in[1]), c0 = Placed.of(arena, in[2]);
                Placed wx = Placed.of(arena, in[3]), wh = Placed.of(arena, in[4]), b = Placed.of(arena, in[5]);
                Placed pdh = Placed.of(arena, dh), pdc = Placed.of(arena, dcLast);
                Placed hOut = Placed.filled(arena, n * t * h, 0f), cOut = Placed.filled(arena, n * t * h, 0f);
                Placed g = Placed.filled(arena, n * t * 4 * h, 0f);
                Placed dx = Placed.filled(arena, n * t * d, 0f), dh0 = Placed.filled(arena, n * h, 0f), dc0 = Placed.filled(arena, n * h, 0f);
                Placed dwx = Placed.filled(arena, in[3].length, 0f), dwh = Placed.filled(arena, in[4].length, 0f);
                Placed db = Placed.filled(arena, in[5].length, 0f);
                Parallelism p = Parallelism.single();
                if (gates == 1) {
                    Placed ws = Placed.filled(arena, (int) Recurrent.rnnBackwardWorkspace(n, t, h), 0f);
                    Recurrent.rnnForward(k, n, t, d, h, x.seg(), x.off(), h0.seg(), h0.off(), wx.seg(), wx.off(),
                            wh.seg(), wh.off(), b.seg(), b.off(), hOut.seg(), hOut.off(), ws.seg(), ws.off(), p);
                    Recurrent.rnnBackward(k, n, t, d, h, x.seg(), x.off(), h0.seg(), h0.off(), wx.seg(), wx.off(),
                            wh.seg(), wh.off(), hOut.seg(), hOut.off(), pdh.seg(), pdh.off(), dx.seg(), dx.off(),
                            dh0.seg(), dh0.off(), dwx.seg(), dwx.off(), dwh.seg(), dwh.off(), db.seg(), db.off(), ws.seg(), ws.off(), p);
                    return new float[][] {dx.get(), dh0.get(), null, dwx.get(), dwh.get(), db.get()};
                }
                Placed ws = Placed.filled(arena, (int) Recurrent.lstmBackwardWorkspace(n, t, h), 0f);
                Recurrent.lstmForward(k, n, t, d, h, x.seg(), x.off(), h0.seg(), h0.off(), withC0 ? c0.seg() : null, c0.off(),
                        wx.seg(), wx.off(), wh.seg(), wh.off(), b.seg(), b.off(), hOut.seg(), hOut.off(),
                        cOut.seg(), cOut.off(), g.seg(), g.off(), p);
                Recurrent.lstmBackward(k, n, t, d, h, x.seg(), x.off(), h0.seg(), h0.off(), withC0 ? c0.seg() : null, c0.off(),
                        wx.seg(), wx.off(), wh.seg(), wh.off(), hOut.seg(), hOut.off(), cOut.seg(), cOut.off(), g.seg(), g.off(),
                        pdh.seg(), pdh.off(), withDcLast ? pdc.seg() : null, pdc.off(), dx.seg(), dx.off(), dh0.seg(), dh0.off(),
                        dc0.seg(), dc0.off(), dwx.seg(), dwx.off(), dwh.seg(), dwh.off(), db.seg(), db.off(), ws.seg(), ws.off(), p);
                return new float[][] {dx.get(), dh0.get(), withC0 ? dc0.get() : null, dwx.get(), dwh.get(), db.get()};
            }
        }

        void check(KernelSet k, String what) {
            float[][] grads = grads(k);
            String[] names = {"dx", "dh0", "dc0", "dWx", "dWh", "db"};
            int checked = 0;
            for (int a = 0; a < in.length; a++) {
                if (grads[a] == null) continue;
                for (int i = 0; i < in[a].length; i++) {
                    float old = in[a][i];
                    in[a][i] = (float) (old + EPS);
                    double up = loss(k);
                    in[a][i] = (float) (old - EPS);
                    double down = loss(k);
                    in[a][i] = old;
                    double numeric = (up - down) / (2 * EPS);
                    double analytic = grads[a][i];
                    if (!(Math.abs(numeric - analytic) <= 2e-3 * (1 + Math.abs(analytic)))) {
                        fail(what + " " + names[a] + "[" + i + "]: analytic " + analytic + ", numeric " + numeric);
                    }
                    checked++;
                }
            }
            assertTrue(checked > 0);
        }
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void rnnStepAndSequence(Impl impl) {
        KernelSet k = Kernels.get(impl);
        Random r = new Random(21);
        new Problem(r, 1, 2, 1, 3, 4, false, false).check(k, impl + " rnn step");
        new Problem(r, 1, 2, 4, 3, 5, false, false).check(k, impl + " rnn seq");
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void lstmStepAndSequence(Impl impl) {
        KernelSet k = Kernels.get(impl);
        Random r = new Random(22);
        new Problem(r, 4, 2, 1, 3, 3, true, true).check(k, impl + " lstm step");
        new Problem(r, 4, 2, 3, 2, 3, false, false).check(k, impl + " lstm seq, c0 = 0");
        new Problem(r, 4, 1, 4, 3, 2, true, true).check(k, impl + " lstm seq with c0 and dcLast");
    }

    @ParameterizedTest
    @EnumSource(Impl.class)
    void smoothL1(Impl impl) {
        KernelSet k = Kernels.get(impl);
        Random r = new Random(23);
        for (float beta : new float[] {0.5f, 1f, 0f}) {
            int n = 13;
            float[] p = RecurrentSimdTest.rand(r, n, 1.5f), t = RecurrentSimdTest.rand(r, n, 1.5f);
            float[] g;
            try (Arena arena = Arena.ofConfined()) {
                Placed pp = Placed.of(arena, p), pt = Placed.of(arena, t), pg = Placed.filled(arena, n, 0f);
                Detection.smoothL1(k, n, beta, pp.seg(), pp.off(), pt.seg(), pt.off(), pg.seg(), pg.off());
                g = pg.get();
            }
            double eps = 1e-3; // no |d| lies within eps of beta or of 0 here (checked below): the loss is smooth there
            for (int i = 0; i < n; i++) {
                double d = p[i] - t[i];
                if (Math.abs(Math.abs(d) - beta) < 2 * eps || Math.abs(d) < 2 * eps) continue;
                float old = p[i];
                p[i] = (float) (old + eps);
                double up = loss(k, n, beta, p, t);
                p[i] = (float) (old - eps);
                double down = loss(k, n, beta, p, t);
                p[i] = old;
                double numeric = (up - down) / ((double) (float) (old + eps) - (double) (float) (old - eps));
                if (!(Math.abs(numeric - g[i]) <= 1e-4 * (1 + Math.abs(g[i])))) {
                    fail(impl + " smoothL1 beta=" + beta + " grad[" + i + "]: analytic " + g[i] + ", numeric " + numeric);
                }
            }
        }
    }

    private static double loss(KernelSet k, int n, float beta, float[] p, float[] t) {
        try (Arena arena = Arena.ofConfined()) {
            Placed pp = Placed.of(arena, p), pt = Placed.of(arena, t);
            return Detection.smoothL1(k, n, beta, pp.seg(), pp.off(), pt.seg(), pt.off(), null, 0);
        }
    }

    @Test
    void lstmOfLength200KeepsGradientsFinite() {
        KernelSet k = Kernels.get();
        Random r = new Random(24);
        Problem p = new Problem(r, 4, 2, 200, 4, 8, true, true);
        // large weights saturate the gates: the regime where a careless backward overflows or makes NaN
        for (int i = 0; i < p.in[4].length; i++) p.in[4][i] *= 4f;
        float[][] g = p.grads(k);
        for (int a = 0; a < g.length; a++) {
            for (float v : g[a]) {
                if (!Float.isFinite(v)) fail("grad " + a + " has a non-finite value " + v);
            }
        }
        double sum = 0;
        for (float v : g[3]) sum += Math.abs(v);
        assertTrue(sum > 0, "dWx is not all zero");
    }
}
