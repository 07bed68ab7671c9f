package io.tensorlane.kernels;

import static io.tensorlane.kernels.FloatAsserts.assertClose;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tensorlane.kernels.RecurrentGoldenTest.Placed;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SIMD recurrent and detection kernels against their scalar twins on awkward shapes (H around every
 * vector width, odd leading dims and offsets), including whole sequences forward and backward.
 *
 * <p>Tolerances: the element-wise LSTM/RNN kernels differ from the twin only by the polynomial
 * exp/tanh (relative error ~2e-7 per activation, a few activations per output), checked at 2e-6
 * relative plus 1e-7 absolute (outputs near 0 inherit the absolute error of tanh/sigmoid near 1).
 * Whole sequences add the GEMMs' different summation order; values are O(1) sums of at most ~100
 * terms, checked at 1e-4 relative / 1e-5 absolute. IoU and the NMS keep lists must be identical (same
 * float operations); the column sums are exact (same order).
 */
@Tag("simd")
class RecurrentSimdTest {
    static final int[] HS = {1, 3, 4, 7, 8, 9, 15, 16, 17, 33};
    private final KernelSet ref = Kernels.get(Impl.SCALAR);
    private final KernelSet simd = Kernels.get(Impl.SIMD);

    static float[] rand(Random r, int n, float scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * scale);
        return v;
    }

    @Test
    void lstmCellKernelsMatchTwin() {
        Random rnd = new Random(11);
        for (int h : HS) {
            for (int n : new int[] {1, 3}) {
                for (boolean withPrev : new boolean[] {true, false}) {
                    int ldg = 4 * h + 5, ld = h + 2; // odd leading dims: rows are not packed
                    float[] a = rand(rnd, n * ldg, 3f), b = rand(rnd, 4 * h, 1f), cp = rand(rnd, n * ld, 2f);
                    float[][] gates = new float[2][], c = new float[2][], hh = new float[2][];
                    KernelSet[] sets = {ref, simd};
                    for (int s = 0; s < 2; s++) {
                        try (Arena arena = Arena.ofConfined()) {
                            Placed pa = Placed.of(arena, a), pb = Placed.of(arena, b), pcp = Placed.of(arena, cp);
                            Placed pc = Placed.filled(arena, n * ld, 7f), ph = Placed.filled(arena, n * ld, 7f);
                            sets[s].recurrent().lstmForward(n, h, pa.seg(), pa.off(), ldg, pb.seg(), pb.off(),
                                    withPrev ? pcp.seg() : null, pcp.off(), ld, pc.seg(), pc.off(), ld, ph.seg(), ph.off(), ld);
                            gates[s] = pa.get();
                            c[s] = pc.get();
                            hh[s] = ph.get();
                        }
                    }
                    String what = "lstmForward h=" + h + " n=" + n + " prev=" + withPrev;
                    assertClose(what + " gates", gates[0], gates[1], 2e-6, 1e-7);
                    assertClose(what + " c", c[0], c[1], 2e-6, 1e-7);
                    assertClose(what + " h", hh[0], hh[1], 2e-6, 1e-7);
                    // backward from the twin's activations, so both see identical inputs
                    float[] dh = rand(rnd, n * ld, 1f), carry = rand(rnd, n * h, 1f), dcIn = rand(rnd, n * h, 1f);
                    float[][] da = new float[2][], dcp = new float[2][];
                    for (int s = 0; s < 2; s++) {
                        try (Arena arena = Arena.ofConfined()) {
                            Placed pg = Placed.of(arena, gates[0]), pc = Placed.of(arena, c[0]), pcp = Placed.of(arena, cp);
                            Placed pdh = Placed.of(arena, dh), pcarry = Placed.of(arena, carry), pdc = Placed.of(arena, dcIn);
                            Placed pda = Placed.filled(arena, n * ldg, 7f);
                            // dcPrev written in place over dcIn, as the sequence backward does
                            sets[s].recurrent().lstmBackward(n, h, pg.seg(), pg.off(), ldg, pc.seg(), pc.off(), ld,
                                    withPrev ? pcp.seg() : null, pcp.off(), ld, pdh.seg(), pdh.off(), ld,
                                    withPrev ? pcarry.seg() : null, pcarry.off(), withPrev ? pdc.seg() : null, pdc.off(),
                                    pda.seg(), pda.off(), ldg, pdc.seg(), pdc.off());
                            da[s] = pda.get();
                            dcp[s] = pdc.get();
                        }
                    }
                    assertClose(what + " da", da[0], da[1], 2e-6, 1e-7);
                    assertClose(what + " dcPrev", dcp[0], dcp[1], 2e-6, 1e-7);
                }
            }
        }
    }

    @Test
    void rnnCellKernelsMatchTwin() {
        Random rnd = new Random(12);
        for (int h : HS) {
            int n = 3, ld = h + 3;
            float[] a = rand(rnd, n * ld, 2f), b = rand(rnd, h, 1f);
            float[][] y = new float[2][];
            KernelSet[] sets = {ref, simd};
            for (int s = 0; s < 2; s++) {
                try (Arena arena = Arena.ofConfined()) {
                    Placed pa = Placed.of(arena, a), pb = Placed.of(arena, b), ws = Placed.filled(arena, h, 0f);
                    sets[s].recurrent().rnnTanhForward(n, h, pa.seg(), pa.off(), ld, pb.seg(), pb.off(), ws.seg(), ws.off());
                    y[s] = pa.get();
                }
            }
            assertClose("rnnTanhForward h=" + h, y[0], y[1], 2e-6, 1e-7);
            float[] dh = rand(rnd, n * ld, 1f), carry = rand(rnd, n * h, 1f);
            float[][] da = new float[2][], sums = new float[2][];
            for (int s = 0; s < 2; s++) {
                try (Arena arena = Arena.ofConfined()) {
                    Placed py = Placed.of(arena, y[0]), pdh = Placed.of(arena, dh), pc = Placed.of(arena, carry);
                    Placed pda = Placed.filled(arena, n * ld, 7f), db = Placed.filled(arena, h, 0.5f);
                    sets[s].recurrent().rnnTanhBackward(n, h, py.seg(), py.off(), ld, pdh.seg(), pdh.off(), ld,
                            pc.seg(), pc.off(), pda.seg(), pda.off(), ld);
                    sets[s].recurrent().addColumnSums(n, h, pda.seg(), pda.off(), ld, db.seg(), db.off());
                    da[s] = pda.get();
                    sums[s] = db.get();
                }
            }
            assertArrayEquals(da[0], da[1], "rnnTanhBackward h=" + h);
            assertArrayEquals(sums[0], sums[1], "addColumnSums h=" + h);
        }
    }

    @Test
    void wholeSequencesMatchTwin() {
        Random rnd = new Random(13);
        int[][] shapes = {{1, 1, 1, 1}, {2, 3, 5, 7}, {3, 4, 17, 9}, {1, 5, 3, 16}, {2, 2, 8, 33}};
        for (int[] sh : shapes) {
            int n = sh[0], t = sh[1], d = sh[2], h = sh[3];
            for (int gates : new int[] {1, 4}) {
                float[] x = rand(rnd, n * t * d, 1f), h0 = rand(rnd, n * h, 1f), c0 = rand(rnd, n * h, 1f);
                float[] wx = rand(rnd, d * gates * h, 0.4f), wh = rand(rnd, h * gates * h, 0.4f), b = rand(rnd, gates * h, 0.5f);
                float[] dh = rand(rnd, n * t * h, 1f), dcl = rand(rnd, n * h, 1f);
                float[][] r0 = sequence(ref, gates, n, t, d, h, x, h0, c0, wx, wh, b, dh, dcl);
                float[][] r1 = sequence(simd, gates, n, t, d, h, x, h0, c0, wx, wh, b, dh, dcl);
                for (int i = 0; i < r0.length; i++) {
                    assertClose((gates == 1 ? "rnn" : "lstm") + " " + java.util.Arrays.toString(sh) + " result " + i,
                            r0[i], r1[i], 1e-4, 1e-5);
                }
            }
        }
    }

    /** Forward then backward on one set: h (and c), dx, dh0 (and dc0), dWx, dWh, db. */
    static float[][] sequence(KernelSet k, int gates, int n, int t, int d, int h, float[] x, float[] h0, float[] c0,
                              float[] wx, float[] wh, float[] b, float[] dh, float[] dcl) {
        try (Arena arena = Arena.ofConfined()) {
            Placed px = Placed.of(arena, x), ph0 = Placed.of(arena, h0), pc0 = Placed.of(arena, c0);
            Placed pwx = Placed.of(arena, wx), pwh = Placed.of(arena, wh), pb = Placed.of(arena, b);
            Placed pdh = Placed.of(arena, dh), pdcl = Placed.of(arena, dcl);
            Placed hOut = Placed.filled(arena, n * t * h, 0f), cOut = Placed.filled(arena, n * t * h, 0f);
            Placed g = Placed.filled(arena, n * t * 4 * h, 0f);
            Placed dx = Placed.filled(arena, n * t * d, 0f), dh0 = Placed.filled(arena, n * h, 0f), dc0 = Placed.filled(arena, n * h, 0f);
            Placed dwx = Placed.filled(arena, wx.length, 0f), dwh = Placed.filled(arena, wh.length, 0f), db = Placed.filled(arena, b.length, 0f);
            Parallelism p = Parallelism.single();
            if (gates == 1) {
                Placed ws = Placed.filled(arena, (int) Recurrent.rnnBackwardWorkspace(n, t, h), 0f);
                Recurrent.rnnForward(k, n, t, d, h, px.seg(), px.off(), ph0.seg(), ph0.off(), pwx.seg(), pwx.off(),
                        pwh.seg(), pwh.off(), pb.seg(), pb.off(), hOut.seg(), hOut.off(), ws.seg(), ws.off(), p);
                Recurrent.rnnBackward(k, n, t, d, h, px.seg(), px.off(), ph0.seg(), ph0.off(), pwx.seg(), pwx.off(),
                        pwh.seg(), pwh.off(), hOut.seg(), hOut.off(), pdh.seg(), pdh.off(), dx.seg(), dx.off(),
                        dh0.seg(), dh0.off(), dwx.seg(), dwx.off(), dwh.seg(), dwh.off(), db.seg(), db.off(), ws.seg(), ws.off(), p);
                return new float[][] {hOut.get(), dx.get(), dh0.get(), dwx.get(), dwh.get(), db.get()};
            }
            Placed ws = Placed.filled(arena, (int) Recurrent.lstmBackwardWorkspace(n, t, h), 0f);
            Recurrent.lstmForward(k, n, t, d, h, px.seg(), px.off(), ph0.seg(), ph0.off(), pc0.seg(), pc0.off(),
                    pwx.seg(), pwx.off(), pwh.seg(), pwh.off(), pb.seg(), pb.off(), hOut.seg(), hOut.off(),
                    cOut.seg(), cOut.off(), g.seg(), g.off(), p);
            Recurrent.lstmBackward(k, n, t, d, h, px.seg(), px.off(), ph0.seg(), ph0.off(), pc0.seg(), pc0.off(),
                    pwx.seg(), pwx.off(), pwh.seg(), pwh.off(), hOut.seg(), hOut.off(), cOut.seg(), cOut.off(), g.seg(), g.off(),
                    pdh.seg(), pdh.off(), pdcl.seg(), pdcl.off(), dx.seg(), dx.off(), dh0.seg(), dh0.off(), dc0.seg(), dc0.off(),
                    dwx.seg(), dwx.off(), dwh.seg(), dwh.off(), db.seg(), db.off(), ws.seg(), ws.off(), p);
            return new float[][] {hOut.get(), cOut.get(), dx.get(), dh0.get(), dc0.get(), dwx.get(), dwh.get(), db.get()};
        }
    }

    @Test
    void iouAndNmsMatchTwinExactly() {
        Random rnd = new Random(14);
        for (int n : new int[] {1, 2, 7, 9, 17, 33, 70}) {
            int m = n + 3;
            // boxes on a coarse integer grid: many exact ties in IoU (0.5 included) and in scores
            float[] a = grid(rnd, n), b = grid(rnd, m);
            float[][] out = new float[2][];
            KernelSet[] sets = {ref, simd};
            for (int s = 0; s < 2; s++) {
                try (Arena arena = Arena.ofConfined()) {
                    Placed pa = Placed.of(arena, a), pb = Placed.of(arena, b), po = Placed.filled(arena, n * m, 7f);
                    Detection.iou(sets[s], n, m, pa.seg(), pa.off(), pb.seg(), pb.off(), po.seg(), po.off());
                    out[s] = po.get();
                }
            }
            assertArrayEquals(out[0], out[1], "iou n=" + n);
            float[] scores = new float[n];
            for (int i = 0; i < n; i++) scores[i] = rnd.nextInt(5) * 0.25f;
            for (float thr : new float[] {0f, 0.3f, 0.5f, 1f}) {
                int[][] keep = new int[2][];
                for (int s = 0; s < 2; s++) {
                    try (Arena arena = Arena.ofConfined()) {
                        Placed pa = Placed.of(arena, a), ps = Placed.of(arena, scores);
                        MemorySegment k = arena.allocate((long) n * 4);
                        int kept = Detection.nms(sets[s], n, pa.seg(), pa.off(), ps.seg(), ps.off(), thr, k, 0);
                        keep[s] = new int[kept];
                        for (int i = 0; i < kept; i++) keep[s][i] = k.getAtIndex(JAVA_INT, i);
                    }
                }
                assertArrayEquals(keep[0], keep[1], "nms n=" + n + " thr=" + thr);
                if (thr == 1f) assertEquals(n, keep[0].length, "threshold 1 keeps every box");
            }
        }
    }

    static float[] grid(Random rnd, int n) {
        float[] v = new float[4 * n];
        for (int i = 0; i < n; i++) {
            float x1 = rnd.nextInt(6), y1 = rnd.nextInt(6);
            v[4 * i] = x1;
            v[4 * i + 1] = y1;
            v[4 * i + 2] = x1 + 1 + rnd.nextInt(4);
            v[4 * i + 3] = y1 + 1 + rnd.nextInt(4);
        }
        return v;
    }

    @Test
    void smoothL1MatchesTwin() {
        Random rnd = new Random(15);
        for (int n : new int[] {1, 3, 7, 8, 9, 17, 1000, 2049}) {
            for (float beta : new float[] {0f, 0.5f, 1f}) {
                float[] p = rand(rnd, n, 1.5f), t = rand(rnd, n, 1.5f);
                if (n > 3) t[2] = p[2]; // d == 0 exactly
                double[] loss = new double[2];
                float[][] g = new float[2][];
                KernelSet[] sets = {ref, simd};
                for (int s = 0; s < 2; s++) {
                    try (Arena arena = Arena.ofConfined()) {
                        Placed pp = Placed.of(arena, p), pt = Placed.of(arena, t), pg = Placed.filled(arena, n, 7f);
                        loss[s] = Detection.smoothL1(sets[s], n, beta, pp.seg(), pp.off(), pt.seg(), pt.off(), pg.seg(), pg.off());
                        g[s] = pg.get();
                    }
                }
                assertClose("smoothL1 loss n=" + n + " beta=" + beta, loss[0], loss[1], 1e-6, 0);
                // d / beta vs d * (1/beta): one rounding apart
                assertClose("smoothL1 grad n=" + n + " beta=" + beta, g[0], g[1], 3e-7, 0);
            }
        }
    }
}
