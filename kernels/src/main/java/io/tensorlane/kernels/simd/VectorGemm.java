package io.tensorlane.kernels.simd;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.kernels.GemmBlocking;
import io.tensorlane.kernels.GemmKernels;
import io.tensorlane.kernels.PackedMatrix;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Trans;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API SGEMM, the BLIS split: packing of A into MR-row panels and of B into NR-column panels
 * (all four transposes are resolved while packing, so the microkernel sees one layout), MC/KC/NC cache
 * blocking (the loop nest is drawn in {@link GemmBlocking}), and an MR x NR register-blocked microkernel
 * ({@link GemmMicrokernels}) whose tiles go to a per-thread buffer that is merged into C row by row with
 * alpha and beta. Products with m == 1 or n == 1 are matrix-vector products ({@link VectorGemv}), which
 * stream the matrix once.
 *
 * <p>Chunks of few rows (at most {@link #STREAM_B_MAX_ROWS} by default), with B not transposed and its
 * leading dim a multiple of 16 floats (a 64-byte line; e.g. the LSTM's {@code 64 x 2048 x 512} and the
 * convolution shape {@code 64 x 3136 x 576}, not {@code 96 x 3025 x 363}), stream B instead of packing
 * it in blocks: all their A rows are packed once (per kc block, for every column),
 * and each NR-column strip of B (kc x NR floats, 16 KiB) is packed just before use into a buffer that stays
 * in L1 while every MR-row tile of the chunk runs over it. A packed B element feeds only m FMAs, so the
 * block packing of the general path (a kc x nc block written to L2 and read back, with many TLB pages in
 * flight when ldb is a power of two) cost 30-45% of such products on Zen 3; the strips cut that to about
 * a third (measurements: docs/performance.md). The choice depends on the chunk's rows, tb and ldb only, and both loop
 * nests give every C element the same recursive sum over k, in the same order, with the same
 * microkernel: results are bit-identical either way (a test checks it), so they still do not depend on the
 * thread count.
 *
 * <p>Threads: the output is cut into a grid of rectangular chunks aligned to whole MR x NR tiles, one per
 * thread; each chunk packs its own operands into its thread's workspace and runs the same loop nest. A
 * C element is always one recursive sum over each pass over k (passes depend on k alone), whatever the
 * chunk that holds it, so results are bit-identical for any thread count (no split-K).
 */
public final class VectorGemm implements GemmKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int LANES = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    /** Below this many flops a product runs on the calling thread: the fork costs more than it saves. */
    private static final long PARALLEL_MIN_FLOPS = 1L << 21;
    /** At most this many k values per pass over C: bounds the packed buffers of very deep products. */
    private static final int K_PASS_MAX = 4096;
    /** At most this many floats in one packed B block (1 MiB), however deep the pass over k. */
    private static final int B_BLOCK_MAX_FLOATS = 1 << 18;
    /** At most this many floats of packed A per thread (8 MiB): rows beyond it are packed in turn. */
    private static final int A_BLOCK_MAX_FLOATS = 1 << 21;
    /**
     * Chunks of at most this many rows stream the strips of B through L1 (see the class comment). Beyond it
     * the A rows of one kc block (rows x kc floats) would no longer stay in L2 while every strip of B
     * passes over them; measured on Zen 3: 64-256 rows gain 10-40%, 192 x 1024 x 512 about breaks even.
     */
    public static final int STREAM_B_MAX_ROWS = 256;
    /**
     * B streams only when its rows start a whole number of 64-byte cache lines apart: otherwise every
     * 64-byte strip row straddles two lines, and streaming measured 10-15% slower than block packing
     * (64 x 3025 x 363 and 64 x 3025 x 512 against 64 x 3024 x 363, Zen 3).
     */
    private static final int LINE_FLOATS = 64 / Float.BYTES;
    /** Floats of one streamed strip of B (kc x NR): 16 KiB, half of a 32 KiB L1d. */
    private static final int STRIP_FLOATS = 4096;
    /** Columns of C per merge on the streamed path (the width of its tile buffer). */
    private static final int STREAM_NC = 128;
    /** Batched products below this many flops each are spread over the threads one product per task. */
    private static final long BATCH_SPLIT_MAX_FLOPS = 1L << 24;

    private final GemmBlocking blocking;
    private final int mr, nr, mc, kc, nc;
    private final int streamRows;
    private final ThreadLocal<Workspace> workspaces = ThreadLocal.withInitial(Workspace::new);

    /** The default blocking for the selected species, with the {@code tensorlane.gemm.*} overrides applied. */
    public VectorGemm() {
        this(GemmBlocking.forVectorLanes(LANES).withSystemOverrides());
    }

    /**
     * A GEMM with the given blocking; its register tile must be one that has a microkernel here:
     * nr = 2 x lanes of {@link VectorWidth#FLOAT} and mr = 4 or 8.
     */
    public VectorGemm(GemmBlocking blocking) {
        this(blocking, STREAM_B_MAX_ROWS);
    }

    /**
     * As {@link #VectorGemm(GemmBlocking)}, with chunks of at most {@code streamRows} rows streaming B
     * (0: never; see the class comment). Only the speed depends on it, never the results.
     */
    public VectorGemm(GemmBlocking blocking, int streamRows) {
        if (streamRows < 0) {
            throw new IllegalArgumentException("VectorGemm: streamRows=" + streamRows + " must be >= 0");
        }
        if (blocking.nr() != 2 * LANES || (blocking.mr() != 4 && blocking.mr() != 8)) {
            throw new IllegalArgumentException("VectorGemm: no microkernel for mr=" + blocking.mr() + " nr="
                    + blocking.nr() + " at " + LANES + " lanes (have mr=4 or 8, nr=" + 2 * LANES + ")");
        }
        this.blocking = blocking;
        this.mr = blocking.mr();
        this.nr = blocking.nr();
        this.mc = blocking.mc();
        this.kc = blocking.kc();
        this.nc = blocking.nc();
        this.streamRows = streamRows;
    }

    public GemmBlocking blocking() {
        return blocking;
    }

    /**
     * Per-thread buffers, grown on demand and then reused by every later call on that thread (no
     * allocation per call in steady state). Heap arrays on purpose: see {@link GemmMicrokernels}.
     */
    private static final class Workspace {
        final Scratch a = new Scratch();
        final Scratch b = new Scratch();
        final Scratch panel = new Scratch();
        final Scratch x = new Scratch();
        final Scratch acc = new Scratch();
        final Scratch strip = new Scratch();
        final Scratch rows = new Scratch();
    }

    /** A thread that never runs: asking whether it may access a segment tells confined segments apart. */
    private static final Thread ANOTHER_THREAD = new Thread(() -> { });

    /**
     * {@code par}, or the calling thread alone when one of the segments is confined to its owner thread
     * (worker threads could not read it). Results are the same either way.
     */
    static Parallelism usable(Parallelism par, MemorySegment a, MemorySegment b, MemorySegment c) {
        if (par.isSingle()) return par;
        boolean shared = (a == null || a.isAccessibleBy(ANOTHER_THREAD)) && (b == null || b.isAccessibleBy(ANOTHER_THREAD))
                && c.isAccessibleBy(ANOTHER_THREAD);
        return shared ? par : Parallelism.single();
    }

    @Override
    public void sgemm(Trans ta, Trans tb, int m, int n, int k,
                      float alpha, MemorySegment a, long aOff, int lda,
                      MemorySegment b, long bOff, int ldb,
                      float beta, MemorySegment c, long cOff, int ldc,
                      Parallelism par) {
        if (m == 0 || n == 0) return;
        par = usable(par, a, b, c);
        if (k == 0 || alpha == 0f) {
            scaleC(m, n, beta, c, cOff, ldc);
            return;
        }
        if (m == 1) {
            // C row = alpha * x^T op(B) + beta * C row, x = the k values of op(A)'s only row.
            float[] x = gather(a, aOff, ta == Trans.N ? 1 : lda, k);
            if (tb == Trans.N) {
                VectorGemv.columnSums(k, n, alpha, b, bOff, ldb, x, beta, c, cOff, 1, workspaces.get().acc.floats(n), par);
            } else {
                VectorGemv.rowDots(n, k, alpha, b, bOff, ldb, x, beta, c, cOff, 1, par);
            }
            return;
        }
        if (n == 1) {
            // C column = alpha * op(A) x + beta * C column, x = the k values of op(B)'s only column.
            float[] x = gather(b, bOff, tb == Trans.N ? ldb : 1, k);
            if (ta == Trans.N) {
                VectorGemv.rowDots(m, k, alpha, a, aOff, lda, x, beta, c, cOff, ldc, par);
            } else {
                VectorGemv.columnSums(k, m, alpha, a, aOff, lda, x, beta, c, cOff, ldc, workspaces.get().acc.floats(m), par);
            }
            return;
        }
        packed(ta, tb, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc, par);
    }

    @Override
    public void sgemv(Trans ta, int m, int n,
                      float alpha, MemorySegment a, long aOff, int lda,
                      MemorySegment x, long xOff,
                      float beta, MemorySegment y, long yOff,
                      Parallelism par) {
        int yLen = ta == Trans.N ? m : n, xLen = ta == Trans.N ? n : m;
        if (yLen == 0) return;
        par = usable(par, a, x, y);
        if (xLen == 0 || alpha == 0f) {
            scaleC(1, yLen, beta, y, yOff, yLen);
            return;
        }
        float[] xs = gather(x, xOff, 1, xLen);
        if (ta == Trans.N) {
            VectorGemv.rowDots(m, n, alpha, a, aOff, lda, xs, beta, y, yOff, 1, par);
        } else {
            VectorGemv.columnSums(m, n, alpha, a, aOff, lda, xs, beta, y, yOff, 1, workspaces.get().acc.floats(n), par);
        }
    }

    @Override
    public void sgemmBatched(Trans ta, Trans tb, int m, int n, int k,
                             float alpha, MemorySegment a, long aOff, int lda, long strideA,
                             MemorySegment b, long bOff, int ldb, long strideB,
                             float beta, MemorySegment c, long cOff, int ldc, long strideC,
                             int batch, Parallelism par) {
        if (m == 0 || n == 0 || batch == 0) return;
        par = usable(par, a, b, c);
        long flops = 2L * m * n * k;
        // Many small products: one product per task (each single-threaded). Otherwise the products run in
        // turn, each split over the threads. Either way every product is computed exactly as a lone sgemm.
        if (!par.isSingle() && batch > 1 && (flops < BATCH_SPLIT_MAX_FLOPS || batch >= 4L * par.threads())) {
            Parallelism one = Parallelism.single();
            par.parallelFor(0, batch, 1, (from, to) -> {
                for (long i = from; i < to; i++) {
                    sgemm(ta, tb, m, n, k, alpha, a, aOff + i * strideA, lda, b, bOff + i * strideB, ldb,
                            beta, c, cOff + i * strideC, ldc, one);
                }
            });
            return;
        }
        for (int i = 0; i < batch; i++) {
            sgemm(ta, tb, m, n, k, alpha, a, aOff + i * strideA, lda, b, bOff + i * strideB, ldb,
                    beta, c, cOff + i * strideC, ldc, par);
        }
    }

    /** {@code count} floats at {@code off}, {@code off + inc}, ... copied into this thread's x buffer. */
    private float[] gather(MemorySegment s, long off, long inc, int count) {
        float[] x = workspaces.get().x.floats(count);
        if (inc == 1) {
            MemorySegment.copy(s, JAVA_FLOAT, off * Float.BYTES, x, 0, count);
        } else {
            for (int i = 0; i < count; i++) x[i] = s.getAtIndex(JAVA_FLOAT, off + i * inc);
        }
        return x;
    }

    // ---------------------------------------------------------------------------------------------
    // Packed path

    private void packed(Trans ta, Trans tb, int m, int n, int k,
                        float alpha, MemorySegment a, long aOff, int lda,
                        MemorySegment b, long bOff, int ldb,
                        float beta, MemorySegment c, long cOff, int ldc,
                        Parallelism par) {
        long grid = grid(m, n, k, par);
        if (grid == SINGLE_CHUNK) {
            chunk(ta, tb, 0, m, 0, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
            return;
        }
        forEachChunk(grid, m, n, par, (i0, i1, j0, j1) ->
                chunk(ta, tb, i0, i1, j0, j1, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc));
    }

    /** {@link #grid}'s answer for one chunk (the whole product on the caller's thread). */
    private static final long SINGLE_CHUNK = 1L << 32 | 1;

    /** C[i0:i1, j0:j1] of one chunk of the grid. */
    @FunctionalInterface
    private interface ChunkBody {
        void run(int i0, int i1, int j0, int j1);
    }

    /**
     * Runs every chunk of {@code grid} (gm << 32 | gn, from {@link #grid}) over the threads: the rows and the
     * columns are cut at whole MR / NR tiles, so each element of C belongs to exactly one chunk.
     */
    private void forEachChunk(long grid, int m, int n, Parallelism par, ChunkBody body) {
        int gm = (int) (grid >>> 32), gn = (int) grid;
        int tilesM = (m + mr - 1) / mr, tilesN = (n + nr - 1) / nr;
        par.parallelFor(0, (long) gm * gn, 1, (from, to) -> {
            for (long ch = from; ch < to; ch++) {
                int ci = (int) (ch / gn), cj = (int) (ch % gn);
                int i0 = Math.min(m, (int) ((long) tilesM * ci / gm) * mr);
                int i1 = Math.min(m, (int) ((long) tilesM * (ci + 1) / gm) * mr);
                int j0 = Math.min(n, (int) ((long) tilesN * cj / gn) * nr);
                int j1 = Math.min(n, (int) ((long) tilesN * (cj + 1) / gn) * nr);
                if (i0 < i1 && j0 < j1) body.run(i0, i1, j0, j1);
            }
        });
    }

    /**
     * The chunk grid gm x gn (returned as gm << 32 | gn) of an m x n x k product: the split over the
     * threads that packs the least twice (every chunk of a grid row packs the same A rows again, every
     * chunk of a grid column the same B columns); 1 x 1 below PARALLEL_MIN_FLOPS.
     */
    private long grid(int m, int n, int k, Parallelism par) {
        int tilesM = (m + mr - 1) / mr, tilesN = (n + nr - 1) / nr;
        long flops = 2L * m * n * k;
        int threads = flops < PARALLEL_MIN_FLOPS ? 1 : par.threads();
        // Chunk grid gm x gn: the split that packs the least twice (every chunk of a grid row packs the
        // same A rows again, every chunk of a grid column the same B columns).
        int gm = 1, gn = 1;
        if (threads > 1) {
            long best = Long.MAX_VALUE;
            for (int cm = 1; cm <= threads; cm++) {
                if (threads % cm != 0) continue;
                int cn = threads / cm;
                if (cm > tilesM || cn > tilesN) continue;
                long cost = (long) cn * m + (long) cm * n;
                if (cost < best) {
                    best = cost;
                    gm = cm;
                    gn = cn;
                }
            }
            if (best == Long.MAX_VALUE) { // fewer tiles than threads in both directions
                if (tilesN >= tilesM) gn = Math.min(threads, tilesN); else gm = Math.min(threads, tilesM);
            }
        }
        return (long) gm << 32 | gn;
    }

    /** C[i0:i1, j0:j1] of the product; i0 and j0 are multiples of mr and nr. */
    private void chunk(Trans ta, Trans tb, int i0, int i1, int j0, int j1, int k,
                       float alpha, MemorySegment a, long aOff, int lda,
                       MemorySegment b, long bOff, int ldb,
                       float beta, MemorySegment c, long cOff, int ldc) {
        Workspace w = workspaces.get();
        // k is cut into passes over C of at most K_PASS_MAX; a pass's kc blocks continue one recursive sum
        // per element (the microkernel resumes from the buffered tile), so only the pass cut, which
        // depends on k alone, shapes the rounding: the same in every chunk and for any thread count.
        int passes = (k + K_PASS_MAX - 1) / K_PASS_MAX;
        int kPass = (k + passes - 1) / passes;
        int kcu = Math.min(kc, kPass);
        int rows = i1 - i0;
        // Rows of A packed at once (for all column blocks): the whole chunk unless that exceeds the cap.
        int mb = Math.min(roundUp(rows, mr), Math.max(mc, A_BLOCK_MAX_FLOATS / kPass / mc * mc));
        // Columns per packed B block: nc, fewer for deep passes so the block (kPass x columns) stays
        // near L2 size (measured on 64 x 1000 x 4096: 0.58x -> 0.75x OpenBLAS going from 128 to 64 columns).
        int ncEff = Math.max(nr, Math.min(nc, B_BLOCK_MAX_FLOATS / kPass / nr * nr));
        int ncMax = Math.min(ncEff, roundUp(j1 - j0, nr));
        // Few rows: stream B in L1-sized strips (class comment), with kc blocks the depth of one strip.
        boolean stream = mb <= streamRows && tb == Trans.N && ldb % LINE_FLOATS == 0;
        int ka = stream ? Math.max(1, Math.min(kcu, STRIP_FLOATS / nr)) : kcu;
        float[] ap = w.a.floats(mb * kPass);
        float[] bp = stream ? null : w.b.floats(ncMax * kPass);
        float[] cb = stream ? null : w.panel.floats(Math.min(mc, mb) * ncMax);
        for (int ps = 0; ps < k; ps += kPass) {
            int pe = Math.min(k, ps + kPass);
            float betaPass = ps == 0 ? beta : 1f;
            for (int ib = i0; ib < i1; ib += mb) {
                int mbr = Math.min(mb, i1 - ib), mbPad = roundUp(mbr, mr);
                for (int p0 = ps; p0 < pe; p0 += ka) {
                    int kcur = Math.min(ka, pe - p0), dOff = (p0 - ps) * mbPad;
                    if (ta == Trans.N) {
                        packAcrossPanel(a, aOff, lda, p0, kcur, ib, mbr, mr, ap, dOff, w);
                    } else {
                        packAlongPanel(a, aOff, lda, p0, kcur, ib, mbr, mr, ap, dOff, w);
                    }
                }
                if (stream) {
                    streamB(tb, j0, j1, ps, pe, ka, mbr, mbPad, alpha, betaPass, ap, b, bOff, ldb,
                            c, cOff + (long) ib * ldc, ldc, w);
                    continue;
                }
                for (int jc = j0; jc < j1; jc += ncEff) {
                    int ncur = Math.min(ncEff, j1 - jc), ncPad = roundUp(ncur, nr);
                    for (int p0 = ps; p0 < pe; p0 += kcu) {
                        int kcur = Math.min(kcu, pe - p0), dOff = (p0 - ps) * ncPad;
                        if (tb == Trans.N) {
                            packAlongPanel(b, bOff, ldb, p0, kcur, jc, ncur, nr, bp, dOff, w);
                        } else {
                            packAcrossPanel(b, bOff, ldb, p0, kcur, jc, ncur, nr, bp, dOff, w);
                        }
                    }
                    for (int ic = 0; ic < mbr; ic += mc) {
                        int mcur = Math.min(mc, mbr - ic);
                        for (int p0 = ps; p0 < pe; p0 += kcu) {
                            int kcur = Math.min(kcu, pe - p0);
                            macroKernel(mcur, ncur, kcur, ap, (p0 - ps) * mbPad + ic * kcur, bp, (p0 - ps) * ncPad,
                                    cb, ncPad, p0 > ps);
                        }
                        merge(cb, ncPad, mcur, ncur, alpha, betaPass, c, cOff + (long) (ib + ic) * ldc + jc, ldc);
                    }
                }
            }
        }
    }

    /**
     * C[rows, j0:j1] of one pass over k [ps, pe) for the mbr packed A rows in {@code ap} (kc blocks of
     * {@code ks}), C's first row at {@code cRow}: for each STREAM_NC columns, for each kc block, for each
     * NR strip of B: pack the strip into the L1 buffer, then run every MR-row tile over it, each resuming
     * from its sums of the earlier kc blocks; then merge the columns into C. Per C element this is the
     * same recursive sum in the same order as the block-packed nest.
     */
    private void streamB(Trans tb, int j0, int j1, int ps, int pe, int ks, int mbr, int mbPad,
                         float alpha, float betaPass, float[] ap, MemorySegment b, long bOff, int ldb,
                         MemorySegment c, long cRow, int ldc, Workspace w) {
        int ncb = Math.max(nr, STREAM_NC / nr * nr);
        float[] strip = w.strip.floats(ks * nr);
        float[] cb = w.panel.floats(mbPad * ncb);
        boolean wide = mr == 8;
        for (int jc = j0; jc < j1; jc += ncb) {
            int ncur = Math.min(ncb, j1 - jc);
            for (int p0 = ps; p0 < pe; p0 += ks) {
                int kcur = Math.min(ks, pe - p0), ao = (p0 - ps) * mbPad;
                boolean load = p0 > ps;
                for (int jr = 0; jr < ncur; jr += nr) {
                    int cols = Math.min(nr, ncur - jr);
                    if (tb == Trans.T) {
                        packAcrossPanel(b, bOff, ldb, p0, kcur, jc + jr, cols, nr, strip, 0, w);
                    } else if (cols == nr) {
                        packStrip(b, bOff, ldb, p0, kcur, jc + jr, strip);
                    } else {
                        packAlongPanel(b, bOff, ldb, p0, kcur, jc + jr, cols, nr, strip, 0, w);
                    }
                    for (int ir = 0; ir < mbr; ir += mr) {
                        if (wide) {
                            GemmMicrokernels.kernel8x2(kcur, ap, ao + ir * kcur, strip, 0, cb, ir * ncb + jr, ncb, load);
                        } else {
                            GemmMicrokernels.kernel4x2(kcur, ap, ao + ir * kcur, strip, 0, cb, ir * ncb + jr, ncb, load);
                        }
                    }
                }
            }
            merge(cb, ncb, mbr, ncur, alpha, betaPass, c, cRow + jc, ldc);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Split-k products ([A1 | A2] [B1 ; B2]) and products over a pre-packed B

    /**
     * B packed in NR-column panels over all its k rows: panel q holds rows 0..k-1 of columns
     * q*NR .. q*NR+NR-1 at {@code data[q*k*NR + p*NR + j]}, the last panel zero-padded. Any kc block of a
     * panel is then one contiguous run, exactly the strip the streamed path packs per call.
     */
    private static final class Panels extends PackedMatrix {
        final float[] data;
        final int nr;

        Panels(int k, int n, int nr) {
            super(k, n);
            this.nr = nr;
            data = new float[(int) ((long) k * roundUp(n, nr))];
        }
    }

    @Override
    public PackedMatrix newPackedB(int k, int n) {
        if (k < 1 || n < 1 || (long) k * roundUp(n, nr) > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException("newPackedB: k=" + k + ", n=" + n
                    + " must be >= 1 with k*n (columns padded to " + nr + ") within an int");
        }
        return new Panels(k, n, nr);
    }

    @Override
    public void packB(PackedMatrix p, int row0, int rows, MemorySegment b, long bOff, int ldb) {
        Panels pk = own(p);
        int n = p.cols(), k = p.rows();
        Workspace w = workspaces.get();
        // packAlongPanel writes panel q's rows at q * (rows * NR): pack panel by panel at the full-k stride
        for (int x0 = 0; x0 < n; x0 += nr) {
            packAlongPanel(b, bOff, ldb, 0, rows, x0, Math.min(nr, n - x0), nr, pk.data, x0 * k + row0 * nr, w);
        }
    }

    private Panels own(PackedMatrix p) {
        if (p instanceof Panels pk && pk.nr == nr) return pk;
        throw new IllegalArgumentException("VectorGemm: " + p + " was packed by another kernel set (panel width " + nr + ")");
    }

    @Override
    public void sgemmSplitK(int m, int n, int k1, int k2, float alpha,
                            MemorySegment a1, long a1Off, int lda1, MemorySegment a2, long a2Off, int lda2,
                            MemorySegment b1, long b1Off, int ldb1, MemorySegment b2, long b2Off, int ldb2,
                            float beta, MemorySegment c, long cOff, int ldc, Parallelism par) {
        splitK(m, n, k1, k2, alpha, a1, a1Off, lda1, a2, a2Off, lda2, b1, b1Off, ldb1, b2, b2Off, ldb2, null, 0,
                beta, c, cOff, ldc, par);
    }

    @Override
    public void sgemmPacked(int m, int n, int k1, int k2, float alpha,
                            MemorySegment a1, long a1Off, int lda1, MemorySegment a2, long a2Off, int lda2,
                            PackedMatrix b, int bRow0, float beta, MemorySegment c, long cOff, int ldc, Parallelism par) {
        splitK(m, n, k1, k2, alpha, a1, a1Off, lda1, a2, a2Off, lda2, null, 0, 0, null, 0, 0, own(b), bRow0,
                beta, c, cOff, ldc, par);
    }

    private void splitK(int m, int n, int k1, int k2, float alpha,
                        MemorySegment a1, long a1Off, int lda1, MemorySegment a2, long a2Off, int lda2,
                        MemorySegment b1, long b1Off, int ldb1, MemorySegment b2, long b2Off, int ldb2,
                        Panels pb, int bRow0, float beta, MemorySegment c, long cOff, int ldc, Parallelism par) {
        if (m == 0 || n == 0) return;
        int k = k1 + k2;
        par = usable(par, a1, b1, c);
        if (k2 > 0) par = usable(par, a2, b2, c);
        if (k == 0 || alpha == 0f) {
            scaleC(m, n, beta, c, cOff, ldc);
            return;
        }
        long grid = grid(m, n, k, par);
        if (grid == SINGLE_CHUNK) {
            splitChunk(0, m, 0, n, k1, k, alpha, a1, a1Off, lda1, a2, a2Off, lda2, b1, b1Off, ldb1, b2, b2Off, ldb2,
                    pb, bRow0, beta, c, cOff, ldc);
            return;
        }
        forEachChunk(grid, m, n, par, (i0, i1, j0, j1) ->
                splitChunk(i0, i1, j0, j1, k1, k, alpha, a1, a1Off, lda1, a2, a2Off, lda2, b1, b1Off, ldb1,
                        b2, b2Off, ldb2, pb, bRow0, beta, c, cOff, ldc));
    }

    /**
     * C[i0:i1, j0:j1] of a split-k product, the streamed loop nest of {@link #streamB} for any number of
     * rows (blocks of at most STREAM_B_MAX_ROWS A rows, at least one MR tile): the kc blocks never straddle
     * k1, so each block's A and B rows come from one source; with {@code pb} the strips are read in place
     * from the packed panels. The passes over k are those of {@link #chunk}, so with k2 == 0 every element
     * is the same sum as {@link #sgemm} computes.
     */
    private void splitChunk(int i0, int i1, int j0, int j1, int k1, int k, float alpha,
                            MemorySegment a1, long a1Off, int lda1, MemorySegment a2, long a2Off, int lda2,
                            MemorySegment b1, long b1Off, int ldb1, MemorySegment b2, long b2Off, int ldb2,
                            Panels pb, int bRow0, float beta, MemorySegment c, long cOff, int ldc) {
        Workspace w = workspaces.get();
        int passes = (k + K_PASS_MAX - 1) / K_PASS_MAX;
        int kPass = (k + passes - 1) / passes;
        int ks = Math.max(1, Math.min(Math.min(kc, kPass), STRIP_FLOATS / nr));
        int rows = i1 - i0;
        int mb = Math.min(roundUp(rows, mr), Math.max(mr, STREAM_B_MAX_ROWS / mr * mr));
        int ncb = Math.max(nr, STREAM_NC / nr * nr);
        float[] ap = w.a.floats(mb * kPass);
        float[] strip = pb == null ? w.strip.floats(ks * nr) : null;
        float[] cb = w.panel.floats(mb * ncb);
        boolean wide = mr == 8;
        int pk = pb == null ? 0 : pb.rows() * nr; // floats per packed panel
        for (int ps = 0; ps < k; ps += kPass) {
            int pe = Math.min(k, ps + kPass);
            float betaPass = ps == 0 ? beta : 1f;
            for (int ib = i0; ib < i1; ib += mb) {
                int mbr = Math.min(mb, i1 - ib), mbPad = roundUp(mbr, mr);
                for (int p0 = ps; p0 < pe; ) {
                    int kcur = blockEnd(p0, pe, ks, k1) - p0, dOff = (p0 - ps) * mbPad;
                    if (p0 < k1) {
                        packAcrossPanel(a1, a1Off, lda1, p0, kcur, ib, mbr, mr, ap, dOff, w);
                    } else {
                        packAcrossPanel(a2, a2Off, lda2, p0 - k1, kcur, ib, mbr, mr, ap, dOff, w);
                    }
                    p0 += kcur;
                }
                long cRow = cOff + (long) ib * ldc;
                for (int jc = j0; jc < j1; jc += ncb) {
                    int ncur = Math.min(ncb, j1 - jc);
                    for (int p0 = ps; p0 < pe; ) {
                        int kcur = blockEnd(p0, pe, ks, k1) - p0, ao = (p0 - ps) * mbPad;
                        boolean load = p0 > ps;
                        for (int jr = 0; jr < ncur; jr += nr) {
                            int cols = Math.min(nr, ncur - jr);
                            float[] bs = strip;
                            int bo = 0;
                            if (pb != null) {
                                bs = pb.data;
                                bo = (jc + jr) / nr * pk + (bRow0 + p0) * nr;
                            } else if (p0 < k1) {
                                packBStrip(b1, b1Off, ldb1, p0, kcur, jc + jr, cols, strip, w);
                            } else {
                                packBStrip(b2, b2Off, ldb2, p0 - k1, kcur, jc + jr, cols, strip, w);
                            }
                            for (int ir = 0; ir < mbr; ir += mr) {
                                if (wide) {
                                    GemmMicrokernels.kernel8x2(kcur, ap, ao + ir * kcur, bs, bo, cb, ir * ncb + jr, ncb, load);
                                } else {
                                    GemmMicrokernels.kernel4x2(kcur, ap, ao + ir * kcur, bs, bo, cb, ir * ncb + jr, ncb, load);
                                }
                            }
                        }
                        p0 += kcur;
                    }
                    merge(cb, ncb, mbr, ncur, alpha, betaPass, c, cRow + jc, ldc);
                }
            }
        }
    }

    /** The end of the kc block that starts at p0: at most ks deep, never past pe nor across k1. */
    private static int blockEnd(int p0, int pe, int ks, int k1) {
        int e = Math.min(pe, p0 + ks);
        return p0 < k1 ? Math.min(e, k1) : e;
    }

    /** One NR-column strip of B (rows p0.., columns x0..x0+cols) into {@code strip}, zero-padded to NR. */
    private void packBStrip(MemorySegment b, long bOff, int ldb, int p0, int kcur, int x0, int cols, float[] strip, Workspace w) {
        if (cols == nr) {
            packStrip(b, bOff, ldb, p0, kcur, x0, strip);
        } else {
            packAlongPanel(b, bOff, ldb, p0, kcur, x0, cols, nr, strip, 0, w);
        }
    }

    /**
     * One full NR-column strip of B as stored: rows p0..p0+kcur of columns x0..x0+NR into {@code dst[0..]},
     * NR floats per row (two vector copies per source row).
     */
    private static void packStrip(MemorySegment src, long off, int ld, int p0, int kcur, int x0, float[] dst) {
        long s = (off + (long) p0 * ld + x0) * Float.BYTES, rs = (long) ld * Float.BYTES;
        long vb = (long) LANES * Float.BYTES;
        for (int p = 0, d = 0; p < kcur; p++, s += rs, d += 2 * LANES) {
            FloatVector.fromMemorySegment(S, src, s, NO).intoArray(dst, d);
            FloatVector.fromMemorySegment(S, src, s + vb, NO).intoArray(dst, d + LANES);
        }
    }

    /**
     * All MR x NR tiles of an mcur x ncur block over one kc block: packed A rows from {@code ap[ao]}, the
     * packed B block from {@code bp[bOff]}, the sums into {@code cb} (row stride {@code cbStride}),
     * continuing from cb's values when {@code load}. jr outside ir: each B micro-panel stays in L1 while
     * the A micro-panels stream from L2.
     */
    private void macroKernel(int mcur, int ncur, int kcur, float[] ap, int ao, float[] bp, int bOff,
                             float[] cb, int cbStride, boolean load) {
        boolean wide = mr == 8;
        for (int jr = 0; jr < ncur; jr += nr) {
            int bo = bOff + jr * kcur;
            for (int ir = 0; ir < mcur; ir += mr) {
                if (wide) {
                    GemmMicrokernels.kernel8x2(kcur, ap, ao + ir * kcur, bp, bo, cb, ir * cbStride + jr, cbStride, load);
                } else {
                    GemmMicrokernels.kernel4x2(kcur, ap, ao + ir * kcur, bp, bo, cb, ir * cbStride + jr, cbStride, load);
                }
            }
        }
    }

    /**
     * C[0:mv, 0:nv] at {@code co} := alpha*cb + beta*C, as fma(cb, alpha, beta*C), row by row: C is
     * walked in storage order, which keeps the TLB and the hardware prefetchers useful (a tile-by-tile
     * update touched a new page on every row; on a 1024 x 1024 C that measured 5x slower per line).
     * {@code beta == 0} does not read C. Full and partial vectors round alike, so a value does not depend
     * on where chunk borders fall.
     */
    private static void merge(float[] cb, int cbStride, int mv, int nv, float alpha, float beta,
                              MemorySegment c, long co, int ldc) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        FloatVector vb = FloatVector.broadcast(S, beta);
        int full = nv / LANES * LANES;
        for (int i = 0; i < mv; i++) {
            long r = (co + (long) i * ldc) * Float.BYTES;
            int t = i * cbStride;
            int j = 0;
            if (beta == 0f) {
                for (; j < full; j += LANES) {
                    FloatVector.fromArray(S, cb, t + j).mul(va).intoMemorySegment(c, r + (long) j * Float.BYTES, NO);
                }
            } else {
                for (; j < full; j += LANES) {
                    long o = r + (long) j * Float.BYTES;
                    FloatVector.fromArray(S, cb, t + j).fma(va, FloatVector.fromMemorySegment(S, c, o, NO).mul(vb))
                            .intoMemorySegment(c, o, NO);
                }
            }
            if (j < nv) {
                VectorMask<Float> mask = S.indexInRange(j, nv);
                long o = r + (long) j * Float.BYTES;
                FloatVector s = FloatVector.fromArray(S, cb, t + j);
                FloatVector v = beta == 0f ? s.mul(va) : s.fma(va, FloatVector.fromMemorySegment(S, c, o, NO, mask).mul(vb));
                v.intoMemorySegment(c, o, NO, mask);
            }
        }
    }

    /**
     * Packs x in [x0, x0+count), p in [p0, p0+kcur) of a matrix whose element (x, p) is at
     * {@code off + p*ld + x} (contiguous along the panel direction: A transposed, B as stored) into panels
     * of {@code w} x-values per p step, zero-padding the last panel. With w = NR each panel step is two
     * unrolled vector copies (an inner loop over the panel's vectors made it 2-3x slower). Other widths
     * (the MR-row panels of a transposed A) copy each source row's run of {@code count} floats to the heap
     * in one bulk copy and deal it into the panels with int-indexed code: reading the segment element by
     * element made a transposed-A product up to 3x slower than the same product with A as stored
     * (65 x 10 x 1437 and 256^3, Zen 3), because the panel packing dominated.
     */
    private static void packAlongPanel(MemorySegment src, long off, int ld, int p0, int kcur,
                                       int x0, int count, int w, float[] dst, int dOff, Workspace ws) {
        int fullPanels = count / w;
        int stride = w * kcur;
        int rest = count - fullPanels * w;
        if (w == 2 * LANES) {
            // row by row: each source row is read as one sequential run (the prefetchers follow it; column
            // strips of a large B, one line per row, measured 2-3x slower per element when B is cold)
            long vb = (long) LANES * Float.BYTES;
            for (int p = 0; p < kcur; p++) {
                long s = (off + (long) (p0 + p) * ld + x0) * Float.BYTES;
                int d = dOff + p * w;
                for (int q = 0; q < fullPanels; q++, s += 2 * vb, d += stride) {
                    FloatVector.fromMemorySegment(S, src, s, NO).intoArray(dst, d);
                    FloatVector.fromMemorySegment(S, src, s + vb, NO).intoArray(dst, d + LANES);
                }
            }
            if (rest > 0) {
                // the last, partial panel: two masked loads per row, whose unset lanes read as the zero padding
                VectorMask<Float> m0 = S.indexInRange(0, rest), m1 = S.indexInRange(LANES, rest);
                int d = dOff + fullPanels * w * kcur;
                long s = (off + (long) p0 * ld + x0 + (long) fullPanels * w) * Float.BYTES, rs = (long) ld * Float.BYTES;
                for (int p = 0; p < kcur; p++, d += w, s += rs) {
                    FloatVector.fromMemorySegment(S, src, s, NO, m0).intoArray(dst, d);
                    FloatVector.fromMemorySegment(S, src, s + vb, NO, m1).intoArray(dst, d + LANES);
                }
            }
            return;
        }
        if (w == 4 && LANES % 4 == 0) {
            packAlongPanels4(src, off, ld, p0, kcur, x0, count, dst, dOff);
            return;
        }
        float[] run = ws.rows.floats(count);
        int restBase = dOff + fullPanels * stride;
        for (int p = 0; p < kcur; p++) {
            MemorySegment.copy(src, JAVA_FLOAT, (off + (long) (p0 + p) * ld + x0) * Float.BYTES, run, 0, count);
            int d = dOff + p * w;
            for (int q = 0, r = 0; q < fullPanels; q++, d += stride, r += w) {
                for (int j = 0; j < w; j++) dst[d + j] = run[r + j];
            }
            if (rest > 0) {
                int dr = restBase + p * w, r = fullPanels * w;
                int j = 0;
                for (; j < rest; j++) dst[dr + j] = run[r + j];
                for (; j < w; j++) dst[dr + j] = 0f;
            }
        }
    }

    /** Lane quarter g of a vector (lanes 4g .. 4g+3): the panel it belongs to in {@link #packAlongPanels4}. */
    private static final VectorMask<Float>[] QUARTER = quarters();

    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[] quarters() {
        VectorMask<Float>[] q = new VectorMask[LANES / 4];
        for (int g = 0; g < q.length; g++) q[g] = VectorMask.fromLong(S, 0xFL << (4 * g));
        return q;
    }

    /**
     * {@link #packAlongPanel} for w = 4 (the MR = 4 panels of a transposed A at 128 and 256 bits): each
     * vector load takes LANES / 4 panels' values of one source row, and each lane quarter goes to its
     * panel with a masked store (a 4-float store per panel, no scalar element copies); the last
     * partial vector of a row and the zero padding go through the heap run buffer's scalar path below.
     */
    private static void packAlongPanels4(MemorySegment src, long off, int ld, int p0, int kcur,
                                         int x0, int count, float[] dst, int dOff) {
        int stride = 4 * kcur, quarters = LANES / 4;
        int vecCount = count / LANES * LANES;
        for (int p = 0; p < kcur; p++) {
            long s = (off + (long) (p0 + p) * ld + x0) * Float.BYTES;
            int d = dOff + p * 4;
            for (int x = 0; x < vecCount; x += LANES, s += (long) LANES * Float.BYTES) {
                FloatVector v = FloatVector.fromMemorySegment(S, src, s, NO);
                // quarter g lands at panel (x/4 + g), slot p: offset d + (x/4 + g) * stride, minus 4g for its lanes
                int base = d + (x / 4) * stride;
                v.intoArray(dst, base, QUARTER[0]);
                for (int g = 1; g < quarters; g++) v.intoArray(dst, base + g * stride - 4 * g, QUARTER[g]);
            }
            long e = off + (long) (p0 + p) * ld + x0;
            for (int x = vecCount; x < count; x++) dst[dOff + (x / 4) * stride + p * 4 + (x & 3)] = src.getAtIndex(JAVA_FLOAT, e + x);
            for (int x = count; x % 4 != 0; x++) dst[dOff + (x / 4) * stride + p * 4 + (x & 3)] = 0f;
        }
    }

    // Two-input shuffles of the transpose network: at stage b (1, 2, 4, ...), LO interleaves the
    // b-lane blocks of the low halves of two vectors, HI those of the high halves.
    private static final VectorShuffle<Float> LO1 = interleave(1, false), HI1 = interleave(1, true);
    private static final VectorShuffle<Float> LO2 = interleave(2, false), HI2 = interleave(2, true);
    private static final VectorShuffle<Float> LO4 = interleave(Math.min(4, LANES / 2), false);
    private static final VectorShuffle<Float> HI4 = interleave(Math.min(4, LANES / 2), true);

    private static VectorShuffle<Float> interleave(int b, boolean high) {
        // lane i takes block (i / 2b) lane (i % b) of the first vector (even blocks) or the second (odd),
        // shifted by half a vector for HI; indexes >= LANES select from the second vector
        return VectorShuffle.fromOp(S, i -> ((i / b) % 2 == 0 ? 0 : LANES) + (i / (2 * b)) * b + i % b + (high ? LANES / 2 : 0));
    }

    /**
     * Packs like {@link #packAlongPanel} a matrix whose element (x, p) is at {@code off + x*ld + p}
     * (contiguous along k: A as stored, B transposed), which is a transpose. Vectorised with a network
     * of two-input shuffles where the shape allows it (measured 6x faster than scalar): w = 4 (the A
     * panels at 128 and 256 bits) and w = NR at 128 and 256 bits (the B panels); otherwise each source
     * row is bulk-copied to the heap and interleaved with int-indexed scalar code.
     */
    private static void packAcrossPanel(MemorySegment src, long off, int ld, int p0, int kcur,
                                        int x0, int count, int w, float[] dst, int dOff, Workspace ws) {
        int fullPanels = count / w;
        int pv = kcur / LANES * LANES; // p range the vector network covers
        boolean network = w == 4 || (w == 2 * LANES && LANES <= 8);
        long rs = (long) ld * Float.BYTES;
        int gStep = w == 2 * LANES && LANES == 8 ? 8 : 4; // source rows per network pass
        for (int q = 0; q < (network ? fullPanels : 0); q++) {
            int base = dOff + q * w * kcur;
            for (int g = 0; g < w; g += gStep) {
                long s0 = (off + (long) (x0 + q * w + g) * ld + p0) * Float.BYTES;
                for (int p = 0; p < pv; p += LANES, s0 += (long) LANES * Float.BYTES) {
                    FloatVector r0 = FloatVector.fromMemorySegment(S, src, s0, NO);
                    FloatVector r1 = FloatVector.fromMemorySegment(S, src, s0 + rs, NO);
                    FloatVector r2 = FloatVector.fromMemorySegment(S, src, s0 + 2 * rs, NO);
                    FloatVector r3 = FloatVector.fromMemorySegment(S, src, s0 + 3 * rs, NO);
                    FloatVector t0 = r0.rearrange(LO1, r1), t1 = r0.rearrange(HI1, r1);
                    FloatVector t2 = r2.rearrange(LO1, r3), t3 = r2.rearrange(HI1, r3);
                    // u0..u3 hold, for p .. p+LANES-1 in turn, the 4 rows of each p (LANES/4 p's per vector)
                    FloatVector u0 = t0.rearrange(LO2, t2), u1 = t0.rearrange(HI2, t2);
                    FloatVector u2 = t1.rearrange(LO2, t3), u3 = t1.rearrange(HI2, t3);
                    if (w == 4) {
                        int d = base + p * 4;
                        u0.intoArray(dst, d);
                        u1.intoArray(dst, d + LANES);
                        u2.intoArray(dst, d + 2 * LANES);
                        u3.intoArray(dst, d + 3 * LANES);
                    } else if (LANES == 4) {
                        // w = 8: u_j is row group g at p + j
                        int d = base + p * w + g;
                        u0.intoArray(dst, d);
                        u1.intoArray(dst, d + w);
                        u2.intoArray(dst, d + 2 * w);
                        u3.intoArray(dst, d + 3 * w);
                    } else {
                        // LANES = 8, w = 16: pair these 4 rows with the next 4 and finish the 8 x 8
                        // transpose with a third stage; vector j is then rows g..g+7 at p + j
                        long s4 = s0 + 4 * rs;
                        FloatVector r4 = FloatVector.fromMemorySegment(S, src, s4, NO);
                        FloatVector r5 = FloatVector.fromMemorySegment(S, src, s4 + rs, NO);
                        FloatVector r6 = FloatVector.fromMemorySegment(S, src, s4 + 2 * rs, NO);
                        FloatVector r7 = FloatVector.fromMemorySegment(S, src, s4 + 3 * rs, NO);
                        FloatVector t4 = r4.rearrange(LO1, r5), t5 = r4.rearrange(HI1, r5);
                        FloatVector t6 = r6.rearrange(LO1, r7), t7 = r6.rearrange(HI1, r7);
                        FloatVector u4 = t4.rearrange(LO2, t6), u5 = t4.rearrange(HI2, t6);
                        FloatVector u6 = t5.rearrange(LO2, t7), u7 = t5.rearrange(HI2, t7);
                        int d = base + p * w + g;
                        u0.rearrange(LO4, u4).intoArray(dst, d);
                        u0.rearrange(HI4, u4).intoArray(dst, d + w);
                        u1.rearrange(LO4, u5).intoArray(dst, d + 2 * w);
                        u1.rearrange(HI4, u5).intoArray(dst, d + 3 * w);
                        u2.rearrange(LO4, u6).intoArray(dst, d + 4 * w);
                        u2.rearrange(HI4, u6).intoArray(dst, d + 5 * w);
                        u3.rearrange(LO4, u7).intoArray(dst, d + 6 * w);
                        u3.rearrange(HI4, u7).intoArray(dst, d + 7 * w);
                    }
                }
            }
            // the p tail the vectors did not cover
            for (int j = 0; j < w; j++) {
                long s = off + (long) (x0 + q * w + j) * ld + p0;
                for (int p = pv; p < kcur; p++) dst[base + p * w + j] = src.getAtIndex(JAVA_FLOAT, s + p);
            }
        }
        int firstScalar = network ? fullPanels : 0;
        int panels = (count + w - 1) / w;
        if (firstScalar == panels) return;
        float[] rowBuf = ws.rows.floats(w * kcur);
        for (int q = firstScalar; q < panels; q++) {
            int base = dOff + q * w * kcur;
            int valid = Math.min(w, count - q * w);
            for (int j = 0; j < valid; j++) {
                long s = off + (long) (x0 + q * w + j) * ld + p0;
                MemorySegment.copy(src, JAVA_FLOAT, s * Float.BYTES, rowBuf, j * kcur, kcur);
            }
            if (valid < w) java.util.Arrays.fill(rowBuf, valid * kcur, w * kcur, 0f);
            for (int j = 0; j < w; j++) {
                int r = j * kcur;
                for (int p = 0; p < kcur; p++) dst[base + p * w + j] = rowBuf[r + p];
            }
        }
    }

    /** C := beta*C over m x n ({@code beta == 0} writes zeros without reading C). */
    private static void scaleC(int m, int n, float beta, MemorySegment c, long cOff, int ldc) {
        FloatVector vb = FloatVector.broadcast(S, beta);
        for (int i = 0; i < m; i++) {
            long row = cOff + (long) i * ldc;
            int j = 0;
            for (; j + LANES <= n; j += LANES) {
                long o = (row + j) * Float.BYTES;
                FloatVector v = beta == 0f ? FloatVector.zero(S) : FloatVector.fromMemorySegment(S, c, o, NO).mul(vb);
                v.intoMemorySegment(c, o, NO);
            }
            if (j < n) {
                VectorMask<Float> mask = S.indexInRange(j, n);
                long o = (row + j) * Float.BYTES;
                FloatVector v = beta == 0f ? FloatVector.zero(S)
                        : FloatVector.fromMemorySegment(S, c, o, NO, mask).mul(vb);
                v.intoMemorySegment(c, o, NO, mask);
            }
        }
    }

    private static int roundUp(int v, int m) {
        return (v + m - 1) / m * m;
    }

    @Override
    public String toString() {
        return "VectorGemm[" + blocking + "]";
    }
}
