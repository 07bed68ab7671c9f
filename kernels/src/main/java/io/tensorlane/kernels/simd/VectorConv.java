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
import jdk.incubator.vector.VectorSpecies;

/**
 * Convolution on the SGEMM ({@link VectorGemm}; no second GEMM here). Per image and group:
 * <ul>
 *   <li><b>pointwise</b> (1x1, stride 1, no padding): the image is already the column matrix, so forward is
 *   {@code y = W x}, backward-data {@code dx = W^T dout}, backward-weights {@code dW += dout x^T}, all GEMMs
 *   straight on the tensors (no im2col);</li>
 *   <li><b>im2col + GEMM</b> otherwise, in <em>column tiles</em>: the columns (output pixels) of one image are
 *   cut into tiles whose column block (c*kh*kw x tile) is about {@code TILE_FLOATS} floats, so it is built,
 *   packed by the GEMM and consumed while it is still in L2 instead of streaming a whole-image column matrix
 *   (7 MB for a ResNet 3x3 layer) through memory three times. Forward: {@code y[:, tile] = W cols};
 *   backward-data: {@code cols = W^T dout[:, tile]} then col2im-add; backward-weights
 *   {@code dW += dout[:, tile] cols^T}.</li>
 * </ul>
 * The column tile lives in a per-thread workspace (automatic-arena memory, grown on demand and reused: no
 * allocation per call in steady state); automatic arenas are readable by the GEMM's worker threads.
 *
 * <p>Threads: forward splits over (image, tile) units, backward-data over images, each unit running a
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
    /** Target size of one column tile (floats): 256 KiB, half of a Zen 2-5 L2, leaving room for packed A. */
    static final int TILE_FLOATS = Integer.getInteger("tensorlane.conv.tileFloats", 1 << 16);
    /** Fewest columns per tile (unless the image has fewer): narrower tiles make the GEMM merge-bound. */
    static final int MIN_TILE = 64;

    private final GemmKernels gemm;
    private final ThreadLocal<Workspace> workspaces = ThreadLocal.withInitial(Workspace::new);

    public VectorConv() {
        this(new VectorGemm());
    }

    public VectorConv(GemmKernels gemm) {
        this.gemm = gemm;
    }

    /** One thread's column buffer, off-heap (the GEMM is fastest when it never sees heap and native segments mixed). */
    private static final class Workspace {
        MemorySegment cols = MemorySegment.NULL;

        MemorySegment cols(long floats) {
            if (cols.byteSize() < floats * Float.BYTES) {
                cols = Arena.ofAuto().allocate(floats * Float.BYTES, 64);
            }
            return cols;
        }
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

    /** Columns per tile for this geometry: depends on the shape alone. */
    static int tile(ConvGeometry g) {
        long p = g.outPlane();
        long t = Math.max(MIN_TILE, TILE_FLOATS / g.colRows() / 16 * 16);
        return (int) Math.min(p, t);
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
        im2colTile(g, x, xOff, 0, p, cols, colsOff);
    }

    @Override
    public void col2im(ConvGeometry g, MemorySegment cols, long colsOff, MemorySegment x, long xOff) {
        x.asSlice(xOff * Float.BYTES, g.c() * g.plane() * Float.BYTES).fill((byte) 0);
        col2imTileAdd(g, cols, colsOff, 0, (int) g.outPlane(), x, xOff);
    }

    /**
     * Columns [p0, p1) of one image's im2col matrix into dst (row stride p1 - p0). Walks each row in runs
     * of one output row: a run is zeros where the window hangs over the padding and a copy (stride 1) or a
     * strided gather from one input row in between.
     */
    static void im2colTile(ConvGeometry g, MemorySegment x, long xOff, int p0, int p1,
                           MemorySegment dst, long dstOff) {
        int len = p1 - p0;
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
                        } else {
                            int a = Math.max(ow0, Math.min(lo, ow1)), b = Math.max(a, Math.min(hi, ow1));
                            zero(dst, d, a - ow0);
                            long src = xc + yy * w + (long) a * sw + xOffs;
                            long dd = d + (a - ow0);
                            if (sw == 1) {
                                MemorySegment.copy(x, src * Float.BYTES, dst, dd * Float.BYTES, (long) (b - a) * Float.BYTES);
                            } else {
                                for (int q = 0; q < b - a; q++) {
                                    dst.setAtIndex(JAVA_FLOAT, dd + q, x.getAtIndex(JAVA_FLOAT, src + (long) q * sw));
                                }
                            }
                            zero(dst, d + (b - ow0), ow1 - b);
                        }
                        d += n;
                        p += n;
                    }
                }
            }
        }
    }

    /** The adjoint of {@link #im2colTile}: adds columns [p0, p1) of src (row stride p1 - p0) into the image. */
    static void col2imTileAdd(ConvGeometry g, MemorySegment src, long srcOff, int p0, int p1,
                              MemorySegment x, long xOff) {
        int len = p1 - p0;
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

    private static void zero(MemorySegment seg, long off, int n) {
        if (n <= 0) return;
        if (n < 8) {
            for (int q = 0; q < n; q++) seg.setAtIndex(JAVA_FLOAT, off + q, 0f);
        } else {
            seg.asSlice(off * Float.BYTES, (long) n * Float.BYTES).fill((byte) 0);
        }
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
        int k = (int) g.colRows(), kg = k / groups, pt = tile(g), tiles = (p + pt - 1) / pt;
        log("fwd", g, "im2col+sgemm, column tiles of " + pt);
        forEach(g.n() * tiles, pu, (u, gp) -> {
            long n = u / tiles;
            int p0 = (int) (u % tiles) * pt, p1 = Math.min(p, p0 + pt), len = p1 - p0;
            MemorySegment cols = workspaces.get().cols((long) k * len);
            im2colTile(g, x, xOff + n * xImg, p0, p1, cols, 0);
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

    @Override
    public void conv2dBackwardData(ConvGeometry g, MemorySegment dout, long dOff, MemorySegment w, long wOff,
                                   MemorySegment dx, long dxOff, Parallelism par) {
        if (g.n() == 0) return;
        Parallelism pu = usable(par, dout, w, dx, null);
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
        int k = (int) g.colRows(), kg = k / groups, pt = tile(g);
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
                col2imTileAdd(g, cols, 0, p0, p1, dx, xi);
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
        int k = (int) g.colRows(), kg = k / groups, pt = tile(g);
        log("bwd-weights", g, "im2col+sgemm, column tiles of " + pt);
        MemorySegment cols = null;
        boolean first = true;
        for (long n = 0; n < g.n(); n++) {
            for (int p0 = 0; p0 < p; p0 += pt) {
                int p1 = Math.min(p, p0 + pt), len = p1 - p0;
                cols = workspaces.get().cols((long) k * len);
                im2colTile(g, x, xOff + n * xImg, p0, p1, cols, 0);
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
        for (long c = 0; c < channels; c++) {
            float acc = 0f;
            for (long i = 0; i < n; i++) {
                acc += rowSum(dout, dOff + (i * channels + c) * plane, plane);
            }
            db.setAtIndex(JAVA_FLOAT, dbOff + c, acc);
        }
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
