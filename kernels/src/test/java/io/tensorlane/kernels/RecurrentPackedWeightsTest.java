package io.tensorlane.kernels;

import static io.tensorlane.kernels.FloatAsserts.assertClose;
import static io.tensorlane.kernels.RecurrentSimdTest.rand;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.RecurrentGoldenTest.Placed;
import java.lang.foreign.Arena;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The LSTM forward over pre-packed weights ({@link Recurrent#lstmPackWeights}) against the same forward
 * over the weights as stored: bit-identical on both kernel sets (same products, same order), for single
 * steps (one split-k GEMM) and sequences, with and without c0, on awkward sizes; the SIMD forward against
 * the scalar twin within the sequence tolerance of {@link RecurrentSimdTest}; repacking after a weight
 * change; and the argument checks.
 */
@Tag("simd")
class RecurrentPackedWeightsTest {
    private final KernelSet ref = Kernels.get(Impl.SCALAR);
    private final KernelSet simd = Kernels.get(Impl.SIMD);

    /** h, c, gates of the forward; packed: through lstmPackWeights (repacked once after a change of the weights). */
    private static float[][] forward(KernelSet k, boolean packed, int n, int t, int d, int h, float[] x, float[] h0,
                                     float[] c0, float[] wx, float[] wh, float[] b, Parallelism par) {
        try (Arena arena = Arena.ofShared()) {
            Placed px = Placed.of(arena, x), ph0 = Placed.of(arena, h0), pc0 = c0 == null ? null : Placed.of(arena, c0);
            Placed pwx = Placed.of(arena, wx), pwh = Placed.of(arena, wh), pb = Placed.of(arena, b);
            Placed hOut = Placed.filled(arena, n * t * h, 0f), cOut = Placed.filled(arena, n * t * h, 0f);
            Placed g = Placed.filled(arena, n * t * 4 * h, 0f);
            if (packed) {
                // pack stale weights first, then the real ones into the same object: the repack must replace all
                float[] zeros = new float[wx.length];
                Placed zx = Placed.of(arena, zeros), zh = Placed.of(arena, new float[wh.length]);
                PackedMatrix w = Recurrent.lstmPackWeights(k, d, h, zx.seg(), zx.off(), zh.seg(), zh.off());
                Recurrent.lstmRepackWeights(k, w, d, h, pwx.seg(), pwx.off(), pwh.seg(), pwh.off());
                Recurrent.lstmForward(k, n, t, d, h, px.seg(), px.off(), ph0.seg(), ph0.off(),
                        pc0 == null ? null : pc0.seg(), pc0 == null ? 0 : pc0.off(), w, pb.seg(), pb.off(),
                        hOut.seg(), hOut.off(), cOut.seg(), cOut.off(), g.seg(), g.off(), par);
            } else {
                Recurrent.lstmForward(k, n, t, d, h, px.seg(), px.off(), ph0.seg(), ph0.off(),
                        pc0 == null ? null : pc0.seg(), pc0 == null ? 0 : pc0.off(), pwx.seg(), pwx.off(), pwh.seg(), pwh.off(),
                        pb.seg(), pb.off(), hOut.seg(), hOut.off(), cOut.seg(), cOut.off(), g.seg(), g.off(), par);
            }
            return new float[][] {hOut.get(), cOut.get(), g.get()};
        }
    }

    @Test
    void packedWeightsGiveTheSameForwardBitForBit() {
        Random rnd = new Random(71);
        int[][] shapes = {{1, 1, 1, 1}, {2, 1, 5, 7}, {3, 1, 17, 9}, {5, 1, 40, 33}, {2, 3, 5, 7}, {3, 4, 17, 16},
                {1, 5, 3, 17}, {6, 2, 70, 12}};
        for (int[] sh : shapes) {
            int n = sh[0], t = sh[1], d = sh[2], h = sh[3];
            for (boolean withC0 : new boolean[] {true, false}) {
                float[] x = rand(rnd, n * t * d, 1f), h0 = rand(rnd, n * h, 1f), c0 = withC0 ? rand(rnd, n * h, 1f) : null;
                float[] wx = rand(rnd, d * 4 * h, 0.4f), wh = rand(rnd, h * 4 * h, 0.4f), b = rand(rnd, 4 * h, 0.5f);
                String what = java.util.Arrays.toString(sh) + (withC0 ? " c0" : " no c0");
                float[][] want = forward(ref, false, n, t, d, h, x, h0, c0, wx, wh, b, Parallelism.single());
                float[][] simdPlain = forward(simd, false, n, t, d, h, x, h0, c0, wx, wh, b, Parallelism.single());
                for (int i = 0; i < want.length; i++) {
                    assertArrayEquals(want[i], forward(ref, true, n, t, d, h, x, h0, c0, wx, wh, b, Parallelism.single())[i],
                            "scalar packed " + what + " result " + i);
                    assertClose("simd vs twin " + what + " result " + i, want[i], simdPlain[i], 1e-4, 1e-5);
                }
                for (Parallelism par : new Parallelism[] {Parallelism.single(), Parallelism.threads(3)}) {
                    float[][] got = forward(simd, true, n, t, d, h, x, h0, c0, wx, wh, b, par);
                    for (int i = 0; i < want.length; i++) {
                        assertArrayEquals(simdPlain[i], got[i], "simd packed " + par + " " + what + " result " + i);
                    }
                }
            }
        }
    }

    @Test
    void packedWeightsAreChecked() {
        try (Arena arena = Arena.ofShared()) {
            int n = 2, d = 3, h = 4;
            Placed x = Placed.filled(arena, n * d, 0.5f), h0 = Placed.filled(arena, n * h, 0.1f), b = Placed.filled(arena, 4 * h, 0f);
            Placed wx = Placed.filled(arena, d * 4 * h, 0.1f), wh = Placed.filled(arena, h * 4 * h, 0.1f);
            Placed ho = Placed.filled(arena, n * h, 0f), co = Placed.filled(arena, n * h, 0f), g = Placed.filled(arena, n * 4 * h, 0f);
            PackedMatrix w = Recurrent.lstmPackWeights(simd, d, h, wx.seg(), wx.off(), wh.seg(), wh.off());
            PackedMatrix other = simd.gemm().newPackedB(d + 1 + h, 4 * h); // packed for D=4
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Recurrent.lstmForward(simd, n, 1, d, h,
                    x.seg(), x.off(), h0.seg(), h0.off(), null, 0, other, b.seg(), b.off(), ho.seg(), ho.off(), co.seg(), co.off(),
                    g.seg(), g.off(), Parallelism.single()));
            assertTrue(e.getMessage().startsWith("lstmForward: packed weights") && e.getMessage().contains("D=3, H=4"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Recurrent.lstmForward(simd, n, 1, d, h,
                    x.seg(), x.off(), h0.seg(), h0.off(), null, 0, null, b.seg(), b.off(), ho.seg(), ho.off(), co.seg(), co.off(),
                    g.seg(), g.off(), Parallelism.single()));
            // the weights are too short for D=3, H=5
            e = assertThrows(IllegalArgumentException.class,
                    () -> Recurrent.lstmPackWeights(simd, d, h + 1, wx.seg(), wx.off(), wh.seg(), wh.off()));
            assertTrue(e.getMessage().startsWith("lstmRepackWeights: wx"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Recurrent.lstmPackWeights(simd, 0, h, wx.seg(), wx.off(), wh.seg(), wh.off()));
            assertThrows(IllegalArgumentException.class, () -> Recurrent.lstmRepackWeights(simd, w, d, h + 1, wx.seg(), wx.off(), wh.seg(), wh.off()));
            // packed by the scalar twin: the SIMD set cannot read it
            PackedMatrix scalarPacked = Recurrent.lstmPackWeights(ref, d, h, wx.seg(), wx.off(), wh.seg(), wh.off());
            assertThrows(IllegalArgumentException.class, () -> Recurrent.lstmForward(simd, n, 1, d, h,
                    x.seg(), x.off(), h0.seg(), h0.off(), null, 0, scalarPacked, b.seg(), b.off(), ho.seg(), ho.off(), co.seg(), co.off(),
                    g.seg(), g.off(), Parallelism.single()));
        }
    }
}
