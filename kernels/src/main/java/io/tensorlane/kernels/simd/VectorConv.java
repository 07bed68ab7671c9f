package io.tensorlane.kernels.simd;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.kernels.ConvKernels;
import io.tensorlane.kernels.GemmKernels;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Trans;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution on the SGEMM ({@link VectorGemm}; no second GEMM here). Per image and group:
 * <ul>
 *   <li><b>pointwise</b> (1x1, stride 1, no padding): the image is already the column matrix, so forward is
 *   {@code y = W x}, backward-data {@code dx = W^T dout}, backward-weights {@code dW += dout x^T}, all GEMMs
 *   straight on the tensors (no im2col);</li>
 *   <li><b>im2col + GEMM</b> otherwise, over chunks of columns planned from the shape alone ({@link #plan}):
 *   each GEMM gets at least {@code MIN_COLS} columns (the GEMM packs W again per call, which costs about
 *   1/columns of the product), and about {@code TILE_FLOATS} floats of column and output block so that they
 *   stay in L2. Small images go several side by side into one GEMM (forward writes an f x columns block
 *   that is copied out per image with the bias; backward-data gathers their dout side by side first); large
 *   images are cut into column tiles. Forward: {@code y[:, chunk] = W cols}; backward-data:
 *   {@code cols = W^T dout[:, chunk]} then col2im-add; backward-weights {@code dW += dout[:, chunk] cols^T},
 *   one product per chunk, so the sum over the batch is a few long GEMM sums, not a beta pass per image.</li>
 * </ul>
 * 3x3 stride-1 layers with 32+ channels each way take {@link WinogradConv} (all three directions: F(4x4, 3x3)
 * for forward and backward-data where its tiles need fewer products, else F(2x2, 3x3); its rounding error is
 * bounded norm-wise, see there; {@code -Dtensorlane.conv.winograd=off} turns it off). Small images (at
 * most 32 x 32 output pixels, groups 1) take {@link FlatConv} (stride 1, lanes along the output pixels; by its own
 * rule: few channels or filters, little wasted width) or else {@link DirectConv} where they measured faster:
 * forward and backward-data by the per-shape rule there, backward-weights always (no im2col matrix).
 * The column and output blocks live in a per-thread workspace (automatic-arena memory, grown on demand and reused: no
 * allocation per call in steady state); automatic arenas are readable by the GEMM's worker threads.
 *
 * <p>Threads: forward splits over chunks, backward-data over chunks (tiles of one image stay on one thread:
 * they add into overlapping pixels), each unit running a
 * single-threaded GEMM; with fewer units than threads (and for backward-weights, whose sum runs over all
 * images in order) the GEMM itself is split over its output tiles. Every output element is computed by
 * the same operations in the same order either way, and the GEMM is bit-identical for any thread count,
 * so results do not depend on the thread count. The algorithm and the tile depend on the shape only; the
 * choice is logged at DEBUG level ({@code System.Logger} {@code io.tensorlane.kernels.simd.VectorConv}).
 */
public final class VectorConv implements ConvKernels {
    private static final System.Logger LOG = System.getLogger(VectorConv.class.getName());
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int LANES = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    /**
     * Target floats of one chunk's column block plus its output block ((K + M) x columns): 256 KiB, half of a
     * Zen 2-5 L2, so the block is built, packed by the GEMM and consumed while it is still in cache.
     */
    static final int TILE_FLOATS = Integer.getInteger("tensorlane.conv.tileFloats", 1 << 16);
    /**
     * Fewest columns per GEMM (unless the whole batch has fewer): the GEMM packs the weights again for every
     * call, which costs about 1/columns of the product (Deep-3x3 at 64 columns spent 19% of its time packing W).
     */
    static final int MIN_COLS = Integer.getInteger("tensorlane.conv.minCols", 512);

    private final GemmKernels gemm;
    private final ThreadLocal<Workspace> workspaces = ThreadLocal.withInitial(Workspace::new);

    public VectorConv() {
        this(new VectorGemm());
    }

    public VectorConv(GemmKernels gemm) {
        this.gemm = gemm;
    }

    /** One thread's column and output buffers, off-heap (the GEMM is fastest when it never sees heap and native segments mixed). */
    private static final class Workspace {
        MemorySegment cols = MemorySegment.NULL;
        MemorySegment out = MemorySegment.NULL;

        MemorySegment cols(long floats) {
            if (cols.byteSize() < floats * Float.BYTES) {
                cols = Arena.ofAuto().allocate(floats * Float.BYTES, 64);
            }
            return cols;
        }

        MemorySegment out(long floats) {
            if (out.byteSize() < floats * Float.BYTES) {
                out = Arena.ofAuto().allocate(floats * Float.BYTES, 64);
            }
            return out;
        }
    }

    /**
     * How the columns (output pixels) of the batch are cut into GEMMs, from the shape alone: {@code images}
     * whole images side by side per chunk (small images: one GEMM over several, so its columns are many), or,
     * when {@code images == 1} and {@code tile < P}, one image in column tiles of {@code tile}.
     */
    record Plan(int images, int tile, int chunks, int tilesPerImage) {
    }

    static Plan plan(ConvGeometry g) {
        int p = (int) g.outPlane();
        long target = Math.max(MIN_COLS, TILE_FLOATS / (g.colRows() + g.f()));
        if (target >= 2L * p && g.n() > 1) {
            int images = (int) Math.min(g.n(), target / p);
            return new Plan(images, images * p, (int) ((g.n() + images - 1) / images), 1);
        }
        int tiles = (int) Math.max(1, (p + target - 1) / target);
        int t = (int) Math.min(p, ((p + tiles - 1) / tiles + 15) / 16 * 16);
        tiles = (p + t - 1) / t;
        return new Plan(1, t, (int) g.n() * tiles, tiles);
    }

    @FunctionalInterface
    private interface Unit {
        void run(long index, Parallelism gemmPar);
    }

    /**
     * Runs units [0, count): spread over the threads one unit per task (each unit's GEMM on one thread) when
     * there are at least as many units as threads, else in turn with the GEMM split over the threads.
     */
    private static void forEach(long count, Parallelism par, Unit unit) {
        if (par.isSingle() || count < par.threads()) {
            for (long i = 0; i < count; i++) unit.run(i, par);
        } else {
            Parallelism one = Parallelism.single();
            par.parallelFor(0, count, 1, (from, to) -> {
                for (long i = from; i < to; i++) unit.run(i, one);
            });
        }
    }

    private static Parallelism usable(Parallelism par, MemorySegment a, MemorySegment b, MemorySegment c, MemorySegment d) {
        Parallelism p = VectorGemm.usable(par, a, b, c);
        return d == null ? p : VectorGemm.usable(p, d, null, d);
    }

    private static void log(String what, ConvGeometry g, String algo) {
        if (LOG.isLoggable(System.Logger.Level.DEBUG)) {
            LOG.log(System.Logger.Level.DEBUG, "conv2d " + what + " " + g + ": " + algo);
        }
    }

    // ------------------------------------------------------------------------------------ im2col / col2im

    @Override
    public void im2col(ConvGeometry g, MemorySegment x, long xOff, MemorySegment cols, long colsOff) {
        int p = (int) g.outPlane();
        im2colTile(g, x, xOff, 0, p, cols, colsOff, p);
    }

    @Override
    public void col2im(ConvGeometry g, MemorySegment cols, long colsOff, MemorySegment x, long xOff) {
        x.asSlice(xOff * Float.BYTES, g.c() * g.plane() * Float.BYTES).fill((byte) 0);
        col2imTileAdd(g, cols, colsOff, 0, (int) g.outPlane(), (int) g.outPlane(), x, xOff);
    }

    /**
     * Columns [p0, p1) of one image's im2col matrix into dst (row stride ld >= p1 - p0). Walks each row in
     * runs of one output row: a run is zeros where the window hangs over the padding and a copy (stride 1)
     * or a strided gather from one input row in between.
     */
    static void im2colTile(ConvGeometry g, MemorySegment x, long xOff, int p0, int p1,
                           MemorySegment dst, long dstOff, int ld) {
        int len = ld;
        int wo = (int) g.wo(), sh = g.strideH(), sw = g.strideW();
        long h = g.h(), w = g.w();
        long r = 0;
        for (long c = 0; c < g.c(); c++) {
            long xc = xOff + c * h * w;
            for (int i = 0; i < g.kh(); i++) {
                long yOffs = (long) i * g.dilationH() - g.padH();
                for (int j = 0; j < g.kw(); j++, r++) {
                    long xOffs = (long) j * g.dilationW() - g.padW();
                    int lo = firstInside(xOffs, sw), hi = endInside(xOffs, sw, w);
                    long d = dstOff + r * len;
                    int p = p0;
                    while (p < p1) {
                        int oh = p / wo, ow0 = p - oh * wo, ow1 = Math.min(wo, ow0 + (p1 - p));
                        long yy = (long) oh * sh + yOffs;
                        int n = ow1 - ow0;
                        if (yy < 0 || yy >= h) {
                            zero(dst, d, n);
                        } else if (sw == 1) {
                            paddedRun(x, xc + yy * w + xOffs, ow0, lo, hi, dst, d, n);
                        } else {
                            int a = Math.max(ow0, Math.min(lo, ow1)), b = Math.max(a, Math.min(hi, ow1));
                            zero(dst, d, a - ow0);
                            long src = xc + yy * w + (long) a * sw + xOffs;
                            stridedRun(x, src, sw, dst, d + (a - ow0), b - a); // (stride 1 took paddedRun above)
                            zero(dst, d + (b - ow0), ow1 - b);
                        }
                        d += n;
                        p += n;
                    }
                }
            }
        }
    }

    // Shuffles of the strided gathers: S2 takes lanes 0, 2, 4, .. of two vectors side by side; S4_LO and
    // S4_HI take every 4th float of the first and of the second pair of four vectors, into the lower and the
    // upper lanes (indexes >= LANES select from the second vector of a pair).
    private static final VectorShuffle<Float> S2 = VectorShuffle.fromOp(S, t -> 2 * t);
    private static final VectorShuffle<Float> S4_LO = VectorShuffle.fromOp(S, t -> 4 * t < 2 * LANES ? 4 * t : 0);
    private static final VectorShuffle<Float> S4_HI = VectorShuffle.fromOp(S, t -> 4 * t >= 2 * LANES ? 4 * t - 2 * LANES : 0);
    private static final VectorMask<Float> UPPER_HALF = VectorMask.fromLong(S, -1L << (LANES / 2));

    /**
     * dst[d + q] = src[s + q*stride] for q in [0, n): one strided run of im2col (stride > 1). Strides 2
     * and 4 (ResNet's down-sampling, AlexNet's first layer) gather LANES values from 2 or 4 consecutive
     * vector loads with two-input shuffles, where those loads stay inside the segment; the rest, and
     * other strides, element by element (element-by-element gathers made im2col about a third of
     * AlexNet-conv1's forward pass).
     */
    private static void stridedRun(MemorySegment src, long s, int stride, MemorySegment dst, long d, int n) {
        int q = 0;
        // vectors for native inputs only: see paddedRun on heap and native segments in one vector loop
        if ((stride == 2 || stride == 4) && src.isNative()) {
            long limit = src.byteSize() / Float.BYTES;
            long span = (long) stride * LANES; // floats read per output vector
            long vb = (long) LANES * Float.BYTES;
            // the run's last LANES values as one more vector, overlapping the previous one (a copy: the
            // values stored twice are the same) instead of up to LANES - 1 scalar copies: AlexNet-conv1's
            // runs are 55 long, 6 vectors and 7 scalars each
            boolean tail = n >= LANES && s + (long) (n - LANES) * stride + span <= limit;
            for (; q < n && s + (long) q * stride + span <= limit; q += LANES) {
                if (q + LANES > n) {
                    if (!tail) break;
                    q = n - LANES;
                }
                long o = (s + (long) q * stride) * Float.BYTES;
                FloatVector v0 = FloatVector.fromMemorySegment(S, src, o, NO);
                FloatVector v1 = FloatVector.fromMemorySegment(S, src, o + vb, NO);
                FloatVector g;
                if (stride == 2) {
                    g = v0.rearrange(S2, v1);
                } else {
                    FloatVector v2 = FloatVector.fromMemorySegment(S, src, o + 2 * vb, NO);
                    FloatVector v3 = FloatVector.fromMemorySegment(S, src, o + 3 * vb, NO);
                    g = v0.rearrange(S4_LO, v1).blend(v2.rearrange(S4_HI, v3), UPPER_HALF);
                }
                g.intoMemorySegment(dst, (d + q) * Float.BYTES, NO);
            }
        }
        for (; q < n; q++) dst.setAtIndex(JAVA_FLOAT, d + q, src.getAtIndex(JAVA_FLOAT, s + (long) q * stride));
    }

    /** The adjoint of {@link #im2colTile}: adds columns [p0, p1) of src (row stride ld >= p1 - p0) into the image. */
    static void col2imTileAdd(ConvGeometry g, MemorySegment src, long srcOff, int p0, int p1, int ld,
                              MemorySegment x, long xOff) {
        int len = ld;
        int wo = (int) g.wo(), sh = g.strideH(), sw = g.strideW();
        long h = g.h(), w = g.w();
        long r = 0;
        for (long c = 0; c < g.c(); c++) {
            long xc = xOff + c * h * w;
            for (int i = 0; i < g.kh(); i++) {
                long yOffs = (long) i * g.dilationH() - g.padH();
                for (int j = 0; j < g.kw(); j++, r++) {
                    long xOffs = (long) j * g.dilationW() - g.padW();
                    int lo = firstInside(xOffs, sw), hi = endInside(xOffs, sw, w);
                    long s = srcOff + r * len;
                    int p = p0;
                    while (p < p1) {
                        int oh = p / wo, ow0 = p - oh * wo, ow1 = Math.min(wo, ow0 + (p1 - p));
                        long yy = (long) oh * sh + yOffs;
                        int n = ow1 - ow0;
                        if (yy >= 0 && yy < h) {
                            int a = Math.max(ow0, Math.min(lo, ow1)), b = Math.max(a, Math.min(hi, ow1));
                            long dst = xc + yy * w + (long) a * sw + xOffs;
                            long ss = s + (a - ow0);
                            if (sw == 1) {
                                addRun(src, ss, x, dst, b - a);
                            } else {
                                for (int q = 0; q < b - a; q++) {
                                    long t = dst + (long) q * sw;
                                    x.setAtIndex(JAVA_FLOAT, t, x.getAtIndex(JAVA_FLOAT, t) + src.getAtIndex(JAVA_FLOAT, ss + q));
                                }
                            }
                        }
                        s += n;
                        p += n;
                    }
                }
            }
        }
    }

    /** First ow with ow*s + off >= 0. */
    private static int firstInside(long off, int s) {
        return off >= 0 ? 0 : (int) ((-off + s - 1) / s);
    }

    /** One past the last ow with ow*s + off < w (ow*s + off never reaches w beyond it). */
    private static int endInside(long off, int s, long w) {
        long room = w - off; // ow*s < room
        if (room <= 0) return 0;
        return (int) Math.min(Integer.MAX_VALUE, (room + s - 1) / s);
    }

    /**
     * seg[off:off+n] = 0. Vector stores, not {@code asSlice(..).fill}: the runs here are mostly a few floats
     * long (the padding of one output row), where a slice and a fill per run cost 10% of Deep-3x3's forward.
     */
    private static void zero(MemorySegment seg, long off, int n) {
        int q = 0;
        if (n >= LANES) {
            FloatVector z = FloatVector.zero(S);
            for (; q + LANES <= n; q += LANES) z.intoMemorySegment(seg, (off + q) * Float.BYTES, NO);
        }
        for (; q < n; q++) seg.setAtIndex(JAVA_FLOAT, off + q, 0f);
    }

    /**
     * dst[d+q] = src[base + ow0 + q] where lo <= ow0 + q < hi, else 0, for q in [0, n): one stride-1 run of
     * im2col with its padding: zeros, a vector copy of the inside part, zeros. No masked loads: on JDK 25 /
     * AVX2 the masked {@code fromMemorySegment} with {@code indexInRange} masks was not intrinsified here
     * (it allocated a boolean[] and a float[] per vector, 5 MB per digits-CNN training step, and was 20% of
     * a LeNet-5 step).
     */
    private static void paddedRun(MemorySegment src, long base, int ow0, int lo, int hi, MemorySegment dst, long d, int n) {
        int ow1 = ow0 + n;
        int a = Math.max(ow0, Math.min(lo, ow1)), b = Math.max(a, Math.min(hi, ow1));
        for (int q = ow0; q < a; q++) dst.setAtIndex(JAVA_FLOAT, d + (q - ow0), 0f);
        if (src.isNative()) {
            copyRun(src, base + a, dst, d + (a - ow0), b - a);
        } else {
            // A heap input (a batch made with Tensor.of) is copied by scalars: if copyRun's vector loads saw heap
            // and native segments both, C2 left them unintrinsified (boxing, several MB per LeNet-5 step, 2-4x
            // slower steps in some runs and not in others).
            for (int q = 0; q < b - a; q++) {
                dst.setAtIndex(JAVA_FLOAT, d + (a - ow0) + q, src.getAtIndex(JAVA_FLOAT, base + a + q));
            }
        }
        for (int q = b; q < ow1; q++) dst.setAtIndex(JAVA_FLOAT, d + (q - ow0), 0f);
    }

    /** dst[d:d+n] = src[s:s+n] by vectors (runs are one output row: a bulk copy's set-up cost dominated them). */
    private static void copyRun(MemorySegment src, long s, MemorySegment dst, long d, int n) {
        int q = 0;
        for (; q + LANES <= n; q += LANES) {
            FloatVector.fromMemorySegment(S, src, (s + q) * Float.BYTES, NO).intoMemorySegment(dst, (d + q) * Float.BYTES, NO);
        }
        for (; q < n; q++) dst.setAtIndex(JAVA_FLOAT, d + q, src.getAtIndex(JAVA_FLOAT, s + q));
    }

    /** dst[0:n] += src[0:n] */
    private static void addRun(MemorySegment src, long so, MemorySegment dst, long dOff, int n) {
        int q = 0;
        for (; q + LANES <= n; q += LANES) {
            long a = (dOff + q) * Float.BYTES;
            FloatVector.fromMemorySegment(S, dst, a, NO)
                    .add(FloatVector.fromMemorySegment(S, src, (so + q) * Float.BYTES, NO))
                    .intoMemorySegment(dst, a, NO);
        }
        for (; q < n; q++) {
            dst.setAtIndex(JAVA_FLOAT, dOff + q, dst.getAtIndex(JAVA_FLOAT, dOff + q) + src.getAtIndex(JAVA_FLOAT, so + q));
        }
    }

    /** dst[0:n] += v */
    private static void addScalar(float v, MemorySegment dst, long dOff, int n) {
        FloatVector bv = FloatVector.broadcast(S, v);
        int q = 0;
        for (; q + LANES <= n; q += LANES) {
            long a = (dOff + q) * Float.BYTES;
            FloatVector.fromMemorySegment(S, dst, a, NO).add(bv).intoMemorySegment(dst, a, NO);
        }
        for (; q < n; q++) dst.setAtIndex(JAVA_FLOAT, dOff + q, dst.getAtIndex(JAVA_FLOAT, dOff + q) + v);
    }

    // ------------------------------------------------------------------------------------ convolution

    @Override
    public void conv2d(ConvGeometry g, MemorySegment x, long xOff, MemorySegment w, long wOff,
                       MemorySegment b, long bOff, MemorySegment y, long yOff, Parallelism par) {
        if (g.n() == 0) return;
        Parallelism pu = usable(par, x, w, y, b);
        if (WinogradConv.forward(g)) {
            log("fwd", g, WinogradConv.tileEdge(g.ho(), g.wo()) == 4
                    ? "Winograd F(4x4, 3x3) (36 microkernel products over channel pairs per chunk of 4x4 output tiles)"
                    : "Winograd F(2x2, 3x3) (16 microkernel products over channel pairs per chunk of 2x2 output tiles)");
            WinogradConv.conv2d(g, x, xOff, w, wOff, b, bOff, y, yOff, pu);
            return;
        }
        if (FlatConv.forward(g)) {
            log("fwd", g, "flat direct (vectorised over output pixels)");
            FlatConv.conv2d(g, x, xOff, w, wOff, b, bOff, y, yOff, pu);
            return;
        }
        if (DirectConv.forward(g)) {
            log("fwd", g, "direct (vectorised over filters)");
            DirectConv.conv2d(g, x, xOff, w, wOff, b, bOff, y, yOff, pu);
            return;
        }
        int p = (int) g.outPlane(), fg = (int) g.fg(), groups = g.groups();
        long xImg = g.c() * g.plane(), yImg = g.f() * p;
        if (g.pointwise()) {
            int cg = (int) g.cg();
            log("fwd", g, "pointwise sgemm per image");
            forEach(g.n(), pu, (n, gp) -> {
                for (int gi = 0; gi < groups; gi++) {
                    gemm.sgemm(Trans.N, Trans.N, fg, p, cg, 1f, w, wOff + (long) gi * fg * cg, cg,
                            x, xOff + n * xImg + (long) gi * cg * p, p,
                            0f, y, yOff + n * yImg + (long) gi * fg * p, p, gp);
                }
                if (b != null) biasTile(g, b, bOff, y, yOff + n * yImg, 0, p);
            });
            return;
        }
        int k = (int) g.colRows(), kg = k / groups, f = (int) g.f();
        Plan plan = plan(g);
        if (plan.images() > 1) {
            int per = plan.images();
            log("fwd", g, "im2col+sgemm over " + per + " images side by side");
            // y's rows of consecutive images are not one strided matrix: the GEMM writes a (f x images*P)
            // block, whose rows are then copied out image by image (with the bias).
            forEach(plan.chunks(), pu, (u, gp) -> {
                long n0 = u * per;
                int imgs = (int) Math.min(per, g.n() - n0), len = imgs * p;
                Workspace ws = workspaces.get();
                MemorySegment cols = ws.cols((long) k * len), out = ws.out((long) f * len);
                for (int j = 0; j < imgs; j++) im2colTile(g, x, xOff + (n0 + j) * xImg, 0, p, cols, (long) j * p, len);
                for (int gi = 0; gi < groups; gi++) {
                    gemm.sgemm(Trans.N, Trans.N, fg, len, kg, 1f, w, wOff + (long) gi * fg * kg, kg,
                            cols, (long) gi * kg * len, len, 0f, out, (long) gi * fg * len, len, gp);
                }
                for (int j = 0; j < imgs; j++) {
                    long yi = yOff + (n0 + j) * yImg;
                    for (int fi = 0; fi < f; fi++) {
                        float bias = b == null ? 0f : b.getAtIndex(JAVA_FLOAT, bOff + fi);
                        copyAddRun(out, (long) fi * len + (long) j * p, bias, y, yi + (long) fi * p, p);
                    }
                }
            });
            return;
        }
        int pt = plan.tile(), tiles = plan.tilesPerImage();
        log("fwd", g, "im2col+sgemm, column tiles of " + pt);
        forEach(plan.chunks(), pu, (u, gp) -> {
            long n = u / tiles;
            int p0 = (int) (u % tiles) * pt, p1 = Math.min(p, p0 + pt), len = p1 - p0;
            MemorySegment cols = workspaces.get().cols((long) k * len);
            im2colTile(g, x, xOff + n * xImg, p0, p1, cols, 0, len);
            for (int gi = 0; gi < groups; gi++) {
                gemm.sgemm(Trans.N, Trans.N, fg, len, kg, 1f, w, wOff + (long) gi * fg * kg, kg,
                        cols, (long) gi * kg * len, len,
                        0f, y, yOff + n * yImg + (long) gi * fg * p + p0, p, gp);
            }
            if (b != null) biasTile(g, b, bOff, y, yOff + n * yImg, p0, p1);
        });
    }

    /** y[f, p0:p1] += b[f] for every filter of one image. */
    private static void biasTile(ConvGeometry g, MemorySegment b, long bOff, MemorySegment y, long yImgOff, int p0, int p1) {
        long p = g.outPlane();
        for (long f = 0; f < g.f(); f++) {
            addScalar(b.getAtIndex(JAVA_FLOAT, bOff + f), y, yImgOff + f * p + p0, p1 - p0);
        }
    }

    /** dst[d:d+n] = src[s:s+n] + v */
    private static void copyAddRun(MemorySegment src, long s, float v, MemorySegment dst, long d, int n) {
        FloatVector bv = FloatVector.broadcast(S, v);
        int q = 0;
        for (; q + LANES <= n; q += LANES) {
            FloatVector.fromMemorySegment(S, src, (s + q) * Float.BYTES, NO).add(bv).intoMemorySegment(dst, (d + q) * Float.BYTES, NO);
        }
        for (; q < n; q++) dst.setAtIndex(JAVA_FLOAT, d + q, src.getAtIndex(JAVA_FLOAT, s + q) + v);
    }

    @Override
    public void conv2dBackwardData(ConvGeometry g, MemorySegment dout, long dOff, MemorySegment w, long wOff,
                                   MemorySegment dx, long dxOff, Parallelism par) {
        if (g.n() == 0) return;
        Parallelism pu = usable(par, dout, w, dx, null);
        if (WinogradConv.backwardData(g)) {
            log("bwd-data", g, WinogradConv.tileEdge(g.h(), g.w()) == 4
                    ? "Winograd F(4x4, 3x3) on dout padded by 2 - p with the flipped kernel"
                    : "Winograd F(2x2, 3x3) on dout padded by 2 - p with the flipped kernel");
            WinogradConv.backwardData(g, dout, dOff, w, wOff, dx, dxOff, pu);
            return;
        }
        if (FlatConv.backwardData(g)) {
            log("bwd-data", g, "flat direct (flipped kernel, vectorised over input pixels)");
            FlatConv.backwardData(g, dout, dOff, w, wOff, dx, dxOff, pu);
            return;
        }
        if (DirectConv.backwardData(g)) {
            log("bwd-data", g, "direct (stride-1 correlation of dout with the flipped kernel, vectorised over channels)");
            DirectConv.backwardData(g, dout, dOff, w, wOff, dx, dxOff, pu);
            return;
        }
        int p = (int) g.outPlane(), fg = (int) g.fg(), groups = g.groups();
        long xImg = g.c() * g.plane(), yImg = g.f() * p;
        if (g.pointwise()) {
            int cg = (int) g.cg();
            log("bwd-data", g, "pointwise sgemm per image");
            forEach(g.n(), pu, (n, gp) -> {
                for (int gi = 0; gi < groups; gi++) {
                    gemm.sgemm(Trans.T, Trans.N, cg, p, fg, 1f, w, wOff + (long) gi * fg * cg, cg,
                            dout, dOff + n * yImg + (long) gi * fg * p, p,
                            0f, dx, dxOff + n * xImg + (long) gi * cg * p, p, gp);
                }
            });
            return;
        }
        int k = (int) g.colRows(), kg = k / groups, f = (int) g.f();
        Plan plan = plan(g);
        if (plan.images() > 1) {
            int per = plan.images();
            log("bwd-data", g, "sgemm over " + per + " images side by side + col2im");
            forEach(plan.chunks(), pu, (u, gp) -> {
                long n0 = u * per;
                int imgs = (int) Math.min(per, g.n() - n0), len = imgs * p;
                Workspace ws = workspaces.get();
                MemorySegment cols = ws.cols((long) k * len), d = ws.out((long) f * len);
                // dout of these images side by side (f x images*P), so that one GEMM covers them
                for (int j = 0; j < imgs; j++) {
                    long di = dOff + (n0 + j) * yImg;
                    for (int fi = 0; fi < f; fi++) copyRun(dout, di + (long) fi * p, d, (long) fi * len + (long) j * p, p);
                }
                for (int gi = 0; gi < groups; gi++) {
                    gemm.sgemm(Trans.T, Trans.N, kg, len, fg, 1f, w, wOff + (long) gi * fg * kg, kg,
                            d, (long) gi * fg * len, len, 0f, cols, (long) gi * kg * len, len, gp);
                }
                for (int j = 0; j < imgs; j++) {
                    long xi = dxOff + (n0 + j) * xImg;
                    dx.asSlice(xi * Float.BYTES, xImg * Float.BYTES).fill((byte) 0);
                    col2imTileAdd(g, cols, (long) j * p, 0, p, len, dx, xi);
                }
            });
            return;
        }
        int pt = plan.tile();
        log("bwd-data", g, "sgemm+col2im, column tiles of " + pt);
        // The tiles of one image add into overlapping pixels: they run in order, on one thread per image.
        forEach(g.n(), pu, (n, gp) -> {
            long xi = dxOff + n * xImg;
            dx.asSlice(xi * Float.BYTES, xImg * Float.BYTES).fill((byte) 0);
            for (int p0 = 0; p0 < p; p0 += pt) {
                int p1 = Math.min(p, p0 + pt), len = p1 - p0;
                MemorySegment cols = workspaces.get().cols((long) k * len);
                for (int gi = 0; gi < groups; gi++) {
                    gemm.sgemm(Trans.T, Trans.N, kg, len, fg, 1f, w, wOff + (long) gi * fg * kg, kg,
                            dout, dOff + n * yImg + (long) gi * fg * p + p0, p,
                            0f, cols, (long) gi * kg * len, len, gp);
                }
                col2imTileAdd(g, cols, 0, p0, p1, len, dx, xi);
            }
        });
    }

    @Override
    public void conv2dBackwardWeights(ConvGeometry g, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                      MemorySegment dw, long dwOff, Parallelism par) {
        int p = (int) g.outPlane(), fg = (int) g.fg(), groups = g.groups();
        if (g.n() == 0) {
            dw.asSlice(dwOff * Float.BYTES, g.wSize() * Float.BYTES).fill((byte) 0);
            return;
        }
        Parallelism pu = usable(par, x, dout, dw, null);
        if (WinogradConv.backwardWeights(g)) {
            log("bwd-weights", g, WinogradConv.weightsTileEdge() == 4
                    ? "Winograd F(4x4, 3x3) (36 microkernel products summed over the tiles)"
                    : "Winograd F(2x2, 3x3) (16 microkernel products summed over the tiles)");
            WinogradConv.backwardWeights(g, x, xOff, dout, dOff, dw, dwOff, pu);
            return;
        }
        if (FlatConv.backwardWeights(g)) {
            log("bwd-weights", g, "flat direct (vector sums along output pixels)");
            FlatConv.backwardWeights(g, x, xOff, dout, dOff, dw, dwOff, pu);
            return;
        }
        if (DirectConv.backwardWeights(g)) {
            log("bwd-weights", g, "direct (microkernel over the batch's pixels, no im2col matrix)");
            DirectConv.backwardWeights(g, x, xOff, dout, dOff, dw, dwOff, pu);
            return;
        }
        long xImg = g.c() * g.plane(), yImg = g.f() * p;
        // One sum over the images and tiles in order (beta = 1 after the first product); the GEMM splits
        // each product over the threads.
        if (g.pointwise()) {
            int cg = (int) g.cg();
            log("bwd-weights", g, "pointwise sgemm per image");
            for (long n = 0; n < g.n(); n++) {
                for (int gi = 0; gi < groups; gi++) {
                    gemm.sgemm(Trans.N, Trans.T, fg, cg, p, 1f, dout, dOff + n * yImg + (long) gi * fg * p, p,
                            x, xOff + n * xImg + (long) gi * cg * p, p,
                            n == 0 ? 0f : 1f, dw, dwOff + (long) gi * fg * cg, cg, pu);
                }
            }
            return;
        }
        int k = (int) g.colRows(), kg = k / groups, f = (int) g.f();
        Plan plan = plan(g);
        Workspace ws = workspaces.get();
        if (plan.images() > 1) {
            // dW = dout cols^T over several images' columns per product: the sum over the batch is then a few
            // long sums (the GEMM's recursive sum over k) instead of one beta pass over dW per image.
            int per = plan.images();
            log("bwd-weights", g, "im2col+sgemm over " + per + " images side by side");
            for (long n0 = 0; n0 < g.n(); n0 += per) {
                int imgs = (int) Math.min(per, g.n() - n0), len = imgs * p;
                MemorySegment cols = ws.cols((long) k * len), d = ws.out((long) f * len);
                for (int j = 0; j < imgs; j++) {
                    im2colTile(g, x, xOff + (n0 + j) * xImg, 0, p, cols, (long) j * p, len);
                    long di = dOff + (n0 + j) * yImg;
                    for (int fi = 0; fi < f; fi++) copyRun(dout, di + (long) fi * p, d, (long) fi * len + (long) j * p, p);
                }
                for (int gi = 0; gi < groups; gi++) {
                    gemm.sgemm(Trans.N, Trans.T, fg, kg, len, 1f, d, (long) gi * fg * len, len,
                            cols, (long) gi * kg * len, len,
                            n0 == 0 ? 0f : 1f, dw, dwOff + (long) gi * fg * kg, kg, pu);
                }
            }
            return;
        }
        int pt = plan.tile();
        log("bwd-weights", g, "im2col+sgemm, column tiles of " + pt);
        boolean first = true;
        for (long n = 0; n < g.n(); n++) {
            for (int p0 = 0; p0 < p; p0 += pt) {
                int p1 = Math.min(p, p0 + pt), len = p1 - p0;
                MemorySegment cols = ws.cols((long) k * len);
                im2colTile(g, x, xOff + n * xImg, p0, p1, cols, 0, len);
                for (int gi = 0; gi < groups; gi++) {
                    gemm.sgemm(Trans.N, Trans.T, fg, kg, len, 1f, dout, dOff + n * yImg + (long) gi * fg * p + p0, p,
                            cols, (long) gi * kg * len, len,
                            first ? 0f : 1f, dw, dwOff + (long) gi * fg * kg, kg, pu);
                }
                first = false;
            }
        }
    }

    @Override
    public void biasGrad(long n, long channels, long plane, MemorySegment dout, long dOff, MemorySegment db, long dbOff) {
        long span = channels * plane;
        if (plane <= SMALL_BIAS_PLANE && span <= SMALL_BIAS_SPAN) {
            smallBiasGrad(n, (int) channels, (int) plane, dout, dOff, db, dbOff);
            return;
        }
        for (long c = 0; c < channels; c++) {
            float acc = 0f;
            for (long i = 0; i < n; i++) {
                acc += rowSum(dout, dOff + (i * channels + c) * plane, plane);
            }
            db.setAtIndex(JAVA_FLOAT, dbOff + c, acc);
        }
    }

    /** Largest plane, and most values per image, of {@link #smallBiasGrad}. */
    static final long SMALL_BIAS_PLANE = 1024, SMALL_BIAS_SPAN = 16384;
    private static final ThreadLocal<Scratch> BIAS_SUMS = ThreadLocal.withInitial(Scratch::new);

    /**
     * db for small maps, image by image: each image's dout is one contiguous run of channels x plane values,
     * added position-wise into a heap array (one long vector loop per image), then folded per channel. The
     * channel-by-channel loop paid a loop set-up and a lane sum per 16-100-value plane (the digits CNN's and
     * LeNet-5's maps). Float sums either way; the tests bound them against the twin.
     */
    private static void smallBiasGrad(long n, int channels, int plane, MemorySegment dout, long dOff, MemorySegment db, long dbOff) {
        int span = channels * plane, bound = S.loopBound(span);
        float[] acc = BIAS_SUMS.get().floats(span);
        java.util.Arrays.fill(acc, 0, span, 0f);
        for (long i = 0; i < n; i++) addRun(dout, dOff + i * span, acc, span, bound);
        for (int c = 0; c < channels; c++) {
            float sum = 0f;
            for (int j = c * plane, end = j + plane; j < end; j++) sum += acc[j];
            db.setAtIndex(JAVA_FLOAT, dbOff + c, sum);
        }
    }

    /** acc[j] += d[off + j] for j < span (vectors up to bound, then one at a time). */
    private static void addRun(MemorySegment d, long off, float[] acc, int span, int bound) {
        int j = 0;
        for (; j < bound; j += LANES) {
            FloatVector.fromArray(S, acc, j).add(FloatVector.fromMemorySegment(S, d, (off + j) * Float.BYTES, NO)).intoArray(acc, j);
        }
        for (; j < span; j++) acc[j] += d.getAtIndex(JAVA_FLOAT, off + j);
    }

    /** Sum of n floats: lane-wise partial sums, then the lanes in order, then the tail. */
    private static float rowSum(MemorySegment s, long off, long n) {
        long q = 0;
        float tail = 0f;
        if (n >= LANES) {
            FloatVector acc = FloatVector.zero(S);
            for (; q + LANES <= n; q += LANES) acc = acc.add(FloatVector.fromMemorySegment(S, s, (off + q) * Float.BYTES, NO));
            tail = VectorMath.sumLanes(acc);
        }
        for (; q < n; q++) tail += s.getAtIndex(JAVA_FLOAT, off + q);
        return tail;
    }

    @Override
    public void addBias(long n, long channels, long plane, MemorySegment b, long bOff, MemorySegment y, long yOff) {
        for (long i = 0; i < n; i++) {
            for (long c = 0; c < channels; c++) {
                float bv = b.getAtIndex(JAVA_FLOAT, bOff + c);
                long row = yOff + (i * channels + c) * plane;
                for (long q = 0; q < plane; q += Integer.MAX_VALUE / 2) {
                    addScalar(bv, y, row + q, (int) Math.min(plane - q, Integer.MAX_VALUE / 2));
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------ affine

    @Override
    public void affine(long n, long d, long m, MemorySegment x, long xOff, MemorySegment w, long wOff,
                       MemorySegment b, long bOff, MemorySegment out, long outOff, Parallelism par) {
        if (n == 0 || m == 0) return;
        gemm.sgemm(Trans.N, Trans.N, (int) n, (int) m, (int) d, 1f, x, xOff, (int) d, w, wOff, (int) m,
                0f, out, outOff, (int) m, par);
        if (b != null) {
            for (long i = 0; i < n; i++) addRun(b, bOff, out, outOff + i * m, (int) m);
        }
    }

    @Override
    public void affineBackward(long n, long d, long m, MemorySegment x, long xOff, MemorySegment w, long wOff,
                               MemorySegment dout, long dOff, MemorySegment dx, long dxOff, MemorySegment dw, long dwOff,
                               MemorySegment db, long dbOff, Parallelism par) {
        int ni = (int) n, di = (int) d, mi = (int) m;
        if (dx != null && n > 0 && d > 0) {
            gemm.sgemm(Trans.N, Trans.T, ni, di, mi, 1f, dout, dOff, mi, w, wOff, mi, 0f, dx, dxOff, di, par);
        }
        if (dw != null && d > 0 && m > 0) {
            gemm.sgemm(Trans.T, Trans.N, di, mi, ni, 1f, x, xOff, di, dout, dOff, mi, 0f, dw, dwOff, mi, par);
        }
        if (db != null && m > 0) {
            db.asSlice(dbOff * Float.BYTES, m * Float.BYTES).fill((byte) 0);
            for (long i = 0; i < n; i++) addRun(dout, dOff + i * m, db, dbOff, mi);
        }
    }

    @Override
    public String toString() {
        return "VectorConv[" + gemm + "]";
    }
}
