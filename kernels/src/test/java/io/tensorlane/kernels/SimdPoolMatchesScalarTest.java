package io.tensorlane.kernels;

import io.tensorlane.kernels.GuardedBuffer.Memory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.util.Random;

import static io.tensorlane.kernels.FloatAsserts.assertClose;
import static io.tensorlane.kernels.FloatAsserts.assertExact;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * The SIMD pooling kernels against their scalar twins on awkward shapes: odd sizes, rows wider and
 * narrower than a vector, stride &gt; kernel, padding = kernel/2, 1x1 inputs, batch 1, the 2x2 stride-2
 * fast path with odd H and W, strides 3 and 4 wide enough for whole 16-lane vectors, the backward
 * gathers with padding of a whole vector and windows as large as the plane, at odd element offsets in heap and off-heap memory, with guard elements
 * around every output. Values come from a small integer range so windows hold ties, plus NaN and
 * infinities, and max/avg results must be bit-identical (same operations in the same order); global
 * average pooling sums float lanes vs the twin's double and is checked to a few ulp. Tagged "simd":
 * re-run with the vector width capped at 128/256/512 bits.
 */
@Tag("simd")
class SimdPoolMatchesScalarTest {
    private final KernelSet ref = Kernels.get(Impl.SCALAR);
    private final KernelSet simd = Kernels.get(Impl.SIMD);

    /** n, c, h, w, kh, kw, sh, sw, ph, pw */
    static final int[][] SHAPES = {
            {1, 1, 1, 1, 1, 1, 1, 1, 0, 0},
            {1, 3, 7, 9, 2, 2, 2, 2, 0, 0},
            {2, 3, 8, 8, 2, 2, 2, 2, 0, 0},
            {1, 2, 5, 67, 2, 2, 2, 2, 0, 0},
            {1, 2, 3, 130, 2, 2, 2, 2, 0, 0},
            {2, 1, 9, 33, 3, 3, 2, 2, 1, 1},
            {1, 2, 11, 70, 3, 3, 2, 2, 0, 0},
            {1, 1, 6, 131, 3, 3, 1, 1, 1, 1},
            {1, 2, 5, 40, 2, 3, 1, 1, 0, 1},
            {1, 1, 13, 17, 2, 2, 3, 3, 0, 0},
            {2, 2, 10, 77, 5, 5, 2, 2, 2, 2},
            {1, 1, 7, 65, 5, 3, 1, 1, 2, 1},
            {1, 2, 9, 50, 3, 3, 3, 4, 1, 1},
            {1, 1, 4, 4, 4, 4, 4, 4, 0, 0},
            {3, 1, 1, 37, 1, 2, 1, 2, 0, 0},
            {1, 1, 1, 1, 2, 2, 2, 2, 1, 1},
            {1, 1, 31, 31, 2, 2, 1, 1, 0, 0},
            // 2x2 stride 2 on many narrow planes (small CNN maps): rows of 1 to 15 outputs whose last step
            // reads into the next rows and stores onto later outputs, odd H (a skipped row per plane) and odd W
            {4, 8, 4, 4, 2, 2, 2, 2, 0, 0},
            {3, 5, 8, 8, 2, 2, 2, 2, 0, 0},
            {2, 3, 28, 28, 2, 2, 2, 2, 0, 0},
            {2, 3, 9, 5, 2, 2, 2, 2, 0, 0},
            {2, 4, 7, 17, 2, 2, 2, 2, 0, 0},
            {2, 2, 6, 30, 2, 2, 2, 2, 0, 0},
            {3, 3, 3, 2, 2, 2, 2, 2, 0, 0},
            {1, 9, 12, 35, 2, 2, 2, 2, 0, 0},
            // narrow planes as one flat run (w <= lanes): steps spanning several planes, steps inside a plane,
            // plane counts that leave whole planes to the row loop, 1x1 outputs, and a 6x4 map that stays out
            {1, 3, 4, 4, 2, 2, 2, 2, 0, 0},
            {1, 5, 2, 2, 2, 2, 2, 2, 0, 0},
            {1, 9, 2, 4, 2, 2, 2, 2, 0, 0},
            {2, 3, 8, 2, 2, 2, 2, 2, 0, 0},
            {1, 3, 4, 8, 2, 2, 2, 2, 0, 0},
            {1, 2, 16, 8, 2, 2, 2, 2, 0, 0},
            {1, 3, 12, 8, 2, 2, 2, 2, 0, 0},
            {1, 3, 6, 4, 2, 2, 2, 2, 0, 0},
            {2, 5, 16, 16, 2, 2, 2, 2, 0, 0},
            // more planes than one group of the small-plane backward (about 16 KiB of dx per group)
            {70, 20, 4, 4, 2, 2, 2, 2, 0, 0},
            {40, 3, 9, 5, 2, 2, 2, 2, 0, 0},
            {9, 40, 8, 8, 3, 3, 2, 2, 1, 1},
            // strides 3 and 4: rows wide enough for whole vectors at 16 lanes, windows narrower than,
            // equal to and wider than the stride, with padding
            {1, 2, 7, 150, 4, 4, 4, 4, 0, 0},
            {1, 1, 9, 131, 3, 3, 3, 3, 1, 1},
            {1, 2, 10, 140, 5, 5, 3, 3, 2, 2},
            {1, 1, 6, 101, 2, 2, 4, 4, 1, 1},
            {1, 1, 9, 157, 3, 7, 4, 4, 1, 3},
            {1, 1, 8, 90, 2, 3, 3, 3, 1, 1},
            // backward gathers: padding of a whole vector or more, stride 5 (the twin's loop), global-ish windows
            {1, 1, 12, 40, 8, 8, 2, 2, 4, 4},
            {1, 1, 11, 60, 3, 3, 5, 5, 1, 1},
            {2, 2, 7, 7, 7, 7, 1, 1, 0, 0},
            {1, 1, 8, 8, 4, 4, 1, 1, 2, 2},
            {1, 1, 7, 7, 7, 7, 7, 7, 3, 3},
            {1, 3, 10, 52, 3, 3, 1, 1, 1, 1},
            {2, 2, 12, 70, 3, 3, 2, 2, 1, 1},
            {1, 2, 16, 66, 2, 2, 2, 2, 0, 0},
    };

    static Pool2dDesc desc(int[] s) {
        return Pool2dDesc.of(s[4], s[5]).stride(s[6], s[7]).pad(s[8], s[9]);
    }

    private static float[] values(Random rnd, int n, boolean specials) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextInt(7) - 3 + (rnd.nextBoolean() ? 0 : rnd.nextFloat());
            if (specials) {
                int k = rnd.nextInt(60);
                if (k == 0) v[i] = Float.NaN;
                else if (k == 1) v[i] = Float.NEGATIVE_INFINITY;
                else if (k == 2) v[i] = Float.POSITIVE_INFINITY;
            }
        }
        return v;
    }

    @Test
    void maxPoolForwardAndBackwardAreIdentical() {
        Random rnd = new Random(11);
        for (int[] s : SHAPES) {
            for (boolean countPad : new boolean[] {true, false}) {
                Pool2dDesc d = desc(s).countIncludePad(countPad);
                long planes = (long) s[0] * s[1], h = s[2], w = s[3];
                long[] os = d.outputShape("test", s[0], s[1], h, w);
                int xl = (int) (planes * h * w), ol = (int) (planes * os[2] * os[3]);
                for (Memory mem : Memory.values()) {
                    for (boolean specials : new boolean[] {false, true}) {
                        String what = d + " x=[" + s[0] + "," + s[1] + "," + h + "," + w + "] " + mem + (specials ? " NaN/Inf" : "");
                        float[] xv = values(rnd, xl, specials);
                        float[] gv = values(rnd, ol, false);
                        try (Arena arena = Arena.ofConfined()) {
                            GuardedBuffer x = GuardedBuffer.floats(mem, arena, 3, xv);
                            GuardedBuffer g = GuardedBuffer.floats(mem, arena, 5, gv);
                            GuardedBuffer o1 = GuardedBuffer.floats(mem, arena, 1, ol), o2 = GuardedBuffer.floats(mem, arena, 1, ol);
                            GuardedBuffer i1 = GuardedBuffer.ints(mem, arena, 2, ol), i2 = GuardedBuffer.ints(mem, arena, 2, ol);
                            ref.pool().maxPool2d(planes, h, w, d, x.seg, x.off, o1.seg, o1.off, i1.seg, i1.off);
                            simd.pool().maxPool2d(planes, h, w, d, x.seg, x.off, o2.seg, o2.off, i2.seg, i2.off);
                            assertExact(what + " out", o1.toFloats(), o2.toFloats());
                            assertArrayEquals(i1.toInts(), i2.toInts(), what + " indices");
                            o2.assertGuardsIntact(what + " out");
                            i2.assertGuardsIntact(what + " indices");

                            GuardedBuffer d1 = GuardedBuffer.floats(mem, arena, 7, xl), d2 = GuardedBuffer.floats(mem, arena, 7, xl);
                            ref.pool().maxPool2dBackward(planes, h, w, d, g.seg, g.off, i1.seg, i1.off, d1.seg, d1.off);
                            simd.pool().maxPool2dBackward(planes, h, w, d, g.seg, g.off, i1.seg, i1.off, d2.seg, d2.off);
                            assertExact(what + " dx", d1.toFloats(), d2.toFloats());
                            d2.assertGuardsIntact(what + " dx");

                            GuardedBuffer a1 = GuardedBuffer.floats(mem, arena, 1, ol), a2 = GuardedBuffer.floats(mem, arena, 1, ol);
                            ref.pool().avgPool2d(planes, h, w, d, x.seg, x.off, a1.seg, a1.off);
                            simd.pool().avgPool2d(planes, h, w, d, x.seg, x.off, a2.seg, a2.off);
                            assertExact(what + " avg out", a1.toFloats(), a2.toFloats());
                            a2.assertGuardsIntact(what + " avg out");

                            ref.pool().avgPool2dBackward(planes, h, w, d, g.seg, g.off, d1.seg, d1.off);
                            simd.pool().avgPool2dBackward(planes, h, w, d, g.seg, g.off, d2.seg, d2.off);
                            assertExact(what + " avg dx", d1.toFloats(), d2.toFloats());
                            d2.assertGuardsIntact(what + " avg dx");
                        }
                    }
                }
            }
        }
    }

    /** Indices that do not come from the forward (any position in the plane, repeated) still scatter-add alike. */
    @Test
    void maxPoolBackwardAcceptsArbitraryIndices() {
        Random rnd = new Random(5);
        for (int[] s : SHAPES) {
            Pool2dDesc d = desc(s);
            long planes = (long) s[0] * s[1], h = s[2], w = s[3];
            long[] os = d.outputShape("test", s[0], s[1], h, w);
            int ol = (int) (planes * os[2] * os[3]);
            int[] iv = new int[ol];
            for (int i = 0; i < ol; i++) iv[i] = rnd.nextInt((int) (h * w));
            try (Arena arena = Arena.ofConfined()) {
                GuardedBuffer g = GuardedBuffer.floats(Memory.NATIVE, arena, 1, values(rnd, ol, false));
                GuardedBuffer idx = GuardedBuffer.ints(Memory.NATIVE, arena, 1, iv);
                long xl = planes * h * w;
                GuardedBuffer d1 = GuardedBuffer.floats(Memory.NATIVE, arena, 3, xl), d2 = GuardedBuffer.floats(Memory.NATIVE, arena, 3, xl);
                ref.pool().maxPool2dBackward(planes, h, w, d, g.seg, g.off, idx.seg, idx.off, d1.seg, d1.off);
                simd.pool().maxPool2dBackward(planes, h, w, d, g.seg, g.off, idx.seg, idx.off, d2.seg, d2.off);
                assertExact(d + " dx", d1.toFloats(), d2.toFloats());
                d2.assertGuardsIntact(d + " dx");
            }
        }
    }

    /**
     * 2x2 stride 2 with indices inside their windows but not the argmax (the dense backward must honour
     * them), and now and then one outside its window (that plane falls back to the twin's scatter after
     * part of it was written densely).
     */
    @Test
    void maxPool2x2BackwardWithInWindowAndStrayIndices() {
        Random rnd = new Random(21);
        Pool2dDesc d = Pool2dDesc.of(2);
        for (int[] s : new int[][] {{3, 2, 9, 71}, {2, 3, 16, 64}, {1, 4, 6, 35}, {1, 2, 33, 130}}) {
            long planes = (long) s[0] * s[1], h = s[2], w = s[3], oh = h / 2, ow = w / 2;
            int ol = (int) (planes * oh * ow);
            for (int stray : new int[] {0, 150}) {
                int[] iv = new int[ol];
                for (int o = 0; o < ol; o++) {
                    long i = (o / ow) % oh, j = o % ow;
                    iv[o] = stray > 0 && rnd.nextInt(stray) == 0 ? rnd.nextInt((int) (h * w))
                            : (int) ((2 * i + rnd.nextInt(2)) * w + 2 * j + rnd.nextInt(2));
                }
                for (Memory mem : Memory.values()) {
                    try (Arena arena = Arena.ofConfined()) {
                        GuardedBuffer g = GuardedBuffer.floats(mem, arena, 1, values(rnd, ol, true));
                        GuardedBuffer idx = GuardedBuffer.ints(mem, arena, 2, iv);
                        long xl = planes * h * w;
                        GuardedBuffer d1 = GuardedBuffer.floats(mem, arena, 3, xl), d2 = GuardedBuffer.floats(mem, arena, 3, xl);
                        ref.pool().maxPool2dBackward(planes, h, w, d, g.seg, g.off, idx.seg, idx.off, d1.seg, d1.off);
                        simd.pool().maxPool2dBackward(planes, h, w, d, g.seg, g.off, idx.seg, idx.off, d2.seg, d2.off);
                        String what = "2x2s2 " + java.util.Arrays.toString(s) + " stray 1/" + stray + " " + mem;
                        assertExact(what + " dx", d1.toFloats(), d2.toFloats());
                        d2.assertGuardsIntact(what + " dx");
                    }
                }
            }
        }
    }

    /** dout holding -0.0f, NaN and infinities: the backward gathers add them in the twin's order. */
    @Test
    void averagePoolBackwardWithSignedZerosAndSpecials() {
        Random rnd = new Random(17);
        for (int[] s : SHAPES) {
            for (boolean countPad : new boolean[] {true, false}) {
                Pool2dDesc d = desc(s).countIncludePad(countPad);
                long planes = (long) s[0] * s[1], h = s[2], w = s[3];
                long[] os = d.outputShape("test", s[0], s[1], h, w);
                int ol = (int) (planes * os[2] * os[3]);
                float[] gv = values(rnd, ol, true);
                for (int i = 0; i < ol; i++) if (rnd.nextInt(4) == 0) gv[i] = rnd.nextBoolean() ? -0f : 0f;
                try (Arena arena = Arena.ofConfined()) {
                    GuardedBuffer g = GuardedBuffer.floats(Memory.HEAP, arena, 3, gv);
                    long xl = planes * h * w;
                    GuardedBuffer d1 = GuardedBuffer.floats(Memory.HEAP, arena, 1, xl), d2 = GuardedBuffer.floats(Memory.HEAP, arena, 1, xl);
                    ref.pool().avgPool2dBackward(planes, h, w, d, g.seg, g.off, d1.seg, d1.off);
                    simd.pool().avgPool2dBackward(planes, h, w, d, g.seg, g.off, d2.seg, d2.off);
                    assertExact(d + " -0/NaN/Inf dx", d1.toFloats(), d2.toFloats());
                    d2.assertGuardsIntact(d + " dx");
                }
            }
        }
    }

    @Test
    void globalAveragePoolMatches() {
        Random rnd = new Random(3);
        for (long[] s : new long[][] {{1, 1, 1, 1}, {1, 3, 7, 7}, {2, 5, 1, 33}, {3, 2, 17, 13}, {1, 4, 56, 56}}) {
            long planes = s[0] * s[1], hw = s[2] * s[3];
            for (Memory mem : Memory.values()) {
                float[] xv = values(rnd, (int) (planes * hw), false);
                float[] gv = values(rnd, (int) planes, false);
                try (Arena arena = Arena.ofConfined()) {
                    GuardedBuffer x = GuardedBuffer.floats(mem, arena, 3, xv), g = GuardedBuffer.floats(mem, arena, 1, gv);
                    GuardedBuffer o1 = GuardedBuffer.floats(mem, arena, 1, planes), o2 = GuardedBuffer.floats(mem, arena, 1, planes);
                    ref.pool().globalAvgPool(planes, hw, x.seg, x.off, o1.seg, o1.off);
                    simd.pool().globalAvgPool(planes, hw, x.seg, x.off, o2.seg, o2.off);
                    float[] e = o1.toFloats();
                    // float lanes vs double: error bounded by a few ulp of the mean of |x| (|x| <= 4 here)
                    assertClose("global avg " + java.util.Arrays.toString(s), e, o2.toFloats(), 0, 4 * hw * Math.ulp(4f) / hw + 1e-6);
                    o2.assertGuardsIntact("global avg out");
                    GuardedBuffer d1 = GuardedBuffer.floats(mem, arena, 2, planes * hw), d2 = GuardedBuffer.floats(mem, arena, 2, planes * hw);
                    ref.pool().globalAvgPoolBackward(planes, hw, g.seg, g.off, d1.seg, d1.off);
                    simd.pool().globalAvgPoolBackward(planes, hw, g.seg, g.off, d2.seg, d2.off);
                    assertExact("global avg dx", d1.toFloats(), d2.toFloats());
                    d2.assertGuardsIntact("global avg dx");
                }
            }
        }
    }

    @Test
    void unpoolAndRoiPoolMatch() {
        Random rnd = new Random(9);
        try (Arena arena = Arena.ofConfined()) {
            long planes = 6, inHW = 12, outHW = 48;
            int[] iv = new int[(int) (planes * inHW)];
            for (int i = 0; i < iv.length; i++) iv[i] = rnd.nextInt((int) outHW);
            GuardedBuffer x = GuardedBuffer.floats(Memory.NATIVE, arena, 1, values(rnd, iv.length, false));
            GuardedBuffer idx = GuardedBuffer.ints(Memory.NATIVE, arena, 2, iv);
            GuardedBuffer o1 = GuardedBuffer.floats(Memory.NATIVE, arena, 1, planes * outHW), o2 = GuardedBuffer.floats(Memory.NATIVE, arena, 1, planes * outHW);
            ref.pool().maxUnpool2d(planes, inHW, outHW, x.seg, x.off, idx.seg, idx.off, o1.seg, o1.off);
            simd.pool().maxUnpool2d(planes, inHW, outHW, x.seg, x.off, idx.seg, idx.off, o2.seg, o2.off);
            assertExact("unpool", o1.toFloats(), o2.toFloats());
            GuardedBuffer b1 = GuardedBuffer.floats(Memory.NATIVE, arena, 1, iv.length), b2 = GuardedBuffer.floats(Memory.NATIVE, arena, 1, iv.length);
            ref.pool().maxUnpool2dBackward(planes, inHW, outHW, o1.seg, o1.off, idx.seg, idx.off, b1.seg, b1.off);
            simd.pool().maxUnpool2dBackward(planes, inHW, outHW, o1.seg, o1.off, idx.seg, idx.off, b2.seg, b2.off);
            assertExact("unpool dx", b1.toFloats(), b2.toFloats());

            long n = 2, c = 3, h = 9, w = 11, r = 4;
            RoiPoolDesc d = RoiPoolDesc.of(3, 2, 0.5f);
            float[] rois = {0, 0, 0, 20, 16, 1, 3, 5, 30, 9, 0, -6, -4, 8, 7, 1, 10, 2, 11, 30};
            GuardedBuffer rb = GuardedBuffer.floats(Memory.NATIVE, arena, 1, rois);
            GuardedBuffer fx = GuardedBuffer.floats(Memory.NATIVE, arena, 1, values(rnd, (int) (n * c * h * w), false));
            long ol = r * c * 6;
            GuardedBuffer p1 = GuardedBuffer.floats(Memory.NATIVE, arena, 1, ol), p2 = GuardedBuffer.floats(Memory.NATIVE, arena, 1, ol);
            GuardedBuffer a1 = GuardedBuffer.ints(Memory.NATIVE, arena, 1, ol), a2 = GuardedBuffer.ints(Memory.NATIVE, arena, 1, ol);
            ref.pool().roiPool(0, r, c, h, w, d, rb.seg, rb.off, fx.seg, fx.off, p1.seg, p1.off, a1.seg, a1.off);
            simd.pool().roiPool(0, r, c, h, w, d, rb.seg, rb.off, fx.seg, fx.off, p2.seg, p2.off, a2.seg, a2.off);
            assertExact("roi out", p1.toFloats(), p2.toFloats());
            assertArrayEquals(a1.toInts(), a2.toInts(), "roi argmax");
            GuardedBuffer g = GuardedBuffer.floats(Memory.NATIVE, arena, 1, values(rnd, (int) ol, false));
            GuardedBuffer d1 = GuardedBuffer.floats(Memory.NATIVE, arena, 1, n * c * h * w), d2 = GuardedBuffer.floats(Memory.NATIVE, arena, 1, n * c * h * w);
            ref.pool().roiPoolBackward(0, c, n, c, h, w, r, d, rb.seg, rb.off, g.seg, g.off, a1.seg, a1.off, d1.seg, d1.off);
            simd.pool().roiPoolBackward(0, c, n, c, h, w, r, d, rb.seg, rb.off, g.seg, g.off, a1.seg, a1.off, d2.seg, d2.off);
            assertExact("roi dx", d1.toFloats(), d2.toFloats());
            d2.assertGuardsIntact("roi dx");
        }
    }
}
