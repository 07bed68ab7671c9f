package io.tensorlane.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.tensorlane.kernels.GuardedBuffer.Memory;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SIMD box encode/decode against the scalar twin, on box counts around every vector width and the
 * 256-box chunk, odd offsets, heap and native segments, and in place (output = input, which the entry
 * point allows).
 *
 * <p>What must be identical and what may differ, and by how much: every operation except the log
 * (encode) and the exp (decode) is the twin's, in the twin's order, so the centre deltas (encode's dx,
 * dy) match bit for bit. The twin rounds a double-precision log/exp to float (error 0.5 ulp), the SIMD
 * version uses VectorMath's float polynomials (log: relative error below 1.2e-7, exp: below 2.5e-7, both
 * tested over the whole float range in VectorMathTest). Hence, per value, with u = 2^-24 for one
 * rounding:
 * <ul>
 * <li>encode dw, dh = log(r) / sv: |simd - twin| &lt;= (1.2e-7 + u + 2u) |twin| &lt; 3.1e-7 |twin|;
 * <li>decode w = exp(l) * aw: |simd - twin| &lt;= (2.5e-7 + u + 2u) w &lt; 4.3e-7 w, so a corner
 *     c +- w/2 differs by at most 2.2e-7 w + 2u |corner|, plus 2^-126 aw where exp flushes a result
 *     below the smallest normal float to 0 (the twin keeps the subnormal).
 * </ul>
 * Within the SIMD implementation, a box's result does not depend on whether it falls into the vector
 * body or the scalar tail (the tail replicates the lanes' operations): checked bit for bit by coding
 * the same boxes shifted by one position.
 */
@Tag("simd")
class BoxCodingSimdTest {
    /** The decode clip, log(1000/16) rounded to float as the kernels hold it. */
    static final float CLIP = (float) Math.log(1000.0 / 16);
    static final int[] COUNTS = {0, 1, 3, 7, 17, 33, 65, 255, 256, 300, 515};
    private final KernelSet ref = Kernels.get(Impl.SCALAR);
    private final KernelSet simd = Kernels.get(Impl.SIMD);

    /** Anchors and boxes with positive sizes over six orders of magnitude, and edge rows mixed in. */
    static float[][] anchorsAndBoxes(Random rnd, int n) {
        float[] a = new float[4 * n], b = new float[4 * n];
        for (int i = 0; i < n; i++) {
            float ax = (float) (rnd.nextGaussian() * 100), ay = (float) (rnd.nextGaussian() * 100);
            float aw = (float) Math.exp(rnd.nextDouble() * 8 - 2), ah = (float) Math.exp(rnd.nextDouble() * 8 - 2);
            set(a, i, ax, ay, ax + aw, ay + ah);
            switch (rnd.nextInt(8)) {
                case 0 -> set(b, i, ax, ay, ax + aw, ay + ah);        // the anchor itself: log(1) = 0
                case 1 -> set(b, i, ax, ay, ax, ay + 2 * ah);         // zero width: log(0) = -Inf
                case 2 -> set(b, i, 0f, 0f, 1e-40f, 3e-39f);          // subnormal sizes and ratios
                default -> {
                    float bx = ax + (float) (rnd.nextGaussian() * aw), by = ay + (float) (rnd.nextGaussian() * ah);
                    set(b, i, bx, by, bx + aw * (float) Math.exp(rnd.nextGaussian() * 2),
                            by + ah * (float) Math.exp(rnd.nextGaussian() * 2));
                }
            }
        }
        return new float[][] {a, b};
    }

    /** Deltas: mostly ordinary, some beyond the decode clip, some whose exp underflows, NaN and -0. */
    static float[] deltas(Random rnd, int n) {
        float[] d = new float[4 * n];
        for (int i = 0; i < 4 * n; i++) {
            d[i] = switch (rnd.nextInt(20)) {
                case 0 -> 60f;            // dw * sv = 12 > clip log(1000/16)
                case 1 -> -480f;          // dw * sv = -96: below exp's flush point
                case 2 -> -0f;
                case 3 -> Float.NaN;
                default -> (float) (rnd.nextGaussian() * 3);
            };
        }
        return d;
    }

    private static void set(float[] v, int i, float x1, float y1, float x2, float y2) {
        v[4 * i] = x1;
        v[4 * i + 1] = y1;
        v[4 * i + 2] = x2;
        v[4 * i + 3] = y2;
    }

    /** Runs one coder; {@code inPlace}: the output is the input buffer itself. */
    private float[] code(KernelSet k, boolean encode, Memory mem, int n, float cv, float sv, float[] anchors, float[] in,
                         long aOff, long iOff, long oOff, boolean inPlace) {
        try (Arena arena = Arena.ofConfined()) {
            GuardedBuffer a = GuardedBuffer.floats(mem, arena, aOff, anchors);
            GuardedBuffer x = GuardedBuffer.floats(mem, arena, iOff, in);
            GuardedBuffer o = inPlace ? x : GuardedBuffer.floats(mem, arena, oOff, 4L * n);
            if (encode) {
                Detection.encodeBoxes(k, n, cv, sv, a.seg, a.off, x.seg, x.off, o.seg, o.off);
            } else {
                Detection.decodeBoxes(k, n, cv, sv, a.seg, a.off, x.seg, x.off, o.seg, o.off);
            }
            o.assertGuardsIntact((encode ? "encode" : "decode") + " n=" + n);
            a.assertGuardsIntact("anchors n=" + n);
            return o.toFloats();
        }
    }

    @Test
    void encodeMatchesTwin() {
        Random rnd = new Random(61);
        for (int n : COUNTS) {
            float[][] ab = anchorsAndBoxes(rnd, n);
            for (Memory mem : Memory.values()) {
                float cv = 0.1f, sv = 0.2f;
                long aOff = n % 3, bOff = 1 + n % 2, dOff = 3;
                float[] want = code(ref, true, mem, n, cv, sv, ab[0], ab[1], aOff, bOff, dOff, false);
                float[] got = code(simd, true, mem, n, cv, sv, ab[0], ab[1], aOff, bOff, dOff, false);
                for (int i = 0; i < 4 * n; i++) {
                    String what = "encode n=" + n + " " + mem + " box " + i / 4 + " coord " + i % 4;
                    if (i % 4 < 2) {
                        assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), what);
                    } else {
                        within(what, want[i], got[i], 3.1e-7 * Math.abs(want[i]));
                    }
                }
                float[] inPlace = code(simd, true, mem, n, cv, sv, ab[0], ab[1], aOff, bOff, 0, true);
                exact("encode in place n=" + n + " " + mem, got, inPlace);
            }
        }
    }

    @Test
    void decodeMatchesTwin() {
        Random rnd = new Random(62);
        for (int n : COUNTS) {
            float[] anchors = anchorsAndBoxes(rnd, n)[0], d = deltas(rnd, n);
            for (Memory mem : Memory.values()) {
                float cv = 0.1f, sv = 0.2f;
                long aOff = 1 + n % 3, dOff = n % 2, bOff = 5;
                float[] want = code(ref, false, mem, n, cv, sv, anchors, d, aOff, dOff, bOff, false);
                float[] got = code(simd, false, mem, n, cv, sv, anchors, d, aOff, dOff, bOff, false);
                for (int i = 0; i < 4 * n; i++) {
                    int box = i / 4, c = i % 4;
                    // the exact decoded size along this coordinate's axis, in double
                    double size = anchors[4 * box + 2 + c % 2] - anchors[4 * box + c % 2];
                    double l = Math.min(d[4 * box + 2 + c % 2] * sv, (double) CLIP);
                    double w = Math.exp(l) * size;
                    within("decode n=" + n + " " + mem + " box " + box + " coord " + c, want[i], got[i],
                            2.2e-7 * w + 0x1p-23 * Math.abs(want[i]) + 0x1p-126 * size);
                }
                float[] inPlace = code(simd, false, mem, n, cv, sv, anchors, d, aOff, dOff, 0, true);
                exact("decode in place n=" + n + " " + mem, got, inPlace);
            }
        }
    }

    /** The same box gives the same bits whether it lands in the vector body or the scalar tail. */
    @Test
    void bodyAndTailAgreeBitForBit() {
        Random rnd = new Random(63);
        int n = 70;
        float[][] ab = anchorsAndBoxes(rnd, n);
        float[] d = deltas(rnd, n);
        for (boolean encode : new boolean[] {true, false}) {
            float[] in = encode ? ab[1] : d;
            float[] whole = code(simd, encode, Memory.NATIVE, n, 0.1f, 0.2f, ab[0], in, 0, 0, 0, false);
            for (int shift = 1; shift < 4; shift++) {
                int m = n - shift;
                float[] a = Arrays.copyOfRange(ab[0], 4 * shift, 4 * n);
                float[] x = Arrays.copyOfRange(in, 4 * shift, 4 * n);
                float[] part = code(simd, encode, Memory.HEAP, m, 0.1f, 0.2f, a, x, 0, 0, 0, false);
                exact((encode ? "encode" : "decode") + " shifted by " + shift,
                        Arrays.copyOfRange(whole, 4 * shift, 4 * n), part);
            }
        }
    }

    /** Worked values (cv = 0.1, sv = 0.2) for both implementations, and decode inverting encode. */
    @Test
    void knownValuesAndRoundTrip() {
        float[] anchors = {0, 0, 10, 20, 0, 0, 10, 20, 0, 0, 10, 20};
        float[] boxes = {1, 2, 11, 22, 0, 0, 20, 40, 2.5f, 5, 7.5f, 15};
        double l2 = Math.log(2) / 0.2;
        double[] want = {1, 1, 0, 0, 5, 5, l2, l2, 0, 0, -l2, -l2};
        for (KernelSet k : new KernelSet[] {ref, simd}) {
            for (Memory mem : Memory.values()) {
                float[] got = code(k, true, mem, 3, 0.1f, 0.2f, anchors, boxes, 1, 2, 3, false);
                for (int i = 0; i < 12; i++) within(k + " encode " + i, (float) want[i], got[i], 3e-7 * Math.abs(want[i]) + 1e-6);
                float[] back = code(k, false, mem, 3, 0.1f, 0.2f, anchors, got, 2, 1, 0, false);
                for (int i = 0; i < 12; i++) within(k + " round trip " + i, boxes[i], back[i], 4e-6 * (1 + Math.abs(boxes[i])));
            }
        }
        // and a larger random round trip through the SIMD body
        Random rnd = new Random(64);
        int n = 100;
        float[][] ab = anchorsAndBoxes(rnd, n);
        for (int i = 0; i < n; i++) { // only boxes with positive sizes within the decode clip (62.5 x the anchor's) invert
            float rw = (ab[1][4 * i + 2] - ab[1][4 * i]) / (ab[0][4 * i + 2] - ab[0][4 * i]);
            float rh = (ab[1][4 * i + 3] - ab[1][4 * i + 1]) / (ab[0][4 * i + 3] - ab[0][4 * i + 1]);
            if (!(rw > 1e-3f && rh > 1e-3f && rw < 60f && rh < 60f)) {
                System.arraycopy(ab[0], 4 * i, ab[1], 4 * i, 4);
            }
        }
        float[] enc = code(simd, true, Memory.NATIVE, n, 0.1f, 0.2f, ab[0], ab[1], 0, 0, 0, false);
        float[] back = code(simd, false, Memory.NATIVE, n, 0.1f, 0.2f, ab[0], enc, 0, 0, 0, false);
        for (int i = 0; i < 4 * n; i++) {
            double scale = Math.abs(ab[0][i]) + Math.abs(ab[1][4 * (i / 4) + 2 + i % 2] - ab[1][4 * (i / 4) + i % 2]);
            within("simd round trip " + i, ab[1][i], back[i], 2e-6 * scale);
        }
    }

    private static void within(String what, float want, float got, double tol) {
        if (Float.isNaN(want) || Float.isInfinite(want)) {
            assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got), what);
            return;
        }
        if (!(Math.abs((double) got - want) <= tol)) fail(what + ": twin " + want + ", simd " + got + ", tolerance " + tol);
    }

    private static void exact(String what, float[] want, float[] got) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(Float.floatToIntBits(want[i]), Float.floatToIntBits(got[i]), what + " at " + i);
        }
    }
}
