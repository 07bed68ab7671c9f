package io.tensorlane.kernels.simd;

import static io.tensorlane.kernels.ConvErrorBound.abs;
import static io.tensorlane.kernels.ConvErrorBound.arr;
import static io.tensorlane.kernels.ConvErrorBound.assertWithin;
import static io.tensorlane.kernels.simd.ConvKernelCheck.geometry;
import static io.tensorlane.kernels.simd.ConvKernelCheck.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
 * Winograd F(2x2, 3x3) and F(4x4, 3x3) called directly (whatever {@link WinogradConv#forward} would choose)
 * against the scalar twin's direct sums, within the error bound every convolution path is held to (forward and
 * backward-data) or the norm-wise bound of the transforms (backward-weights, inputs built to cancel): channel
 * counts that are not a multiple of the vector (the pad channels), 1 channel, odd and even output sizes (the
 * last tile row / column cropped), padding 0, 1 and 2, rectangular images, 4-wide maps (channels-last copy in
 * two-row blocks), 1x1 outputs, several chunks of tiles with a short last one, batch 1 and 3; 1 and 3 threads
 * bit-identical. Tagged "simd": re-run at vector caps 128/256 and forced 512 bits.
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

    /** The output tile edges of forward and backward-data: F(2x2, 3x3) and F(4x4, 3x3). */
    static final int[] TILES = {2, 4};

    @Test
    void forwardMatchesTheTwin() {
        for (int m : TILES) forwardMatchesTheTwin(m);
    }

    private void forwardMatchesTheTwin(int m) {
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
                WinogradConv.conv2d(g, x, 0, w, 0, b, 0, y1, 0, Parallelism.single(), m);
                WinogradConv.conv2d(g, x, 0, w, 0, b, 0, y3, 0, Parallelism.threads(3), m);
                WinogradConv.conv2d(g, x, 0, w, 0, null, 0, yNb, 0, Parallelism.single(), m);
                assertWithin("fwd F(" + m + "x" + m + ") " + g, arr(ref), arr(y1), arr(mag), terms + 1);
                assertWithin("fwd F(" + m + "x" + m + "), no bias " + g, arr(refNb), arr(yNb), arr(mag), terms);
                assertArrayEquals(arr(y1), arr(y3), "threads F(" + m + "x" + m + ") " + g);
            }
        }
    }

    @Test
    void backwardDataMatchesTheTwin() {
        for (int m : TILES) {
            Random r = new Random(37);
            for (int[] s : SHAPES) {
                ConvGeometry g = geometry(s);
                ConvKernelCheck.backwardData(g, r, (gg, d, w, dx, par) -> WinogradConv.backwardData(gg, d, 0, w, 0, dx, 0, par, m));
            }
        }
    }

    /**
     * Backward-weights sums over every tile of the batch, so its error is held to Winograd's norm-wise bound, which
     * follows the transforms as the forward's does (see {@link #cancellingInputsStayWithinTheNormwiseBound}): every
     * value rounded is bounded by the same expression over absolute values, {@code |G^T| (sum_t (|A| |dY_t| |A^T|)
     * . (|B^T| |d_t| |B|)) |G|} per (f, c) and tap (d_t the tile's zero-padded input patch, dY_t its output-gradient
     * block, zero past the image), and a tap collects at most 6 roundings from each transform, T from the sum over
     * the T tiles and 4 from the inverse transform: |error| <= (T + 16) u times it, doubled here for the
     * first-order approximation.
     */
    @Test
    void backwardWeightsMatchesTheTwinWithinTheNormwiseBound() {
        for (int m : TILES) {
            Random r = new Random(43);
            for (int[] s : SHAPES) {
                ConvGeometry g = geometry(s);
                try (Arena a = Arena.ofShared()) {
                    MemorySegment x = random(a, g.xSize(), r), d = random(a, g.ySize(), r);
                    MemorySegment ref = a.allocate(g.wSize() * 4), d1 = a.allocate(g.wSize() * 4), d3 = a.allocate(g.wSize() * 4);
                    twin.conv2dBackwardWeights(g, x, 0, d, 0, ref, 0, Parallelism.single());
                    d1.fill((byte) 0x7f);
                    d3.fill((byte) 0x7f);
                    WinogradConv.backwardWeights(g, x, 0, d, 0, d1, 0, Parallelism.single(), m);
                    WinogradConv.backwardWeights(g, ConvKernelCheck.heap(x), 0, ConvKernelCheck.heap(d), 0, d3, 0,
                            Parallelism.threads(3), m);
                    double[] mag = backwardWeightsMagnitude(g, arr(x), arr(d), m);
                    long tiles = g.n() * ((g.ho() + m - 1) / m) * ((g.wo() + m - 1) / m);
                    float[] want = arr(ref), got = arr(d1);
                    for (int i = 0; i < want.length; i++) {
                        double bound = 2.0 * (tiles + 16) * U * mag[i] + Float.MIN_NORMAL;
                        assertTrue(Math.abs(want[i] - got[i]) <= bound, "bwd-weights F(" + m + "x" + m + ") " + g + " at " + i
                                + ": expected " + want[i] + " got " + got[i] + " (bound " + bound + ")");
                    }
                    assertArrayEquals(got, arr(d3), "threads F(" + m + "x" + m + ") " + g);
                }
            }
        }
    }

    /** The backward-weights' norm-wise magnitude per dW element (see the test above). */
    private static double[] backwardWeightsMagnitude(ConvGeometry g, float[] x, float[] dy, int m) {
        double[][] at = m == 2 ? AT2 : AT4, gm = m == 2 ? G2 : G4, bt = m == 2 ? BT2 : BT4;
        double[][] a = transpose(at), gt = transpose(gm);
        int n = (int) g.n(), c = (int) g.c(), f = (int) g.f();
        int ho = (int) g.ho(), wo = (int) g.wo(), e = m + 2, th = (ho + m - 1) / m, tw = (wo + m - 1) / m;
        double[][][] sum = new double[f * c][e][e];
        for (int img = 0; img < n; img++) {
            for (int t = 0; t < th * tw; t++) {
                int r0 = m * (t / tw), q0 = m * (t % tw);
                double[][][] v = patchMagnitudes(g, x, img, r0, q0, bt), gy = new double[f][][];
                for (int fi = 0; fi < f; fi++) {
                    double[][] d = new double[m][m];
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < m; j++) {
                            if (r0 + i < ho && q0 + j < wo) d[i][j] = dy[((img * f + fi) * ho + r0 + i) * wo + q0 + j];
                        }
                    }
                    gy[fi] = absSandwich(a, d, a);
                }
                for (int fi = 0; fi < f; fi++) {
                    for (int ci = 0; ci < c; ci++) {
                        double[][] acc = sum[fi * c + ci];
                        for (int i = 0; i < e; i++) for (int j = 0; j < e; j++) acc[i][j] += gy[fi][i][j] * v[ci][i][j];
                    }
                }
            }
        }
        double[] mag = new double[f * c * 9];
        for (int q = 0; q < f * c; q++) {
            double[][] k = absSandwich(gt, sum[q], gt);
            for (int i = 0; i < 9; i++) mag[q * 9 + i] = k[i / 3][i % 3];
        }
        return mag;
    }

    private static double[][] transpose(double[][] a) {
        double[][] t = new double[a[0].length][a.length];
        for (int i = 0; i < a.length; i++) for (int j = 0; j < a[0].length; j++) t[j][i] = a[i][j];
        return t;
    }

    private static final double U = Math.ulp(1.0f) / 2;

    /**
     * Inputs built to cancel (large weights and pixels on different taps of each window, small values elsewhere)
     * exceed the direct sums' element-wise bound but not Winograd's norm-wise forward bound, which follows the
     * transforms: with |B^T|, |G|, |A^T| the element-wise absolute transform matrices, every value the kernel
     * rounds is bounded by the same expression over absolute values, {@code |A^T| (sum_c (|G| |w_fc| |G|^T) .
     * (|B^T| |d_c| |B|)) |A|} per output (d_c the tile's zero-padded input patch), and an output collects at most
     * 6 roundings from the input transform, 8 from the weight transform (G's sixths included), 1 + C from the
     * products and their channel sum and 8 from the output transform: |error| <= (C + 24) u times it, doubled here
     * for the first-order approximation. The same bound for both tile sizes (F(4x4, 3x3)'s larger coefficients
     * are in the magnitudes).
     */
    @Test
    void cancellingInputsStayWithinTheNormwiseBound() {
        for (int m : TILES) {
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
                WinogradConv.conv2d(g, x, 0, w, 0, null, 0, y, 0, Parallelism.single(), m);
                float[] want = arr(ref), got = arr(y);
                double[] mag = transformMagnitude(g, arr(x), arr(w), m);
                int beyondElementwise = 0;
                MemorySegment emag = a.allocate(g.ySize() * 4);
                twin.conv2d(g, abs(a, x), 0, abs(a, w), 0, null, 0, emag, 0, Parallelism.single());
                float[] em = arr(emag);
                for (int at = 0; at < want.length; at++) {
                    double bound = 2 * (g.c() + 24) * U * mag[at];
                    assertTrue(Math.abs(want[at] - got[at]) <= bound,
                            "F(" + m + "x" + m + ") at " + at + ": expected " + want[at] + " got " + got[at] + " (bound " + bound + ")");
                    if (Math.abs(want[at] - got[at]) > 2.0 * g.c() * 9 * U * em[at]) beyondElementwise++;
                }
                assertTrue(beyondElementwise > 0, "F(" + m + "x" + m + "): the data should defeat the element-wise bound");
            }
        }
    }

    private static final double[][] AT2 = {{1, 1, 1, 0}, {0, 1, -1, -1}};
    private static final double[][] G2 = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    private static final double[][] BT2 = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
    private static final double[][] AT4 = {{1, 1, 1, 1, 1, 0}, {0, 1, -1, 2, -2, 0}, {0, 1, 1, 4, 4, 0}, {0, 1, -1, 8, -8, 1}};
    private static final double[][] G4 = {{0.25, 0, 0}, {-1 / 6.0, -1 / 6.0, -1 / 6.0}, {-1 / 6.0, 1 / 6.0, -1 / 6.0},
            {1 / 24.0, 1 / 12.0, 1 / 6.0}, {1 / 24.0, -1 / 12.0, 1 / 6.0}, {0, 0, 1}};
    private static final double[][] BT4 = {{4, 0, -5, 0, 1, 0}, {0, -4, -4, 1, 1, 0}, {0, 4, -4, -1, 1, 0},
            {0, -2, -1, 2, 1, 0}, {0, 2, -1, -2, 1, 0}, {0, 4, 0, -5, 0, 1}};

    /** |P| |X| |Q|^T for an a x b matrix P, b x b' X and a' x b' Q (all as absolute values). */
    private static double[][] absSandwich(double[][] p, double[][] x, double[][] q) {
        int a = p.length, b = x.length, bb = x[0].length, aa = q.length;
        double[][] t = new double[a][bb], out = new double[a][aa];
        for (int i = 0; i < a; i++) for (int k = 0; k < b; k++) for (int j = 0; j < bb; j++) t[i][j] += Math.abs(p[i][k]) * Math.abs(x[k][j]);
        for (int i = 0; i < a; i++) for (int j = 0; j < aa; j++) for (int k = 0; k < bb; k++) out[i][j] += t[i][k] * Math.abs(q[j][k]);
        return out;
    }

    /**
     * |B^T| |d_c| |B| for every channel c of image img, d_c the zero-padded (m+2) x (m+2) input patch whose output
     * tile starts at (r0, q0), m + 2 the size of bt.
     */
    private static double[][][] patchMagnitudes(ConvGeometry g, float[] x, int img, int r0, int q0, double[][] bt) {
        int c = (int) g.c(), h = (int) g.h(), wd = (int) g.w(), p = g.padH(), e = bt.length;
        double[][][] v = new double[c][][];
        for (int ci = 0; ci < c; ci++) {
            double[][] d = new double[e][e];
            for (int i = 0; i < e; i++) {
                for (int j = 0; j < e; j++) {
                    int rr = r0 + i - p, qq = q0 + j - p;
                    if (rr >= 0 && rr < h && qq >= 0 && qq < wd) d[i][j] = x[((img * c + ci) * h + rr) * wd + qq];
                }
            }
            v[ci] = absSandwich(bt, d, bt);
        }
        return v;
    }

    /** The forward's norm-wise magnitude per output (see {@link #cancellingInputsStayWithinTheNormwiseBound}). */
    private static double[] transformMagnitude(ConvGeometry g, float[] x, float[] w, int m) {
        double[][] at = m == 2 ? AT2 : AT4, gm = m == 2 ? G2 : G4, bt = m == 2 ? BT2 : BT4;
        int n = (int) g.n(), c = (int) g.c(), f = (int) g.f();
        int ho = (int) g.ho(), wo = (int) g.wo(), e = m + 2, th = (ho + m - 1) / m, tw = (wo + m - 1) / m;
        double[][][] u = new double[f * c][][];
        for (int fc = 0; fc < f * c; fc++) {
            double[][] k = new double[3][3];
            for (int i = 0; i < 9; i++) k[i / 3][i % 3] = w[fc * 9 + i];
            u[fc] = absSandwich(gm, k, gm);
        }
        double[] mag = new double[n * f * ho * wo];
        for (int img = 0; img < n; img++) {
            for (int t = 0; t < th * tw; t++) {
                int r0 = m * (t / tw), q0 = m * (t % tw);
                double[][][] v = patchMagnitudes(g, x, img, r0, q0, bt);
                for (int fi = 0; fi < f; fi++) {
                    double[][] sum = new double[e][e];
                    for (int ci = 0; ci < c; ci++) {
                        for (int i = 0; i < e; i++) for (int j = 0; j < e; j++) sum[i][j] += u[fi * c + ci][i][j] * v[ci][i][j];
                    }
                    double[][] y = absSandwich(at, sum, at);
                    for (int i = 0; i < m; i++) {
                        for (int j = 0; j < m; j++) {
                            if (r0 + i < ho && q0 + j < wo) mag[((img * f + fi) * ho + r0 + i) * wo + q0 + j] = y[i][j];
                        }
                    }
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
            for (int m : TILES) {
                MemorySegment y = a.allocate((g.ySize() + yo + 4) * 4);
                y.fill((byte) 0x7f);
                WinogradConv.conv2d(g, x, xo, w, wo, b, bo, y, yo, Parallelism.single(), m);
                assertWithin("fwd at offsets F(" + m + "x" + m + ") " + g, arr(ref), arr(y.asSlice(yo * 4, g.ySize() * 4)), arr(mag), g.c() * 9 + 1);
                float[] all = arr(y);
                for (int i = 0; i < yo; i++) assertTrue(Float.floatToRawIntBits(all[i]) == 0x7f7f7f7f, "written before y at " + i);
                for (long i = yo + g.ySize(); i < all.length; i++) {
                    assertTrue(Float.floatToRawIntBits(all[(int) i]) == 0x7f7f7f7f, "written after y at " + i);
                }
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
        if (WinogradConv.TILE.equals("auto")) { // F(4x4, 3x3) where its tiles need fewer products
            for (int e : new int[] {3, 4, 7, 8, 14, 28, 56}) assertEquals(4, WinogradConv.tileEdge(e, e), "edge " + e);
            for (int e : new int[] {1, 2, 5, 6}) assertEquals(2, WinogradConv.tileEdge(e, e), "edge " + e);
            assertEquals(4, WinogradConv.tileEdge(8, 5));
        }
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
