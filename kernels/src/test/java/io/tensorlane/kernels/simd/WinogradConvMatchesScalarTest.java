package io.tensorlane.kernels.simd;

import static io.tensorlane.kernels.ConvErrorBound.abs;
import static io.tensorlane.kernels.ConvErrorBound.arr;
import static io.tensorlane.kernels.ConvErrorBound.assertWithin;
import static io.tensorlane.kernels.simd.ConvKernelCheck.geometry;
import static io.tensorlane.kernels.simd.ConvKernelCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.kernels.GemmKernels;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.ref.ScalarConv;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Winograd F(2x2, 3x3) called directly (whatever {@link WinogradConv#forward} would choose) against the scalar
 * twin's direct sums, within the error bound every convolution path is held to: channel counts that are not a
 * multiple of the vector (the pad channels), 1 channel, odd and even output sizes (the last tile row / column
 * cropped), padding 0, 1 and 2, rectangular images, 4-wide maps (channels-last copy in two-row blocks), 1x1 outputs, several chunks of tiles with a short last one,
 * batch 1 and 3; 1 and 3 threads bit-identical. Tagged "simd": re-run at vector caps 128/256 and forced 512 bits.
 */
@Tag("simd")
class WinogradConvMatchesScalarTest {
    private final ScalarConv twin = new ScalarConv();
    private final GemmKernels gemm = new VectorGemm();

    // n, c, h, w, f, kh, kw, sh, sw, ph, pw, dh, dw
    static final int[][] SHAPES = {
            {2, 64, 14, 14, 64, 3, 3, 1, 1, 1, 1, 1, 1},   // a ResNet-style layer
            {1, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1, 1, 1},       // few channels, odd sizes
            {3, 17, 6, 5, 33, 3, 3, 1, 1, 0, 0, 1, 1},     // no padding, odd output width
            {2, 8, 5, 5, 16, 3, 3, 1, 1, 2, 2, 1, 1},      // padding 2 (output larger than the input)
            {1, 1, 1, 1, 8, 3, 3, 1, 1, 1, 1, 1, 1},       // 1x1 image and output, 1 channel
            {2, 9, 3, 3, 7, 3, 3, 1, 1, 0, 0, 1, 1},       // 1x1 output without padding
            {1, 12, 40, 36, 20, 3, 3, 1, 1, 1, 1, 1, 1},   // 360 tiles: two chunks, a short last one
            {2, 24, 1, 19, 10, 3, 3, 1, 1, 1, 1, 1, 1},    // a single row
            {3, 32, 4, 4, 64, 3, 3, 1, 1, 1, 1, 1, 1},     // 4-wide maps (the digits CNN's conv3): two-row blocks
            {2, 17, 5, 4, 9, 3, 3, 1, 1, 1, 1, 1, 1},      // 4 wide, odd height and channels: block tails
    };

    @Test
    void forwardMatchesTheTwin() {
        Random r = new Random(31);
        for (int[] s : SHAPES) {
            ConvGeometry g = geometry(s);
            assertTrue(WinogradConv.supports(g), g.toString());
            try (Arena a = Arena.ofShared()) {
                MemorySegment x = random(a, g.xSize(), r), w = random(a, g.wSize(), r), b = random(a, g.f(), r);
                MemorySegment ref = a.allocate(g.ySize() * 4), refNb = a.allocate(g.ySize() * 4), mag = a.allocate(g.ySize() * 4);
                twin.conv2d(g, x, 0, w, 0, b, 0, ref, 0, Parallelism.single());
                twin.conv2d(g, x, 0, w, 0, null, 0, refNb, 0, Parallelism.single());
                twin.conv2d(g, abs(a, x), 0, abs(a, w), 0, abs(a, b), 0, mag, 0, Parallelism.single());
                long terms = g.c() * 9;
                MemorySegment y1 = a.allocate(g.ySize() * 4), y3 = a.allocate(g.ySize() * 4), yNb = a.allocate(g.ySize() * 4);
                y1.fill((byte) 0x7f);
                yNb.fill((byte) 0x7f);
                WinogradConv.conv2d(g, x, 0, w, 0, b, 0, y1, 0, Parallelism.single());
                WinogradConv.conv2d(g, x, 0, w, 0, b, 0, y3, 0, Parallelism.threads(3));
                WinogradConv.conv2d(g, x, 0, w, 0, null, 0, yNb, 0, Parallelism.single());
                assertWithin("fwd " + g, arr(ref), arr(y1), arr(mag), terms + 1);
                assertWithin("fwd, no bias " + g, arr(refNb), arr(yNb), arr(mag), terms);
                assertArrayEquals(arr(y1), arr(y3), "threads " + g);
            }
        }
    }

    @Test
    void backwardDataMatchesTheTwin() {
        Random r = new Random(37);
        for (int[] s : SHAPES) {
            ConvGeometry g = geometry(s);
            ConvKernelCheck.backwardData(g, r, (gg, d, w, dx, par) -> WinogradConv.backwardData(gg, d, 0, w, 0, dx, 0, par));
        }
    }

    /**
     * Backward-weights sums over every tile of the batch, so its error is held to Winograd's norm-wise bound,
     * derived from the transforms: each transformed input is a +-1 combination of at most 4 pixels of the tile's
     * 4x4 patch and each transformed gradient one of at most 4 entries of its 2x2 block (3 roundings each), their
     * products are summed over the T tiles (T + 1 roundings), and the inverse transform combines the 16 sums with
     * coefficients whose magnitudes add up to at most 4 (6 more roundings). So
     * |error of dW[f][c][i][j]| <= 4 (T + 16) u sum_t (sum of |dY_t[f]| over the block)(sum of |x_t[c]| over the
     * patch), doubled here for the first-order approximation of the rounding products.
     */
    @Test
    void backwardWeightsMatchesTheTwinWithinTheNormwiseBound() {
        Random r = new Random(43);
        for (int[] s : SHAPES) {
            ConvGeometry g = geometry(s);
            try (Arena a = Arena.ofShared()) {
                MemorySegment x = random(a, g.xSize(), r), d = random(a, g.ySize(), r);
                MemorySegment ref = a.allocate(g.wSize() * 4), d1 = a.allocate(g.wSize() * 4), d3 = a.allocate(g.wSize() * 4);
                twin.conv2dBackwardWeights(g, x, 0, d, 0, ref, 0, Parallelism.single());
                d1.fill((byte) 0x7f);
                d3.fill((byte) 0x7f);
                WinogradConv.backwardWeights(g, x, 0, d, 0, d1, 0, Parallelism.single());
                WinogradConv.backwardWeights(g, ConvKernelCheck.heap(x), 0, ConvKernelCheck.heap(d), 0, d3, 0,
                        Parallelism.threads(3));
                double[] mag = normwise(g, arr(x), arr(d));
                long tiles = g.n() * ((g.ho() + 1) / 2) * ((g.wo() + 1) / 2);
                float[] want = arr(ref), got = arr(d1);
                for (int i = 0; i < want.length; i++) {
                    double bound = 8.0 * (tiles + 16) * U * mag[i / 9] + Float.MIN_NORMAL;
                    assertTrue(Math.abs(want[i] - got[i]) <= bound,
                            "bwd-weights " + g + " at " + i + ": expected " + want[i] + " got " + got[i] + " (bound " + bound + ")");
                }
                assertArrayEquals(got, arr(d3), "threads " + g);
            }
        }
    }

    private static final double U = Math.ulp(1.0f) / 2;

    /**
     * Inputs built to cancel (large weights and pixels on different taps of each window, small values elsewhere)
     * exceed the direct sums' element-wise bound but not Winograd's norm-wise forward bound: an output mixes only
     * its window's inputs, each transformed value is bounded by the window's |x| sum (input side) or 2.25x the
     * kernel's |w| sum (weight side), the channel sums add C + 1 roundings, the 9 transformed products an output
     * adds and the transforms about 10 more, so |error of y[f][p]| <= 9 * 2.25 (C + 16) u sum_c (sum |w[f][c]|)
     * (sum of |x[c]| over p's window), doubled here for the first-order approximation.
     */
    @Test
    void cancellingInputsStayWithinTheNormwiseBound() {
        Random r = new Random(47);
        ConvGeometry g = geometry(new int[] {2, 64, 10, 10, 64, 3, 3, 1, 1, 1, 1, 1, 1});
        try (Arena a = Arena.ofShared()) {
            MemorySegment x = a.allocate(g.xSize() * 4), w = a.allocate(g.wSize() * 4);
            for (long i = 0; i < g.xSize(); i++) {
                boolean big = (i % 10) % 3 == 0 && ((i / 10) % 10) % 3 == 0; // every third pixel of every third row
                x.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) (r.nextGaussian() * (big ? 1e3 : 1e-3)));
            }
            for (long i = 0; i < g.wSize(); i++) { // large centre taps: they never meet the large pixels' taps alone
                w.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) (r.nextGaussian() * (i % 9 == 4 ? 1e3 : 1e-3)));
            }
            MemorySegment ref = a.allocate(g.ySize() * 4), y = a.allocate(g.ySize() * 4);
            twin.conv2d(g, x, 0, w, 0, null, 0, ref, 0, Parallelism.single());
            WinogradConv.conv2d(g, x, 0, w, 0, null, 0, y, 0, Parallelism.single());
            float[] xs = arr(x), ws = arr(w), want = arr(ref), got = arr(y);
            int c = (int) g.c(), h = (int) g.h(), wd = (int) g.w(), f = (int) g.f(), ho = (int) g.ho(), wo = (int) g.wo();
            for (int n = 0; n < g.n(); n++) {
                for (int fi = 0; fi < f; fi++) {
                    for (int oh = 0; oh < ho; oh++) {
                        for (int ow = 0; ow < wo; ow++) {
                            double mag = 0;
                            for (int ci = 0; ci < c; ci++) {
                                double sw = 0, sx = 0;
                                for (int k = 0; k < 9; k++) sw += Math.abs(ws[(fi * c + ci) * 9 + k]);
                                for (int i = 0; i < 3; i++) {
                                    for (int j = 0; j < 3; j++) {
                                        int rr = oh + i - 1, qq = ow + j - 1;
                                        if (rr >= 0 && rr < h && qq >= 0 && qq < wd) sx += Math.abs(xs[((n * c + ci) * h + rr) * wd + qq]);
                                    }
                                }
                                mag += sw * sx;
                            }
                            int at = ((n * f + fi) * ho + oh) * wo + ow;
                            double bound = 2 * 9 * 2.25 * (c + 16) * U * mag;
                            assertTrue(Math.abs(want[at] - got[at]) <= bound,
                                    "at " + at + ": expected " + want[at] + " got " + got[at] + " (bound " + bound + ")");
                        }
                    }
                }
            }
        }
    }

    /** sum over images and tiles of (sum |dY[f]| over the tile's 2x2 block)(sum |x[c]| over its 4x4 patch), per (f, c). */
    private static double[] normwise(ConvGeometry g, float[] x, float[] dy) {
        int n = (int) g.n(), c = (int) g.c(), f = (int) g.f(), h = (int) g.h(), w = (int) g.w();
        int ho = (int) g.ho(), wo = (int) g.wo(), p = g.padH(), th = (ho + 1) / 2, tw = (wo + 1) / 2;
        double[] mag = new double[f * c];
        for (int img = 0; img < n; img++) {
            for (int t = 0; t < th * tw; t++) {
                int r0 = 2 * (t / tw), q0 = 2 * (t % tw);
                double[] dx = new double[c], dd = new double[f];
                for (int ci = 0; ci < c; ci++) {
                    for (int i = 0; i < 4; i++) {
                        for (int j = 0; j < 4; j++) {
                            int rr = r0 + i - p, qq = q0 + j - p;
                            if (rr >= 0 && rr < h && qq >= 0 && qq < w) dx[ci] += Math.abs(x[((img * c + ci) * h + rr) * w + qq]);
                        }
                    }
                }
                for (int fi = 0; fi < f; fi++) {
                    for (int i = 0; i < 2; i++) {
                        for (int j = 0; j < 2; j++) {
                            if (r0 + i < ho && q0 + j < wo) dd[fi] += Math.abs(dy[((img * f + fi) * ho + r0 + i) * wo + q0 + j]);
                        }
                    }
                }
                for (int fi = 0; fi < f; fi++) {
                    for (int ci = 0; ci < c; ci++) mag[fi * c + ci] += dd[fi] * dx[ci];
                }
            }
        }
        return mag;
    }

    @Test
    void offsetsAreHonoured() {
        Random r = new Random(41);
        ConvGeometry g = geometry(SHAPES[1]);
        try (Arena a = Arena.ofShared()) {
            long xo = 3, wo = 5, bo = 7, yo = 11;
            MemorySegment x = random(a, g.xSize() + xo, r), w = random(a, g.wSize() + wo, r), b = random(a, g.f() + bo, r);
            MemorySegment ref = a.allocate(g.ySize() * 4), mag = a.allocate(g.ySize() * 4);
            twin.conv2d(g, x.asSlice(xo * 4), 0, w.asSlice(wo * 4), 0, b.asSlice(bo * 4), 0, ref, 0, Parallelism.single());
            twin.conv2d(g, abs(a, x.asSlice(xo * 4)), 0, abs(a, w.asSlice(wo * 4)), 0, abs(a, b.asSlice(bo * 4)), 0, mag, 0,
                    Parallelism.single());
            MemorySegment y = a.allocate((g.ySize() + yo + 4) * 4);
            y.fill((byte) 0x7f);
            WinogradConv.conv2d(g, x, xo, w, wo, b, bo, y, yo, Parallelism.single());
            assertWithin("fwd at offsets " + g, arr(ref), arr(y.asSlice(yo * 4, g.ySize() * 4)), arr(mag), g.c() * 9 + 1);
            float[] all = arr(y);
            for (int i = 0; i < yo; i++) assertTrue(Float.floatToRawIntBits(all[i]) == 0x7f7f7f7f, "written before y at " + i);
            for (long i = yo + g.ySize(); i < all.length; i++) {
                assertTrue(Float.floatToRawIntBits(all[(int) i]) == 0x7f7f7f7f, "written after y at " + i);
            }
        }
    }

    @Test
    void choice() {
        Conv2dDesc p1 = Conv2dDesc.of(3).pad(1);
        ConvGeometry resnet = p1.forward(new long[] {8, 64, 56, 56}, new long[] {64, 64, 3, 3});
        ConvGeometry deep = p1.forward(new long[] {8, 256, 14, 14}, new long[] {256, 256, 3, 3});
        ConvGeometry digits = p1.forward(new long[] {64, 32, 8, 8}, new long[] {32, 32, 3, 3});
        assertTrue(WinogradConv.forward(resnet) && WinogradConv.backwardData(resnet) && WinogradConv.backwardWeights(resnet));
        assertTrue(WinogradConv.forward(deep) && WinogradConv.backwardData(deep));
        assertTrue(WinogradConv.forward(digits) && WinogradConv.backwardData(digits));
        assertTrue(WinogradConv.backwardWeights(digits));
        assertFalse(WinogradConv.forward(p1.forward(new long[] {64, 16, 8, 8}, new long[] {16, 16, 3, 3})));
        assertTrue(WinogradConv.backwardWeights(p1.forward(new long[] {8, 32, 56, 56}, new long[] {64, 32, 3, 3})));
        // not 3x3 stride 1 dilation 1 groups 1
        assertFalse(WinogradConv.supports(Conv2dDesc.of(3).pad(1).stride(2).forward(new long[] {1, 64, 8, 8}, new long[] {64, 64, 3, 3})));
        assertFalse(WinogradConv.supports(Conv2dDesc.of(3).pad(2).dilation(2).forward(new long[] {1, 64, 8, 8}, new long[] {64, 64, 3, 3})));
        assertFalse(WinogradConv.supports(Conv2dDesc.of(3).pad(1).groups(2).forward(new long[] {1, 64, 8, 8}, new long[] {64, 32, 3, 3})));
        assertFalse(WinogradConv.supports(Conv2dDesc.of(5).pad(2).forward(new long[] {1, 64, 8, 8}, new long[] {64, 64, 5, 5})));
        assertFalse(WinogradConv.supports(Conv2dDesc.of(3).pad(3).forward(new long[] {1, 64, 8, 8}, new long[] {64, 64, 3, 3})));
    }
}
