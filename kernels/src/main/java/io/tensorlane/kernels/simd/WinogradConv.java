package io.tensorlane.kernels.simd;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.kernels.Parallelism;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * 3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3) and F(4x4, 3x3) (Lavin and Gray, "Fast
 * Algorithms for Convolutional Neural Networks", 2016): each m x m block of outputs is
 * {@code A^T [(G g G^T) . (B^T d B)] A} over the (m+2) x (m+2) input patch d under it, so the 9 m^2 multiplications
 * per block and channel pair of a direct convolution become (m+2)^2 (16 for m = 2: 2.25x fewer; 36 for m = 4: 4x
 * fewer), done as (m+2)^2 independent GEMMs (one per position xi of the transformed domain) over all channel pairs:
 * {@code M[xi] (tiles x F) = V[xi] (tiles x C) U[xi] (C x F)}, run straight on the SGEMM's 4 x NR microkernel over
 * operands laid out in its panels. Forward and backward-data use m = 4 wherever its tiles need fewer products
 * ({@link #tileEdge}; backward-weights m = 2, see {@link #TILE}): the transforms cost about the same per output as
 * m = 2's, the products 1.8x less (same JVM against m = 2 on 1 thread, AVX2, forward / backward-data, 32->32 at
 * 8x8 1.42-1.45 / 1.43-1.46x faster, 32->64 at 4x4 1.3x, 64->64 at 56x56 1.43 / 1.62x, at 28x28 1.33x, 128->128 at
 * 7x7 1.26x, 256->256 at 14x14 1.00x). With 32 or more channels each way (the digits CNN's 32->32 at 8x8 and
 * 32->64 at 4x4, ResNet's 64->64, the 256->256 of deeper stages) the products
 * carry most of the work and the transforms (additions only, vectorised over channels) stay small.
 *
 * <p>Layouts: the image is copied channels-last with a zero border ({@code [hp][wp][cp]}, cp the channels
 * rounded up to whole vectors, the pad channels zero); per chunk of at most {@value #CHUNK_TILES} tiles (16 / 36
 * as many for m = 4: {@link Problem#chunkTiles}; tiles of
 * several small images share a chunk, so that the products keep enough rows) V goes into a row-major
 * {@code [xi][t][cp]} block that the microkernel reads in place and M into a heap tile {@code [xi][t][fn]}; U is
 * built once per call straight into B panels
 * of NR output channels; the m x m outputs go to a channels-last image tile {@code [ho*wo][fp]} that is
 * transposed to NCHW at the end with the bias. The NCHW <-> channels-last transposes run 8 x 8 blocks in
 * registers ({@link #transpose8}) with 8 lanes. All buffers are per-thread heap arrays ({@link Scratch}).
 *
 * <p>Backward-data of a stride-1 3x3 convolution with padding p is the same computation: dx is the
 * correlation of dout, padded by 2 - p, with the kernel flipped and its channel axes swapped. Backward-weights
 * runs the adjoints of the three transforms around one product per transformed position whose summed dimension
 * is the tiles ({@link #backwardWeights}).
 *
 * <p>Accuracy: F(2x2, 3x3)'s coefficients are 0, +-1 and 1/2 (exact in float); F(4x4, 3x3)'s B^T and A^T hold
 * integers up to 8 (exact) and G sixths (rounded once, in the weights). An output's rounding error is bounded
 * norm-wise, by the absolute transforms applied to |x| over its tile's patch and |w|, not element-wise like a
 * direct sum's; F(4x4, 3x3)'s larger coefficients make it about 10-20x F(2x2, 3x3)'s on random data (relative
 * errors around 1e-5 instead of 1e-6 for 64-576 channels x taps), still within the element-wise bound every
 * convolution path is tested against on ordinary data (the tests here, random normal data, and the golden
 * cases; {@code -Dtensorlane.conv.winogradTile=2} keeps m = 2); inputs built to cancel (huge weights and pixels
 * on different taps of a window) can exceed that and are held to the norm-wise bound (tested for both m).
 * {@code -Dtensorlane.conv.winograd=off} keeps the direct / im2col paths everywhere.
 * Results do not depend on the thread count (threads split groups of images; each output element is computed
 * by the same operations in the same order).
 */
final class WinogradConv {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    /**
     * Tiles per chunk: V and M of one chunk (16 x tiles x channels: 512 KiB for 64 channels) stay within L2.
     * 128 measured best against 64 and 256 (same-JVM A/B on the digits CNN's, ResNet's and Deep's 3x3 layers);
     * {@code -Dtensorlane.conv.winogradChunk=N} sets it for such measurements.
     */
    static final int CHUNK_TILES = Math.max(4, Integer.getInteger("tensorlane.conv.winogradChunk", 128));
    /**
     * Floats added to the stride between the 16 positions' planes: a transform writes (and the products read)
     * the same offset in all 16, and plane sizes are often multiples of 4 KiB, which would put all 16 streams
     * in the same L1 sets.
     */
    private static final int SKEW = 16;
    /** Largest buffer (floats) this path will use per image or for the transformed weights. */
    private static final long MAX_FLOATS = 1L << 26;
    /** "auto" (default), "on" (wherever supported) or "off": a knob for measuring the choice. */
    static final String MODE = System.getProperty("tensorlane.conv.winograd", "auto");
    /** Summed and output channels from which Winograd is chosen (measured: docs/performance.md, conv section). */
    static final int MIN_CHANNELS = Integer.getInteger("tensorlane.conv.winogradMinChannels", 32);

    private WinogradConv() {
    }

    /**
     * The equivalent forward problem: in channels, out channels, image h x w, padding, output ho x wo, and the
     * output tile edge m: 2 for F(2x2, 3x3) (4x4 patches, 16 positions), 4 for F(4x4, 3x3) (6x6, 36).
     */
    record Problem(int cin, int cout, int h, int w, int pad, int ho, int wo, int m) {
        int tilesH() {
            return (ho + m - 1) / m;
        }

        int tilesW() {
            return (wo + m - 1) / m;
        }

        int hp() {
            return m * tilesH() + 2;
        }

        int wp() {
            return m * tilesW() + 2;
        }

        /** Transformed positions: the products per chunk. */
        int positions() {
            return (m + 2) * (m + 2);
        }

        /** Tiles per chunk: {@link #CHUNK_TILES} for 16 positions, fewer for 36 (the same V and M bytes). */
        int chunkTiles() {
            return Math.max(4, CHUNK_TILES * 16 / positions() / 4 * 4);
        }

        int cp() {
            return roundUp(cin, L);
        }

        int fp() {
            return roundUp(cout, L);
        }
    }

    private static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }

    /** 3x3, stride 1, dilation 1, groups 1, padding at most 2 (so that the backward's 2 - p is a padding too). */
    static boolean supports(ConvGeometry g) {
        if (g.groups() != 1 || g.kh() != 3 || g.kw() != 3 || g.strideH() != 1 || g.strideW() != 1
                || g.dilationH() != 1 || g.dilationW() != 1 || g.padH() != g.padW() || g.padH() > 2) {
            return false;
        }
        long most = Math.max(Math.max(g.c(), g.f()), Math.max(Math.max(g.h(), g.w()), Math.max(g.ho(), g.wo())));
        if (most > (1 << 20)) return false;
        long cp = roundUp((int) Math.max(g.c(), g.f()), L);
        long img = (Math.max(g.ho(), g.h()) + 5) * (Math.max(g.wo(), g.w()) + 5) * cp; // either tile size
        return img <= MAX_FLOATS && 36L * g.c() * g.f() <= MAX_FLOATS && 16L * CHUNK_TILES * cp <= MAX_FLOATS;
    }

    /**
     * Whether the forward of g runs here: supported, and both channel counts at least {@link #MIN_CHANNELS}
     * (measured, 1 thread, AVX2, same JVM against the direct / im2col paths, forward / backward-data: 64->64 at
     * 56x56 0.50 / 0.40, 256->256 at 14x14 0.41 / 0.43, 64->64 at 28x28 0.66 / 0.67, 32->32 at 28x28 0.73 / 0.77,
     * at 8x8 0.60 / 0.50, 32->64 at 4x4 0.64 / 0.82; but 16->16 at 8x8 1.0-1.1, where the direct kernels' inner
     * loops are as short as the products here).
     */
    static boolean forward(ConvGeometry g) {
        if (!supports(g) || MODE.equals("off")) return false;
        return MODE.equals("on") || (g.c() >= MIN_CHANNELS && g.f() >= MIN_CHANNELS);
    }

    /** As {@link #forward}, for backward-data. */
    static boolean backwardData(ConvGeometry g) {
        return forward(g);
    }

    /**
     * "auto" (default: {@link #tileEdge} for forward and backward-data, 2 for backward-weights), "2" or "4": the
     * output tile edge, F(2x2, 3x3) or F(4x4, 3x3). A knob for measuring the choice. Backward-weights keeps 2 unless
     * this says 4: its sums over every tile of F(4x4, 3x3)'s larger transformed values exceed the element-wise bound
     * every convolution path is held to on random data (2 x 64 x 4x4 images, 32 filters: 1.3e-5 relative error
     * against a 1.2e-5 bound), for 1.25-1.28x on 32->32 at 8x8 and nothing at 4x4 (same JVM, 1 thread, AVX2).
     */
    static final String TILE = System.getProperty("tensorlane.conv.winogradTile", "auto");

    /**
     * The output tile edge for a problem with ho x wo outputs (see {@link #TILE}): 4 where its tiles need fewer
     * products than 2's (36 per 4x4 tile against 16 per 2x2 tile, the tiles covering the outputs), else 2 (ties
     * included: 2 is the more accurate); so 2 for square outputs of 1, 2, 5 and 6, 4 for 3, 4 and from 7 up.
     */
    static int tileEdge(long ho, long wo) {
        if (TILE.equals("2")) return 2;
        if (TILE.equals("4")) return 4;
        long four = 36L * ((ho + 3) / 4) * ((wo + 3) / 4), two = 16L * ((ho + 1) / 2) * ((wo + 1) / 2);
        return four < two ? 4 : 2;
    }

    static void conv2d(ConvGeometry g, MemorySegment x, long xOff, MemorySegment w, long wOff,
                       MemorySegment b, long bOff, MemorySegment y, long yOff, Parallelism par) {
        conv2d(g, x, xOff, w, wOff, b, bOff, y, yOff, par, tileEdge(g.ho(), g.wo()));
    }

    /** The forward with output tiles of edge m (2 or 4). */
    static void conv2d(ConvGeometry g, MemorySegment x, long xOff, MemorySegment w, long wOff,
                       MemorySegment b, long bOff, MemorySegment y, long yOff, Parallelism par, int m) {
        int c = (int) g.c(), f = (int) g.f();
        Problem pr = new Problem(c, f, (int) g.h(), (int) g.w(), g.padH(), (int) g.ho(), (int) g.wo(), m);
        // forward: kernel (co = f, ci = c) at w[f][c][.]
        float[] u = transformWeights(pr, heapWeights(g, w, wOff), 9, c * 9, false);
        run(pr, g.n(), x, xOff, u, b, bOff, y, yOff, par);
    }

    /** dx = the correlation of dout padded by 2 - p with the flipped kernel, channel axes swapped. */
    static void backwardData(ConvGeometry g, MemorySegment dout, long dOff, MemorySegment w, long wOff,
                             MemorySegment dx, long dxOff, Parallelism par) {
        backwardData(g, dout, dOff, w, wOff, dx, dxOff, par, tileEdge(g.h(), g.w()));
    }

    /** Backward-data with output tiles of edge m (2 or 4). */
    static void backwardData(ConvGeometry g, MemorySegment dout, long dOff, MemorySegment w, long wOff,
                             MemorySegment dx, long dxOff, Parallelism par, int m) {
        int c = (int) g.c(), f = (int) g.f();
        Problem pr = new Problem(f, c, (int) g.ho(), (int) g.wo(), 2 - g.padH(), (int) g.h(), (int) g.w(), m);
        // backward-data: kernel (co = c, ci = f) at w[f][c][.] flipped
        float[] u = transformWeights(pr, heapWeights(g, w, wOff), c * 9, 9, true);
        run(pr, g.n(), dout, dOff, u, null, 0, dx, dxOff, par);
    }

    /**
     * Backward-weights here: the forward's rule (same JVM against the direct / im2col paths: 32->32 at 8x8 0.77x,
     * 32->64 at 4x4 0.84x, 32->32 at 28x28 0.84x, 64->64 at 28x28 0.52x, at 56x56 0.53x).
     */
    static boolean backwardWeights(ConvGeometry g) {
        return forward(g);
    }

    /**
     * dW = G^T [sum over tiles t of (A dY_t A^T) . (B^T d_t B)] G per (filter, channel): the adjoint of the forward's
     * transforms around one sum per transformed position xi, {@code dU[xi] (F x C) = Mg[xi]^T V[xi]} with
     * {@code Mg[xi] (tiles x F)} the transformed m x m output-gradient tiles (cropped outputs count as zero) and
     * {@code V[xi]} the forward's input transform. The sums run over the images' tiles in order, chunk after chunk
     * on the SGEMM's 4 x NR microkernel (A panels of L filters from the gradient transform, B panels of NR channels
     * from the input transform, k the chunk's tiles, each chunk continuing the sums of the earlier ones); threads
     * split the 16 positions, so the result does not depend on their number. Error bound: norm-wise, as the
     * forward's (class comment).
     */
    static void backwardWeights(ConvGeometry g, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                MemorySegment dw, long dwOff, Parallelism par) {
        backwardWeights(g, x, xOff, dout, dOff, dw, dwOff, par, weightsTileEdge());
    }

    /** The output tile edge of backward-weights: 2 unless {@link #TILE} says 4 (see there why). */
    static int weightsTileEdge() {
        return TILE.equals("4") ? 4 : 2;
    }

    /** Backward-weights with output tiles of edge m (2 or 4). */
    static void backwardWeights(ConvGeometry g, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                MemorySegment dw, long dwOff, Parallelism par, int m) {
        int c = (int) g.c(), f = (int) g.f(), ho = (int) g.ho(), wo = (int) g.wo();
        Problem in = new Problem(c, f, (int) g.h(), (int) g.w(), g.padH(), ho, wo, m);
        Problem dy = new Problem(f, f, ho, wo, 0, ho, wo, m);
        int positions = in.positions(), chunkTiles = in.chunkTiles();
        float[] cell = WORKSPACES.get().cell.floats(36 * L);
        Workspace ws = WORKSPACES.get();
        int cp = in.cp(), fp = dy.cp(), cn = roundUp(cp, NR), wp = in.wp(), tw = in.tilesW(), perImage = in.tilesH() * tw;
        int per = groupImages(in, g.n());
        int inImage = in.hp() * wp * cp, dyImage = dy.hp() * dy.wp() * fp;
        long xImg = (long) c * g.h() * g.w(), yImg = (long) f * ho * wo;
        int duPlane = fp * cn + SKEW;
        float[] du = ws.mh.floats(positions * duPlane);
        boolean first = true;
        for (long n0 = 0; n0 < g.n(); n0 += per) {
            int imgs = (int) Math.min(per, g.n() - n0), tiles = imgs * perImage;
            float[] xcl = ws.image.floats(imgs * inImage), dycl = ws.tile.floats(imgs * dyImage);
            for (int j = 0; j < imgs; j++) {
                copyChannelsLast(in, x, xOff + (n0 + j) * xImg, xcl, j * inImage);
                copyChannelsLast(dy, dout, dOff + (n0 + j) * yImg, dycl, j * dyImage);
            }
            int chunks = (tiles + chunkTiles - 1) / chunkTiles, chunk = (tiles + chunks - 1) / chunks;
            int bpPlane = chunk * cn + SKEW, apPlane = chunk * fp + SKEW;
            float[] bp = ws.va.floats(positions * bpPlane), ap = ws.stage.floats(positions * apPlane);
            for (int t0 = 0; t0 < tiles; t0 += chunk) {
                int count = Math.min(chunk, tiles - t0);
                // B panels [q][t][NR] of V (channels), A panels [f/L][t][L] of Mg (filters, one vector per tile): the
                // microkernel's k runs over the tiles, continuing the sums of the earlier chunks
                if (m == 2) {
                    inputTransform(xcl, inImage, perImage, wp, cp, tw, t0, count, bp, NR, chunk * NR, bpPlane);
                    gradientTransform(dycl, dyImage, perImage, dy.wp(), fp, tw, t0, count, ap, chunk * L, apPlane);
                } else {
                    inputTransform4(xcl, inImage, perImage, wp, cp, tw, t0, count, bp, NR, chunk * NR, bpPlane, cell);
                    gradientTransform4(dycl, dyImage, perImage, dy.wp(), fp, tw, t0, count, ap, chunk * L, apPlane, cell);
                }
                boolean load = !first;
                RangeProducts products = (x0, x1) -> {
                    for (int xi = x0; xi < x1; xi++) {
                        for (int fb = 0; fb < fp; fb += 4) {
                            for (int q = 0; q < cn; q += NR) {
                                GemmMicrokernels.kernel4x2Wide(count, ap, xi * apPlane + (fb / L) * chunk * L + fb % L, bp,
                                        xi * bpPlane + q * chunk, du, xi * duPlane + fb * cn + q, cn, load);
                            }
                        }
                    }
                };
                if (par.isSingle()) {
                    products.run(0, positions);
                } else {
                    par.parallelFor(0, positions, 1, (from, to) -> products.run((int) from, (int) to));
                }
                first = false;
            }
        }
        if (m == 2) {
            inverseWeights(ws, f, c, du, duPlane, cn, dw, dwOff);
        } else {
            inverseWeights4(ws, f, c, du, duPlane, cn, dw, dwOff);
        }
    }

    @FunctionalInterface
    private interface RangeProducts {
        void run(int xi0, int xi1);
    }

    /**
     * ap[xi*apPlane + (f/L)*panel + t*L + f%L] = (A dY A^T)[xi] for the 2x2 output-gradient block dY of tile
     * t0 + t (channels-last, zero past the image), A = [[1,0],[1,1],[1,-1],[0,-1]]: the adjoint of
     * {@link #outputTransform}, one vector of L filters per tile and position, as
     * {@link GemmMicrokernels#kernel4x2Wide} reads its A.
     */
    private static void gradientTransform(float[] dycl, int dyImage, int perImage, int wp, int fp, int tilesW, int t0,
                                          int count, float[] ap, int panel, int apPlane) {
        int rs = wp * fp;
        for (int t = 0; t < count; t++) {
            int tile = t0 + t, img = tile / perImage, it = tile % perImage, th = it / tilesW, tc = it % tilesW;
            int base = img * dyImage + (2 * th * wp + 2 * tc) * fp;
            for (int f = 0; f < fp; f += L) {
                int o = (f / L) * panel + t * L, p = base + f;
                FloatVector d00 = FloatVector.fromArray(S, dycl, p), d01 = FloatVector.fromArray(S, dycl, p + fp);
                FloatVector d10 = FloatVector.fromArray(S, dycl, p + rs), d11 = FloatVector.fromArray(S, dycl, p + rs + fp);
                // rows of A dY: (d00, d01), (d00 + d10, d01 + d11), (d00 - d10, d01 - d11), (-d10, -d11); each row
                // (a, b) times A^T: a, a + b, a - b, -b (written out: no vector crosses a call)
                FloatVector a = d00, b = d01;
                a.intoArray(ap, o);
                a.add(b).intoArray(ap, o + apPlane);
                a.sub(b).intoArray(ap, o + 2 * apPlane);
                b.neg().intoArray(ap, o + 3 * apPlane);
                a = d00.add(d10);
                b = d01.add(d11);
                a.intoArray(ap, o + 4 * apPlane);
                a.add(b).intoArray(ap, o + 5 * apPlane);
                a.sub(b).intoArray(ap, o + 6 * apPlane);
                b.neg().intoArray(ap, o + 7 * apPlane);
                a = d00.sub(d10);
                b = d01.sub(d11);
                a.intoArray(ap, o + 8 * apPlane);
                a.add(b).intoArray(ap, o + 9 * apPlane);
                a.sub(b).intoArray(ap, o + 10 * apPlane);
                b.neg().intoArray(ap, o + 11 * apPlane);
                a = d10.neg();
                b = d11.neg();
                a.intoArray(ap, o + 12 * apPlane);
                a.add(b).intoArray(ap, o + 13 * apPlane);
                a.sub(b).intoArray(ap, o + 14 * apPlane);
                b.neg().intoArray(ap, o + 15 * apPlane);
            }
        }
    }

    /**
     * dw[f][c][i][j] = (G^T D G)[i][j] for D = dU[.][f][c] (4x4), G^T = [[1,1/2,1/2,0],[0,1/2,-1/2,0],[0,1/2,1/2,1]]:
     * the adjoint of the weight transform, on dU as the microkernel left it ({@code du[xi*duPlane + f*cn + c]}),
     * written to dw in one bulk copy.
     */
    private static void inverseWeights(Workspace ws, int f, int c, float[] du, int duPlane, int cn, MemorySegment dw, long dwOff) {
        int plane = f * c;
        float[] out = ws.wHeap.floats(9 * plane);
        float[] r = ws.small.floats(12);
        for (int q = 0; q < plane; q++) {
            int at = (q / c) * cn + q % c;
            for (int j = 0; j < 4; j++) { // G^T D, column j
                float d0 = du[j * duPlane + at], d1 = du[(4 + j) * duPlane + at], d2 = du[(8 + j) * duPlane + at];
                float d3 = du[(12 + j) * duPlane + at];
                r[j] = d0 + 0.5f * d1 + 0.5f * d2;
                r[4 + j] = 0.5f * d1 - 0.5f * d2;
                r[8 + j] = 0.5f * d1 + 0.5f * d2 + d3;
            }
            for (int i = 0; i < 3; i++) { // (G^T D) G, row i
                float a0 = r[4 * i], a1 = r[4 * i + 1], a2 = r[4 * i + 2], a3 = r[4 * i + 3];
                out[q * 9 + 3 * i] = a0 + 0.5f * a1 + 0.5f * a2;
                out[q * 9 + 3 * i + 1] = 0.5f * a1 - 0.5f * a2;
                out[q * 9 + 3 * i + 2] = 0.5f * a1 + 0.5f * a2 + a3;
            }
        }
        MemorySegment.copy(out, 0, dw, JAVA_FLOAT, dwOff * Float.BYTES, 9 * plane);
    }

    /**
     * U[xi][ci][co] = (G k G^T)[xi] for the kernel k linking ci to co, G = [[1,0,0],[1/2,1/2,1/2],[1/2,-1/2,1/2],[0,0,1]],
     * in the microkernel's B panels ({@code u[xi*(cp*fn + SKEW) + (co/NR)*cp*NR + ci*NR + co%NR]}, fn = cout rounded up to
     * NR, zero for the pad channels and columns) in the calling thread's workspace. The kernels are read from a heap copy
     * of w ({@code wh}, F x C x 9): the 9 taps of (ci, co) start at {@code ci*ciStride + co*coStride}, in reverse
     * order when {@code flip}. They are first laid out tap-major with co contiguous ({@code kt[(ci*9 + tap)*cout + co]},
     * with 8 lanes the forward's F x 9C transpose goes through {@link #transpose8}), so that the transform runs on
     * contiguous vectors over co (scalar for the last co).
     */
    private static float[] transformWeights(Problem pr, float[] wh, int ciStride, int coStride, boolean flip) {
        int cin = pr.cin(), cout = pr.cout();
        Workspace ws = WORKSPACES.get();
        int rows = 9 * cin;
        float[] kt = ws.kernels.floats(rows * cout);
        int coBlocks = 0, rowBlocks = 0;
        if (!flip && L == 8 && ciStride == 9 && coStride == rows) {
            // forward: kt is the transpose of wh seen as cout x 9cin
            coBlocks = cout / 8 * 8;
            rowBlocks = rows / 8 * 8;
            for (int co = 0; co < coBlocks; co += 8) {
                for (int r = 0; r < rowBlocks; r += 8) transpose8(wh, co * rows + r, rows, kt, r * cout + co, (r + 4) * cout + co, cout);
            }
        }
        for (int ci = 0; ci < cin; ci++) {
            for (int k = 0; k < 9; k++) {
                int r = ci * 9 + k, src = ci * ciStride + (flip ? 8 - k : k);
                for (int co = r < rowBlocks ? coBlocks : 0; co < cout; co++) kt[r * cout + co] = wh[src + co * coStride];
            }
        }
        if (pr.m() == 4) return transformWeights4(pr, kt);
        int cp = pr.cp(), fn = roundUp(cout, NR), xiPlane = cp * fn + SKEW;
        float[] u = ws.panels.floats(16 * xiPlane);
        Arrays.fill(u, 0, 16 * xiPlane, 0f);
        int full = cout / L * L;
        float[] gk = ws.small.floats(12);
        for (int ci = 0; ci < cin; ci++) {
            int k0 = ci * 9 * cout;
            for (int co = 0; co < full; co += L) {
                int at = (co / NR) * cp * NR + ci * NR + co % NR;
                int q = k0 + co;
                FloatVector k00 = FloatVector.fromArray(S, kt, q), k01 = FloatVector.fromArray(S, kt, q + cout);
                FloatVector k02 = FloatVector.fromArray(S, kt, q + 2 * cout), k10 = FloatVector.fromArray(S, kt, q + 3 * cout);
                FloatVector k11 = FloatVector.fromArray(S, kt, q + 4 * cout), k12 = FloatVector.fromArray(S, kt, q + 5 * cout);
                FloatVector k20 = FloatVector.fromArray(S, kt, q + 6 * cout), k21 = FloatVector.fromArray(S, kt, q + 7 * cout);
                FloatVector k22 = FloatVector.fromArray(S, kt, q + 8 * cout);
                // rows of G k: k0, (k0 + k1 + k2)/2, (k0 - k1 + k2)/2, k2; each row (a0, a1, a2) times G^T the
                // same way: a0, (a0 + a1 + a2)/2, (a0 - a1 + a2)/2, a2. Written out: a helper taking the vectors
                // was not inlined here and boxed 12 of them per iteration (48 KiB per call on 32 x 32 channels).
                FloatVector a0 = k00, a1 = k01, a2 = k02;
                for (int i = 0; i < 4; i++) {
                    if (i == 1) {
                        a0 = k00.add(k10).add(k20).mul(0.5f);
                        a1 = k01.add(k11).add(k21).mul(0.5f);
                        a2 = k02.add(k12).add(k22).mul(0.5f);
                    } else if (i == 2) {
                        a0 = k00.sub(k10).add(k20).mul(0.5f);
                        a1 = k01.sub(k11).add(k21).mul(0.5f);
                        a2 = k02.sub(k12).add(k22).mul(0.5f);
                    } else if (i == 3) {
                        a0 = k20;
                        a1 = k21;
                        a2 = k22;
                    }
                    int o = 4 * i * xiPlane + at;
                    a0.intoArray(u, o);
                    a0.add(a1).add(a2).mul(0.5f).intoArray(u, o + xiPlane);
                    a0.sub(a1).add(a2).mul(0.5f).intoArray(u, o + 2 * xiPlane);
                    a2.intoArray(u, o + 3 * xiPlane);
                }
            }
            for (int co = full; co < cout; co++) {
                int at = (co / NR) * cp * NR + ci * NR + co % NR;
                for (int j = 0; j < 3; j++) { // G k, the vector lanes' operations in the same order
                    float x0 = kt[k0 + j * cout + co], x1 = kt[k0 + (3 + j) * cout + co], x2 = kt[k0 + (6 + j) * cout + co];
                    gk[j] = x0;
                    gk[3 + j] = (x0 + x1 + x2) * 0.5f;
                    gk[6 + j] = (x0 - x1 + x2) * 0.5f;
                    gk[9 + j] = x2;
                }
                for (int i = 0; i < 4; i++) {
                    float a0 = gk[3 * i], a1 = gk[3 * i + 1], a2 = gk[3 * i + 2];
                    u[(4 * i) * xiPlane + at] = a0;
                    u[(4 * i + 1) * xiPlane + at] = (a0 + a1 + a2) * 0.5f;
                    u[(4 * i + 2) * xiPlane + at] = (a0 - a1 + a2) * 0.5f;
                    u[(4 * i + 3) * xiPlane + at] = a2;
                }
            }
        }
        return u;
    }

    // F(4x4, 3x3) with the interpolation points 0, 1, -1, 2, -2 and infinity (Lavin and Gray's choice):
    // G = [[1/4,0,0],[-1/6,-1/6,-1/6],[-1/6,1/6,-1/6],[1/24,1/12,1/6],[1/24,-1/12,1/6],[0,0,1]],
    // B^T = [[4,0,-5,0,1,0],[0,-4,-4,1,1,0],[0,4,-4,-1,1,0],[0,-2,-1,2,1,0],[0,2,-1,-2,1,0],[0,4,0,-5,0,1]],
    // A^T = [[1,1,1,1,1,0],[0,1,-1,2,-2,0],[0,1,1,4,4,0],[0,1,-1,8,-8,1]]. B^T and A^T are exact in float; G's sixths
    // are rounded once, in the weights.
    private static final float SIXTH = 1f / 6f;

    /**
     * {@link #transformWeights} for F(4x4, 3x3): U[xi] = (G k G^T)[xi], xi = 6r + s, from the staged kernels
     * {@code kt[(ci*9 + tap)*cout + co]}, into the same B-panel layout (36 planes).
     */
    private static float[] transformWeights4(Problem pr, float[] kt) {
        int cin = pr.cin(), cout = pr.cout(), cp = pr.cp(), fn = roundUp(cout, NR), xiPlane = cp * fn + SKEW;
        Workspace ws = WORKSPACES.get();
        float[] u = ws.panels.floats(36 * xiPlane);
        Arrays.fill(u, 0, 36 * xiPlane, 0f);
        float[] gk = ws.small.floats(18 * L);
        int full = cout / L * L;
        for (int ci = 0; ci < cin; ci++) {
            int k0 = ci * 9 * cout;
            for (int co = 0; co < full; co += L) {
                int at = (co / NR) * cp * NR + ci * NR + co % NR;
                // G k: column j of the kernel (taps j, 3 + j, 6 + j) -> rows r of gk[(3r + j)*L]
                for (int j = 0; j < 3; j++) {
                    int q = k0 + j * cout + co;
                    FloatVector a = FloatVector.fromArray(S, kt, q), b = FloatVector.fromArray(S, kt, q + 3 * cout);
                    FloatVector c = FloatVector.fromArray(S, kt, q + 6 * cout);
                    FloatVector ac = a.add(c), e = a.fma(FloatVector.broadcast(S, 0.25f), c);
                    a.mul(0.25f).intoArray(gk, j * L);
                    ac.add(b).mul(-SIXTH).intoArray(gk, (3 + j) * L);
                    ac.sub(b).mul(-SIXTH).intoArray(gk, (6 + j) * L);
                    b.fma(FloatVector.broadcast(S, 0.5f), e).mul(SIXTH).intoArray(gk, (9 + j) * L);
                    b.fma(FloatVector.broadcast(S, -0.5f), e).mul(SIXTH).intoArray(gk, (12 + j) * L);
                    c.intoArray(gk, (15 + j) * L);
                }
                // (G k) G^T: row r of gk -> positions 6r .. 6r + 5
                for (int r = 0; r < 6; r++) {
                    FloatVector a = FloatVector.fromArray(S, gk, 3 * r * L), b = FloatVector.fromArray(S, gk, (3 * r + 1) * L);
                    FloatVector c = FloatVector.fromArray(S, gk, (3 * r + 2) * L);
                    FloatVector ac = a.add(c), e = a.fma(FloatVector.broadcast(S, 0.25f), c);
                    int o = 6 * r * xiPlane + at;
                    a.mul(0.25f).intoArray(u, o);
                    ac.add(b).mul(-SIXTH).intoArray(u, o + xiPlane);
                    ac.sub(b).mul(-SIXTH).intoArray(u, o + 2 * xiPlane);
                    b.fma(FloatVector.broadcast(S, 0.5f), e).mul(SIXTH).intoArray(u, o + 3 * xiPlane);
                    b.fma(FloatVector.broadcast(S, -0.5f), e).mul(SIXTH).intoArray(u, o + 4 * xiPlane);
                    c.intoArray(u, o + 5 * xiPlane);
                }
            }
            for (int co = full; co < cout; co++) { // the same operations on one lane
                int at = (co / NR) * cp * NR + ci * NR + co % NR;
                for (int j = 0; j < 3; j++) {
                    float a = kt[k0 + j * cout + co], b = kt[k0 + (3 + j) * cout + co], c = kt[k0 + (6 + j) * cout + co];
                    gRow(a, b, c, gk, j, 3);
                }
                for (int r = 0; r < 6; r++) {
                    float a = gk[3 * r], b = gk[3 * r + 1], c = gk[3 * r + 2];
                    gRow(a, b, c, u, 6 * r * xiPlane + at, xiPlane);
                }
            }
        }
        return u;
    }

    /** G (a, b, c)^T into {@code dst[o + i*stride]}, i = 0..5: the vector lanes' operations in the same order. */
    private static void gRow(float a, float b, float c, float[] dst, int o, int stride) {
        float ac = a + c, e = Math.fma(a, 0.25f, c);
        dst[o] = a * 0.25f;
        dst[o + stride] = (ac + b) * -SIXTH;
        dst[o + 2 * stride] = (ac - b) * -SIXTH;
        dst[o + 3 * stride] = Math.fma(b, 0.5f, e) * SIXTH;
        dst[o + 4 * stride] = Math.fma(b, -0.5f, e) * SIXTH;
        dst[o + 5 * stride] = c;
    }

    /**
     * {@link #inputTransform} for F(4x4, 3x3): (B^T d B)[xi] for the 6x6 patch d at (4*th, 4*tc) of tile t0 + k,
     * xi = 6r + s, channels c..c+L at {@code dst[xi*xiStride + (c/w)*panel + k*w + c%w]} (the same layouts as
     * {@link #inputTransform}). Two passes per vector of channels: columns (B^T d) into {@code cell}, then rows.
     */
    private static void inputTransform4(float[] xcl, int inImage, int perImage, int wp, int cp, int tilesW, int t0,
                                        int count, float[] dst, int w, int panel, int xiStride, float[] cell) {
        int rs = wp * cp, xs = xiStride;
        FloatVector four = FloatVector.broadcast(S, 4f), minusFour = FloatVector.broadcast(S, -4f);
        FloatVector minusFive = FloatVector.broadcast(S, -5f), two = FloatVector.broadcast(S, 2f), minusTwo = FloatVector.broadcast(S, -2f);
        for (int k = 0; k < count; k++) {
            int tile = t0 + k, img = tile / perImage, it = tile % perImage, th = it / tilesW, tc = it % tilesW;
            int base = img * inImage + (4 * th * wp + 4 * tc) * cp;
            for (int c = 0; c < cp; c += L) {
                for (int j = 0; j < 6; j++) {
                    int q = base + c + j * cp;
                    FloatVector d0 = FloatVector.fromArray(S, xcl, q), d1 = FloatVector.fromArray(S, xcl, q + rs);
                    FloatVector d2 = FloatVector.fromArray(S, xcl, q + 2 * rs), d3 = FloatVector.fromArray(S, xcl, q + 3 * rs);
                    FloatVector d4 = FloatVector.fromArray(S, xcl, q + 4 * rs), d5 = FloatVector.fromArray(S, xcl, q + 5 * rs);
                    FloatVector d42 = d4.sub(d2), d31 = d3.sub(d1);
                    d0.fma(four, d2.fma(minusFive, d4)).intoArray(cell, j * L);
                    d1.add(d2).fma(minusFour, d3.add(d4)).intoArray(cell, (6 + j) * L);
                    d1.sub(d2).fma(four, d4.sub(d3)).intoArray(cell, (12 + j) * L);
                    d31.fma(two, d42).intoArray(cell, (18 + j) * L);
                    d31.fma(minusTwo, d42).intoArray(cell, (24 + j) * L);
                    d1.fma(four, d3.fma(minusFive, d5)).intoArray(cell, (30 + j) * L);
                }
                int o = (c / w) * panel + k * w + c % w;
                for (int r = 0; r < 6; r++) {
                    int q = 6 * r * L;
                    FloatVector d0 = FloatVector.fromArray(S, cell, q), d1 = FloatVector.fromArray(S, cell, q + L);
                    FloatVector d2 = FloatVector.fromArray(S, cell, q + 2 * L), d3 = FloatVector.fromArray(S, cell, q + 3 * L);
                    FloatVector d4 = FloatVector.fromArray(S, cell, q + 4 * L), d5 = FloatVector.fromArray(S, cell, q + 5 * L);
                    FloatVector d42 = d4.sub(d2), d31 = d3.sub(d1);
                    int at = o + 6 * r * xs;
                    d0.fma(four, d2.fma(minusFive, d4)).intoArray(dst, at);
                    d1.add(d2).fma(minusFour, d3.add(d4)).intoArray(dst, at + xs);
                    d1.sub(d2).fma(four, d4.sub(d3)).intoArray(dst, at + 2 * xs);
                    d31.fma(two, d42).intoArray(dst, at + 3 * xs);
                    d31.fma(minusTwo, d42).intoArray(dst, at + 4 * xs);
                    d1.fma(four, d3.fma(minusFive, d5)).intoArray(dst, at + 5 * xs);
                }
            }
        }
    }

    /**
     * {@link #outputTransform} for F(4x4, 3x3): out[(4*th + a)*wo + 4*tw + b][f] = (A^T M A)[a][b] from tile t's
     * 36 rows of M, in two passes (columns of M into {@code cell}, then rows); outputs past the image are dropped.
     */
    private static void outputTransform4(float[] mh, int mPlane, int fn, int fp, int outImage, int perImage,
                                         int tilesW, int t0, int count, int ho, int wo, float[] out, float[] cell) {
        FloatVector two = FloatVector.broadcast(S, 2f), four = FloatVector.broadcast(S, 4f), eight = FloatVector.broadcast(S, 8f);
        for (int t = 0; t < count; t++) {
            int tile = t0 + t, img = tile / perImage, it = tile % perImage, th = it / tilesW, tc = it % tilesW;
            int oh = 4 * th, ow = 4 * tc, rows = Math.min(4, ho - oh), cols = Math.min(4, wo - ow);
            int o00 = img * outImage + (oh * wo + ow) * fp;
            for (int f = 0; f < fp; f += L) {
                int mo = t * fn + f;
                for (int s = 0; s < 6; s++) { // column s: M[r][s] over r -> cell[a][s]
                    FloatVector m0 = FloatVector.fromArray(S, mh, mo + s * mPlane);
                    FloatVector m1 = FloatVector.fromArray(S, mh, mo + (6 + s) * mPlane);
                    FloatVector m2 = FloatVector.fromArray(S, mh, mo + (12 + s) * mPlane);
                    FloatVector m3 = FloatVector.fromArray(S, mh, mo + (18 + s) * mPlane);
                    FloatVector m4 = FloatVector.fromArray(S, mh, mo + (24 + s) * mPlane);
                    FloatVector m5 = FloatVector.fromArray(S, mh, mo + (30 + s) * mPlane);
                    FloatVector p12 = m1.add(m2), d12 = m1.sub(m2), p34 = m3.add(m4), d34 = m3.sub(m4);
                    m0.add(p12).add(p34).intoArray(cell, s * L);
                    d34.fma(two, d12).intoArray(cell, (6 + s) * L);
                    p34.fma(four, p12).intoArray(cell, (12 + s) * L);
                    d34.fma(eight, d12).add(m5).intoArray(cell, (18 + s) * L);
                }
                for (int a = 0; a < rows; a++) { // row a: cell[a][s] over s -> outputs (a, 0..3)
                    int q = 6 * a * L;
                    FloatVector m0 = FloatVector.fromArray(S, cell, q), m1 = FloatVector.fromArray(S, cell, q + L);
                    FloatVector m2 = FloatVector.fromArray(S, cell, q + 2 * L), m3 = FloatVector.fromArray(S, cell, q + 3 * L);
                    FloatVector m4 = FloatVector.fromArray(S, cell, q + 4 * L), m5 = FloatVector.fromArray(S, cell, q + 5 * L);
                    FloatVector p12 = m1.add(m2), d12 = m1.sub(m2), p34 = m3.add(m4), d34 = m3.sub(m4);
                    int at = o00 + a * wo * fp + f;
                    m0.add(p12).add(p34).intoArray(out, at);
                    if (cols > 1) d34.fma(two, d12).intoArray(out, at + fp);
                    if (cols > 2) p34.fma(four, p12).intoArray(out, at + 2 * fp);
                    if (cols > 3) d34.fma(eight, d12).add(m5).intoArray(out, at + 3 * fp);
                }
            }
        }
    }

    /**
     * {@link #gradientTransform} for F(4x4, 3x3): (A dY A^T)[xi], xi = 6r + s, for the 4x4 output-gradient block dY
     * of tile t0 + t (zero past the image), A = (A^T)^T with the rows [1,0,0,0], [1,1,1,1], [1,-1,1,-1], [1,2,4,8],
     * [1,-2,4,-8], [0,0,0,1]: the adjoint of {@link #outputTransform4}, one vector of L filters per tile and position
     * at {@code ap[xi*apPlane + (f/L)*panel + t*L]}. Two passes: columns (A dY) into {@code cell}, then rows.
     */
    private static void gradientTransform4(float[] dycl, int dyImage, int perImage, int wp, int fp, int tilesW, int t0,
                                           int count, float[] ap, int panel, int apPlane, float[] cell) {
        int rs = wp * fp;
        FloatVector two = FloatVector.broadcast(S, 2f), minusTwo = FloatVector.broadcast(S, -2f), four = FloatVector.broadcast(S, 4f);
        for (int t = 0; t < count; t++) {
            int tile = t0 + t, img = tile / perImage, it = tile % perImage, th = it / tilesW, tc = it % tilesW;
            int base = img * dyImage + (4 * th * wp + 4 * tc) * fp;
            for (int f = 0; f < fp; f += L) {
                // g = A y for a 4-vector y: g0 = y0, g1 = (y0 + y2) + (y1 + y3), g2 = (y0 + y2) - (y1 + y3),
                // g3 = (y0 + 4 y2) + 2 (y1 + 4 y3), g4 = (y0 + 4 y2) - 2 (y1 + 4 y3), g5 = y3
                for (int b = 0; b < 4; b++) { // column b of dY -> cell[r][b]
                    int p = base + f + b * fp;
                    FloatVector y0 = FloatVector.fromArray(S, dycl, p), y1 = FloatVector.fromArray(S, dycl, p + rs);
                    FloatVector y2 = FloatVector.fromArray(S, dycl, p + 2 * rs), y3 = FloatVector.fromArray(S, dycl, p + 3 * rs);
                    FloatVector e02 = y0.add(y2), e13 = y1.add(y3), f02 = y2.fma(four, y0), f13 = y3.fma(four, y1);
                    y0.intoArray(cell, b * L);
                    e02.add(e13).intoArray(cell, (4 + b) * L);
                    e02.sub(e13).intoArray(cell, (8 + b) * L);
                    f13.fma(two, f02).intoArray(cell, (12 + b) * L);
                    f13.fma(minusTwo, f02).intoArray(cell, (16 + b) * L);
                    y3.intoArray(cell, (20 + b) * L);
                }
                int o = (f / L) * panel + t * L;
                for (int r = 0; r < 6; r++) { // row r of A dY -> positions 6r .. 6r + 5
                    int q = 4 * r * L;
                    FloatVector y0 = FloatVector.fromArray(S, cell, q), y1 = FloatVector.fromArray(S, cell, q + L);
                    FloatVector y2 = FloatVector.fromArray(S, cell, q + 2 * L), y3 = FloatVector.fromArray(S, cell, q + 3 * L);
                    FloatVector e02 = y0.add(y2), e13 = y1.add(y3), f02 = y2.fma(four, y0), f13 = y3.fma(four, y1);
                    int at = o + 6 * r * apPlane;
                    y0.intoArray(ap, at);
                    e02.add(e13).intoArray(ap, at + apPlane);
                    e02.sub(e13).intoArray(ap, at + 2 * apPlane);
                    f13.fma(two, f02).intoArray(ap, at + 3 * apPlane);
                    f13.fma(minusTwo, f02).intoArray(ap, at + 4 * apPlane);
                    y3.intoArray(ap, at + 5 * apPlane);
                }
            }
        }
    }

    /**
     * dw[f][c][i][j] = (G^T D G)[i][j] for D = dU[.][f][c] (6x6) of F(4x4, 3x3), G^T = [[1/4,-1/6,-1/6,1/24,1/24,0],
     * [0,-1/6,1/6,1/12,-1/12,0],[0,-1/6,-1/6,1/6,1/6,1]]: the adjoint of {@link #transformWeights4}, in double (9
     * outputs from 36 sums per filter and channel: a small part of the work), rounded once.
     */
    private static void inverseWeights4(Workspace ws, int f, int c, float[] du, int duPlane, int cn, MemorySegment dw, long dwOff) {
        int plane = f * c;
        float[] out = ws.wHeap.floats(9 * plane);
        double[] r = ws.small.doubles(18);
        for (int q = 0; q < plane; q++) {
            int at = (q / c) * cn + q % c;
            for (int j = 0; j < 6; j++) { // G^T D, column j
                double d0 = du[j * duPlane + at], d1 = du[(6 + j) * duPlane + at], d2 = du[(12 + j) * duPlane + at];
                double d3 = du[(18 + j) * duPlane + at], d4 = du[(24 + j) * duPlane + at], d5 = du[(30 + j) * duPlane + at];
                r[j] = d0 / 4 - (d1 + d2) / 6 + (d3 + d4) / 24;
                r[6 + j] = (d2 - d1) / 6 + (d3 - d4) / 12;
                r[12 + j] = (d3 + d4 - d1 - d2) / 6 + d5;
            }
            for (int i = 0; i < 3; i++) { // (G^T D) G, row i
                double a0 = r[6 * i], a1 = r[6 * i + 1], a2 = r[6 * i + 2], a3 = r[6 * i + 3], a4 = r[6 * i + 4], a5 = r[6 * i + 5];
                out[q * 9 + 3 * i] = (float) (a0 / 4 - (a1 + a2) / 6 + (a3 + a4) / 24);
                out[q * 9 + 3 * i + 1] = (float) ((a2 - a1) / 6 + (a3 - a4) / 12);
                out[q * 9 + 3 * i + 2] = (float) ((a3 + a4 - a1 - a2) / 6 + a5);
            }
        }
        MemorySegment.copy(out, 0, dw, JAVA_FLOAT, dwOff * Float.BYTES, 9 * plane);
    }

    /** A heap copy of the F x C x 9 weights (the calling thread's workspace). */
    private static float[] heapWeights(ConvGeometry g, MemorySegment w, long wOff) {
        int n = (int) g.wSize();
        float[] wh = WORKSPACES.get().wHeap.floats(n);
        MemorySegment.copy(w, JAVA_FLOAT, wOff * Float.BYTES, wh, 0, n);
        return wh;
    }

    /** One thread's buffers. */
    private static final class Workspace {
        final Scratch image = new Scratch();
        final Scratch tile = new Scratch();
        /** An image in NCHW order on the heap: the input before its transpose, the output after. */
        final Scratch nchw = new Scratch();
        final Scratch wHeap = new Scratch();
        final Scratch kernels = new Scratch();
        final Scratch panels = new Scratch();
        final Scratch va = new Scratch();
        final Scratch mh = new Scratch();
        /** Backward-weights' A panels (the gradient transform's output). */
        final Scratch stage = new Scratch();
        /** A few floats of scalar staging (the weight transforms). */
        final Scratch small = new Scratch();
        /** One 6x6 cell of vectors between the two passes of an F(4x4, 3x3) transform. */
        final Scratch cell = new Scratch();
    }

    private static final ThreadLocal<Workspace> WORKSPACES = ThreadLocal.withInitial(Workspace::new);

    /**
     * Images per group: enough that a group has at least {@link #CHUNK_TILES} tiles (small images: the products'
     * rows are the tiles of several images), within the buffer cap.
     */
    private static int groupImages(Problem pr, long n) {
        int perImage = pr.tilesH() * pr.tilesW();
        long imageFloats = (long) pr.hp() * pr.wp() * Math.max(pr.cp(), pr.fp());
        long g = Math.min(n, Math.max(1, (pr.chunkTiles() + perImage - 1) / perImage));
        return (int) Math.max(1, Math.min(g, MAX_FLOATS / imageFloats));
    }

    private static void run(Problem pr, long n, MemorySegment x, long xOff, float[] u,
                            MemorySegment b, long bOff, MemorySegment y, long yOff, Parallelism par) {
        int per = groupImages(pr, n);
        long groups = (n + per - 1) / per;
        if (par.isSingle() || groups < 2) {
            for (long i = 0; i < groups; i++) group(pr, i * per, (int) Math.min(per, n - i * per), x, xOff, u, b, bOff, y, yOff);
        } else {
            par.parallelFor(0, groups, 1, (from, to) -> {
                for (long i = from; i < to; i++) group(pr, i * per, (int) Math.min(per, n - i * per), x, xOff, u, b, bOff, y, yOff);
            });
        }
    }

    private static final int NR = 2 * L;

    /**
     * Images [n0, n0 + imgs) of the forward problem: channels-last copies, then per chunk of tiles (equal chunks
     * of at most {@link #CHUNK_TILES}, across the images, a multiple of 4) the input transform, the 16 products
     * and the inverse transform, then NCHW out. The products run straight on the SGEMM's 4 x NR microkernel
     * ({@link GemmMicrokernels#kernel4x2Rows}): the input transform writes V[xi] as a row-major tiles x cp block
     * ({@code va[xi][t][c]}) that the microkernel reads 4 rows at a time in place, the weights are in B panels
     * already, and the microkernel writes M[xi] rows into a heap tile, so there is no packing, no transposing
     * copy into A panels and no merge pass per product (same sums, same bits as 16 SGEMM calls per chunk).
     */
    private static void group(Problem pr, long n0, int imgs, MemorySegment x, long xOff, float[] ub,
                                    MemorySegment b, long bOff, MemorySegment y, long yOff) {
        Workspace ws = WORKSPACES.get();
        int cin = pr.cin(), cout = pr.cout(), cp = pr.cp(), fp = pr.fp(), wp = pr.wp(), fn = roundUp(cout, NR);
        int tw = pr.tilesW(), perImage = pr.tilesH() * tw, tiles = imgs * perImage, ho = pr.ho(), wo = pr.wo();
        int inImage = pr.hp() * wp * cp, outImage = ho * wo * fp, positions = pr.positions(), chunkTiles = pr.chunkTiles();
        long xImg = (long) cin * pr.h() * pr.w(), yImg = (long) cout * ho * wo;
        float[] xcl = ws.image.floats(imgs * inImage);
        for (int j = 0; j < imgs; j++) copyChannelsLast(pr, x, xOff + (n0 + j) * xImg, xcl, j * inImage);
        float[] out = ws.tile.floats(imgs * outImage);
        int chunks = (tiles + chunkTiles - 1) / chunkTiles, chunk = roundUp((tiles + chunks - 1) / chunks, 4);
        int vaPlane = chunk * cp + SKEW, mPlane = chunk * fn + SKEW;
        float[] va = ws.va.floats(positions * vaPlane), mh = ws.mh.floats(positions * mPlane);
        float[] cell = ws.cell.floats(36 * L);
        for (int t0 = 0; t0 < tiles; t0 += chunk) {
            int count = Math.min(chunk, tiles - t0), panels = (count + 3) / 4;
            // V[xi] as a row-major tiles x cp block, read in place by the microkernel (rows of a last partial
            // panel past count hold stale values: their products land in rows of mh that nothing reads)
            if (pr.m() == 2) {
                inputTransform(xcl, inImage, perImage, wp, cp, tw, t0, count, va, cp, 0, vaPlane);
            } else {
                inputTransform4(xcl, inImage, perImage, wp, cp, tw, t0, count, va, cp, 0, vaPlane, cell);
            }
            for (int xi = 0; xi < positions; xi++) {
                for (int tp = 0; tp < panels; tp++) {
                    for (int q = 0; q < fn; q += NR) {
                        GemmMicrokernels.kernel4x2Rows(cp, va, xi * vaPlane + 4 * tp * cp, cp, ub, xi * (cp * fn + SKEW) + q * cp,
                                mh, xi * mPlane + 4 * tp * fn + q, fn, false);
                    }
                }
            }
            if (pr.m() == 2) {
                outputTransform(mh, mPlane, fn, fp, outImage, perImage, tw, t0, count, ho, wo, out);
            } else {
                outputTransform4(mh, mPlane, fn, fp, outImage, perImage, tw, t0, count, ho, wo, out, cell);
            }
        }
        for (int j = 0; j < imgs; j++) toNchw(ws, out, j * outImage, fp, cout, ho * wo, b, bOff, y, yOff + (n0 + j) * yImg);
    }

    /**
     * (B^T d B)[xi] for the 4x4 patch d at the top-left (2*th, 2*tw) of tiles t0 .. t0+count-1, all cp channels a
     * vector at a time, B^T = [[1,0,-1,0],[0,1,1,0],[0,-1,1,0],[0,1,0,-1]]: channels c..c+L of tile t0 + k go to
     * {@code dst[xi*xiStride + (c/w)*panel + k*w + c%w]} (w a multiple of L: whole rows of cp channels for the
     * forward's row-major V, the microkernel's NR-wide B panels for backward-weights).
     */
    private static void inputTransform(float[] xcl, int inImage, int perImage, int wp, int cp, int tilesW, int t0,
                                       int count, float[] dst, int w, int panel, int xiStride) {
        int rs = wp * cp, xs = xiStride;
        for (int k = 0; k < count; k++) {
            int tile = t0 + k, img = tile / perImage, it = tile % perImage, th = it / tilesW, tc = it % tilesW;
            int base = img * inImage + (2 * th * wp + 2 * tc) * cp;
            for (int c = 0; c < cp; c += L) {
                int p = base + c, o = (c / w) * panel + k * w + c % w;
                FloatVector d10 = FloatVector.fromArray(S, xcl, p + rs), d11 = FloatVector.fromArray(S, xcl, p + rs + cp);
                FloatVector d12 = FloatVector.fromArray(S, xcl, p + rs + 2 * cp), d13 = FloatVector.fromArray(S, xcl, p + rs + 3 * cp);
                FloatVector d20 = FloatVector.fromArray(S, xcl, p + 2 * rs), d21 = FloatVector.fromArray(S, xcl, p + 2 * rs + cp);
                FloatVector d22 = FloatVector.fromArray(S, xcl, p + 2 * rs + 2 * cp), d23 = FloatVector.fromArray(S, xcl, p + 2 * rs + 3 * cp);
                FloatVector r0 = FloatVector.fromArray(S, xcl, p).sub(d20), r1 = FloatVector.fromArray(S, xcl, p + cp).sub(d21);
                FloatVector r2 = FloatVector.fromArray(S, xcl, p + 2 * cp).sub(d22), r3 = FloatVector.fromArray(S, xcl, p + 3 * cp).sub(d23);
                r0.sub(r2).intoArray(dst, o);
                r1.add(r2).intoArray(dst, o + xs);
                r2.sub(r1).intoArray(dst, o + 2 * xs);
                r1.sub(r3).intoArray(dst, o + 3 * xs);
                r0 = d10.add(d20);
                r1 = d11.add(d21);
                r2 = d12.add(d22);
                r3 = d13.add(d23);
                r0.sub(r2).intoArray(dst, o + 4 * xs);
                r1.add(r2).intoArray(dst, o + 5 * xs);
                r2.sub(r1).intoArray(dst, o + 6 * xs);
                r1.sub(r3).intoArray(dst, o + 7 * xs);
                r0 = d20.sub(d10);
                r1 = d21.sub(d11);
                r2 = d22.sub(d12);
                r3 = d23.sub(d13);
                r0.sub(r2).intoArray(dst, o + 8 * xs);
                r1.add(r2).intoArray(dst, o + 9 * xs);
                r2.sub(r1).intoArray(dst, o + 10 * xs);
                r1.sub(r3).intoArray(dst, o + 11 * xs);
                r0 = d10.sub(FloatVector.fromArray(S, xcl, p + 3 * rs));
                r1 = d11.sub(FloatVector.fromArray(S, xcl, p + 3 * rs + cp));
                r2 = d12.sub(FloatVector.fromArray(S, xcl, p + 3 * rs + 2 * cp));
                r3 = d13.sub(FloatVector.fromArray(S, xcl, p + 3 * rs + 3 * cp));
                r0.sub(r2).intoArray(dst, o + 12 * xs);
                r1.add(r2).intoArray(dst, o + 13 * xs);
                r2.sub(r1).intoArray(dst, o + 14 * xs);
                r1.sub(r3).intoArray(dst, o + 15 * xs);
            }
        }
    }

    /**
     * out[(2*th + a)*wo + 2*tw + b][f] = (A^T M A)[a][b] for tile t's 4x4 block of M (heap rows
     * {@code mh[xi][t][fn]}), A^T = [[1,1,1,0],[0,1,-1,-1]];
     * outputs past the image's last row or column (odd ho, wo) are dropped.
     */
    private static void outputTransform(float[] mh, int mPlane, int fn, int fp, int outImage, int perImage,
                                            int tilesW, int t0, int count, int ho, int wo, float[] out) {
        for (int t = 0; t < count; t++) {
            int tile = t0 + t, img = tile / perImage, it = tile % perImage, th = it / tilesW, tc = it % tilesW;
            int oh = 2 * th, ow = 2 * tc;
            boolean right = ow + 1 < wo, below = oh + 1 < ho;
            int o00 = img * outImage + (oh * wo + ow) * fp;
            for (int f = 0; f < fp; f += L) {
                int mo = t * fn + f;
                FloatVector m0, m1, m2, m3;
                m0 = FloatVector.fromArray(S, mh, mo);
                m1 = FloatVector.fromArray(S, mh, mo + 4 * mPlane);
                m2 = FloatVector.fromArray(S, mh, mo + 8 * mPlane);
                m3 = FloatVector.fromArray(S, mh, mo + 12 * mPlane);
                FloatVector s00 = m0.add(m1).add(m2), s10 = m1.sub(m2).sub(m3);
                m0 = FloatVector.fromArray(S, mh, mo + mPlane);
                m1 = FloatVector.fromArray(S, mh, mo + 5 * mPlane);
                m2 = FloatVector.fromArray(S, mh, mo + 9 * mPlane);
                m3 = FloatVector.fromArray(S, mh, mo + 13 * mPlane);
                FloatVector s01 = m0.add(m1).add(m2), s11 = m1.sub(m2).sub(m3);
                m0 = FloatVector.fromArray(S, mh, mo + 2 * mPlane);
                m1 = FloatVector.fromArray(S, mh, mo + 6 * mPlane);
                m2 = FloatVector.fromArray(S, mh, mo + 10 * mPlane);
                m3 = FloatVector.fromArray(S, mh, mo + 14 * mPlane);
                FloatVector s02 = m0.add(m1).add(m2), s12 = m1.sub(m2).sub(m3);
                m0 = FloatVector.fromArray(S, mh, mo + 3 * mPlane);
                m1 = FloatVector.fromArray(S, mh, mo + 7 * mPlane);
                m2 = FloatVector.fromArray(S, mh, mo + 11 * mPlane);
                m3 = FloatVector.fromArray(S, mh, mo + 15 * mPlane);
                FloatVector s03 = m0.add(m1).add(m2), s13 = m1.sub(m2).sub(m3);
                s00.add(s01).add(s02).intoArray(out, o00 + f);
                if (right) s01.sub(s02).sub(s03).intoArray(out, o00 + fp + f);
                if (below) {
                    s10.add(s11).add(s12).intoArray(out, o00 + wo * fp + f);
                    if (right) s11.sub(s12).sub(s13).intoArray(out, o00 + (wo + 1) * fp + f);
                }
            }
        }
    }

    /**
     * xcl[(r + pad)*wp + q + pad][c] = x[c][r][q], zero elsewhere (border and the pad channels). With 8 lanes,
     * blocks of 8 channels x 8 pixels go through an in-register transpose ({@link #transpose8}): 8 pixels of one
     * row when the width is a multiple of 8, two half rows when it is 4 (the 4x4 maps of small nets, which went
     * one float at a time before: a third of the whole convolution's time there); the remaining channels and
     * pixels (and other vector widths) are copied one by one.
     */
    private static void copyChannelsLast(Problem pr, MemorySegment x, long xOff, float[] xcl, int dst) {
        int cin = pr.cin(), h = pr.h(), w = pr.w(), wp = pr.wp(), cp = pr.cp(), pad = pr.pad(), plane = h * w;
        Arrays.fill(xcl, dst, dst + pr.hp() * wp * cp, 0f);
        // the image as stored, on the heap (one bulk copy), so that the transposes read arrays
        float[] img = WORKSPACES.get().nchw.floats(cin * plane);
        MemorySegment.copy(x, JAVA_FLOAT, xOff * Float.BYTES, img, 0, cin * plane);
        boolean halves = L == 8 && w == 4;
        int qBlocks = L == 8 ? w / 8 * 8 : 0, rBlocks = halves ? h / 2 * 2 : 0;
        int cBlocks = qBlocks > 0 || rBlocks > 0 ? cin / 8 * 8 : 0;
        for (int c0 = 0; c0 < cBlocks; c0 += 8) {
            for (int r = 0; r < h; r++) {
                for (int q0 = 0; q0 < qBlocks; q0 += 8) {
                    int d = dst + ((r + pad) * wp + q0 + pad) * cp + c0;
                    transpose8(img, c0 * plane + r * w + q0, plane, xcl, d, d + 4 * cp, cp);
                }
            }
            for (int r = 0; r < rBlocks; r += 2) { // rows r and r + 1: 8 consecutive floats of the plane
                int d = dst + ((r + pad) * wp + pad) * cp + c0;
                transpose8(img, c0 * plane + r * w, plane, xcl, d, d + wp * cp, cp);
            }
        }
        for (int c = 0; c < cin; c++) {
            boolean blocked = c < cBlocks;
            for (int r = blocked ? rBlocks : 0; r < h; r++) {
                int q0 = blocked ? qBlocks : 0;
                int s = c * plane + r * w + q0, d = dst + ((r + pad) * wp + q0 + pad) * cp + c;
                for (int q = q0; q < w; q++, d += cp) xcl[d] = img[s++];
            }
        }
    }

    private static final VectorShuffle<Float> ZIP_LO = zip(false), ZIP_HI = zip(true);

    /** Lanes alternate between the two vectors' lower (or upper) halves: a0 b0 a1 b1 ... (indexes >= L: the second). */
    private static VectorShuffle<Float> zip(boolean high) {
        return VectorShuffle.fromOp(S, i -> (i % 2 == 0 ? 0 : L) + i / 2 + (high ? L / 2 : 0));
    }

    /**
     * The 8 x 8 transpose of src rows {@code s0 + k*sStride} (8 floats each) into dst rows {@code d0 + k*dStride}
     * for k < 4 and {@code d4 + (k - 4)*dStride} for k >= 4 (d4 = d0 + 4*dStride: evenly spaced rows): three
     * rounds of zips over the row pairs (i, i + 4), each round's outputs in order. Loads and stores stay inside
     * (no vector crosses a call, so nothing is boxed if this is compiled on its own).
     */
    private static void transpose8(float[] src, int s0, int sStride, float[] dst, int d0, int d4, int dStride) {
        FloatVector r0 = FloatVector.fromArray(S, src, s0), r1 = FloatVector.fromArray(S, src, s0 + sStride);
        FloatVector r2 = FloatVector.fromArray(S, src, s0 + 2 * sStride), r3 = FloatVector.fromArray(S, src, s0 + 3 * sStride);
        FloatVector r4 = FloatVector.fromArray(S, src, s0 + 4 * sStride), r5 = FloatVector.fromArray(S, src, s0 + 5 * sStride);
        FloatVector r6 = FloatVector.fromArray(S, src, s0 + 6 * sStride), r7 = FloatVector.fromArray(S, src, s0 + 7 * sStride);
        FloatVector a0 = r0.rearrange(ZIP_LO, r4), a1 = r0.rearrange(ZIP_HI, r4);
        FloatVector a2 = r1.rearrange(ZIP_LO, r5), a3 = r1.rearrange(ZIP_HI, r5);
        FloatVector a4 = r2.rearrange(ZIP_LO, r6), a5 = r2.rearrange(ZIP_HI, r6);
        FloatVector a6 = r3.rearrange(ZIP_LO, r7), a7 = r3.rearrange(ZIP_HI, r7);
        FloatVector b0 = a0.rearrange(ZIP_LO, a4), b1 = a0.rearrange(ZIP_HI, a4);
        FloatVector b2 = a1.rearrange(ZIP_LO, a5), b3 = a1.rearrange(ZIP_HI, a5);
        FloatVector b4 = a2.rearrange(ZIP_LO, a6), b5 = a2.rearrange(ZIP_HI, a6);
        FloatVector b6 = a3.rearrange(ZIP_LO, a7), b7 = a3.rearrange(ZIP_HI, a7);
        b0.rearrange(ZIP_LO, b4).intoArray(dst, d0);
        b0.rearrange(ZIP_HI, b4).intoArray(dst, d0 + dStride);
        b1.rearrange(ZIP_LO, b5).intoArray(dst, d0 + 2 * dStride);
        b1.rearrange(ZIP_HI, b5).intoArray(dst, d0 + 3 * dStride);
        b2.rearrange(ZIP_LO, b6).intoArray(dst, d4);
        b2.rearrange(ZIP_HI, b6).intoArray(dst, d4 + dStride);
        b3.rearrange(ZIP_LO, b7).intoArray(dst, d4 + 2 * dStride);
        b3.rearrange(ZIP_HI, b7).intoArray(dst, d4 + 3 * dStride);
    }

    /**
     * y[f][q] = out[q][f] (+ b[f], added after the sum as the twin does) for the cout real channels: transposed
     * into a heap NCHW image (8 x 8 blocks in registers with 8 lanes, the rest one by one), then copied out row
     * by row (one bulk copy without a bias).
     */
    private static void toNchw(Workspace ws, float[] out, int o0, int fp, int cout, int p, MemorySegment b, long bOff,
                               MemorySegment y, long yOff) {
        float[] yl = ws.nchw.floats(cout * p);
        int fBlocks = L == 8 ? cout / 8 * 8 : 0, qBlocks = L == 8 ? p / 8 * 8 : 0;
        for (int f0 = 0; f0 < fBlocks; f0 += 8) {
            for (int q0 = 0; q0 < qBlocks; q0 += 8) {
                transpose8(out, o0 + q0 * fp + f0, fp, yl, f0 * p + q0, (f0 + 4) * p + q0, p);
            }
        }
        for (int fi = 0; fi < cout; fi++) {
            for (int q = fi < fBlocks ? qBlocks : 0; q < p; q++) yl[fi * p + q] = out[o0 + q * fp + fi];
        }
        if (b == null) {
            MemorySegment.copy(yl, 0, y, JAVA_FLOAT, yOff * Float.BYTES, cout * p);
            return;
        }
        for (int fi = 0; fi < cout; fi++) {
            long row = (yOff + (long) fi * p) * Float.BYTES;
            float bias = b.getAtIndex(JAVA_FLOAT, bOff + fi);
            int q = 0;
            for (; q + L <= p; q += L) {
                FloatVector.fromArray(S, yl, fi * p + q).add(bias).intoMemorySegment(y, row + (long) q * Float.BYTES, NO);
            }
            for (; q < p; q++) y.setAtIndex(JAVA_FLOAT, yOff + (long) fi * p + q, yl[fi * p + q] + bias);
        }
    }
}
