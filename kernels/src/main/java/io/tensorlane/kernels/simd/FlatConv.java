package io.tensorlane.kernels.simd;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.kernels.Parallelism;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Stride-1 direct convolution vectorised along the output pixels of a "flat plane": for small images
 * with few channels or few filters (LeNet's 1->6 and 6->16, the digits CNN's 32->32 at 8x8), where
 * {@link DirectConv}'s filter axis wastes lanes (6 filters in 16 lanes) or its per-4-pixel tap gather
 * costs as much as the products.
 *
 * <p><b>The flat plane.</b> Each channel of an image is copied once into a row-major buffer whose rows are
 * {@code wpx = max(w + pw, wo)} wide: the real columns, then pw zeros that serve as the right border of this
 * row and the left border of the next one (borders are symmetric), with ph zero rows above and below. Output
 * pixel (oh, ow) sits at the flat position {@code u = oh*wpx + ow}, and tap (c, i, j) reads
 * {@code plane_c[u + i*dh*wpx + j*dw]}: one constant offset per tap, so L consecutive flat positions are one
 * vector load for every tap (no gather, no border tests). Positions with {@code ow >= wo} are computed too
 * and dropped (the lanes wasted are {@code 1 - wo/wpx}: 11% at 8x8 pad 1, 7% at 28x28 pad 2).
 *
 * <p><b>Forward</b> (and backward-data, the stride-1 correlation of dout padded by d(k-1)-p with the flipped
 * kernel, see {@link DirectConv#backwardData}): a 4-channel x 2-vector register block (8 accumulators; per tap
 * 2 loads and 4 broadcasts for 8 FMAs, one flat loop over the taps through an offset table), or 1 channel x 8
 * vectors where there are fewer than 4 output channels (LeNet-5's backward-data into its 1 input channel).
 * When the channel count is not a multiple of 4 the last block is the last 4 channels again (those get the
 * same values twice: every output element is the same FMA chain over the taps (i, c, j) in order). Output
 * goes to a per-image flat tile, then row by row into y (with the bias, added after the sum as the twin does).
 * An even channel count that is not a multiple of 4 (LeNet-5's 6) takes 2-channel x 4-vector blocks instead,
 * so that no channel is computed twice (0.84-0.87x of the time of 4-channel blocks on LeNet-5's conv1 forward
 * and conv2 backward-data, same JVM, bit-identical).
 *
 * <p><b>Rows of padding are skipped.</b> The taps run kernel row by kernel row ((i, c, j): every channel's row i,
 * then row i + 1), so the taps of one kernel row form one range, and each block of flat positions runs only the
 * kernel rows that reach a real row of the plane for one of its output rows ({@link #tapRows}; the others
 * would add zero padding times a weight). Backward-data pads dout by d(k-1) - p: on LeNet-5's conv2 (10-row
 * dout, 5x5 kernel, 4 rows of zeros above and below) the blocks skip 23% of the taps, and backward-data took
 * 0.81-0.84x of its time before (same JVM, 6.6e-7 largest difference on values up to 0.82: the channel and
 * kernel-row sums are taken in another order); 1-channel forwards are bit-identical and unchanged in speed.
 *
 * <p><b>Backward-weights</b>: dW[f][t] = sum over images and pixels of dout[f][u] * plane[u + off_t], with
 * dout copied into the same flat layout (zeros at the dropped positions, so they add nothing): a 2-filter x
 * 4-tap block of vector accumulators runs along u over every image of a chunk, the lane sums are kept across
 * chunks in a per-call array and summed (VectorMath.sumLanes) at the end. Each lane's sum runs over the images
 * and positions in order whatever the chunking, and threads split the blocks, so results do not depend on
 * the thread count. Garbage is never read: dropped positions read zero border or real pixels times a zero
 * dout (a non-finite input pixel can therefore turn a +-Inf dW entry into NaN; finite inputs are exact
 * zeros).
 *
 * <p>Buffers are heap {@code float[]}s in a per-thread workspace, grown on demand (no allocation per call
 * in steady state), for the reason {@link GemmMicrokernels} gives (C2 hoists the range checks of linear
 * heap-array indices).
 */
final class FlatConv {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Largest buffer (floats) this path will use. */
    private static final long MAX_FLOATS = 1L << 24;
    /** Floats of copied input and dout per backward-weights chunk: both stay in L2 while every block reads them. */
    private static final int BW_CHUNK_FLOATS = 1 << 15;

    /** "auto" (default), "on" (wherever supported) or "off": a knob for measuring the choice. */
    static final String MODE = System.getProperty("tensorlane.conv.flat", "auto");

    /** Output channels per forward register block. */
    private static final int FB = 4;
    /** Filters per backward-weights register block (x 4 taps). */
    private static final int BW_F = 2;

    private FlatConv() {
    }

    /** One thread's buffers. */
    static final class Workspace {
        final Scratch offs = new Scratch();
        /** Per block of flat positions, the tap range [t0, t1) that can add non-zeros ({@link #tapRows}). */
        final Scratch ranges = new Scratch();
        final Scratch x = new Scratch();
        final Scratch w = new Scratch();
        final Scratch tile = new Scratch();
        final Scratch d = new Scratch();
        /** The backward-weights lane sums, shared by the threads of one call (each writes its own blocks). */
        final Scratch acc = new Scratch();
    }

    private static final ThreadLocal<Workspace> WORKSPACES = ThreadLocal.withInitial(Workspace::new);

    /**
     * The flat layout of one image's (ch, h, w) planes for a stride-1 kernel (kh, kw) at dilation (dh, dw)
     * and padding (ph, pw), giving (ho, wo) outputs.
     */
    record Flat(int ch, int h, int w, int ph, int pw, int kh, int kw, int dh, int dw, int ho, int wo) {
        /** Row width. */
        int wpx() {
            return Math.max(w + pw, wo);
        }

        /** Floats per channel plane (padded rows, plus the left border of the first row). */
        int plane() {
            return (h + 2 * ph) * wpx() + pw;
        }

        /** Flat output positions per image, rounded up to whole blocks of {@code block} floats. */
        int outLen(int block) {
            return (ho * wpx() + block - 1) / block * block;
        }

        /** Floats of one image's copy, with room for the reads past the last plane (dropped positions). */
        int size(int block) {
            return (ch - 1) * plane() + (kh - 1) * dh * wpx() + (kw - 1) * dw + outLen(block) + plane();
        }

        /** Offset of tap (c, i, j) from an output position. */
        int tap(int c, int i, int j) {
            return c * plane() + i * dh * wpx() + j * dw;
        }

        /** {@link #size} in long arithmetic, for the size check before any int is formed. */
        long floats(int block) {
            long wpx = Math.max((long) w + pw, wo), plane = (h + 2L * ph) * wpx + pw;
            return ch * plane + (long) (kh - 1) * dh * wpx + (long) (kw - 1) * dw + (long) ho * wpx + block;
        }
    }

    private static Flat forwardFlat(ConvGeometry g) {
        return new Flat((int) g.c(), (int) g.h(), (int) g.w(), g.padH(), g.padW(), g.kh(), g.kw(),
                g.dilationH(), g.dilationW(), (int) g.ho(), (int) g.wo());
    }

    private static Flat backwardDataFlat(ConvGeometry g) {
        int qh = g.dilationH() * (g.kh() - 1) - g.padH(), qw = g.dilationW() * (g.kw() - 1) - g.padW();
        return new Flat((int) g.f(), (int) g.ho(), (int) g.wo(), qh, qw, g.kh(), g.kw(),
                g.dilationH(), g.dilationW(), (int) g.h(), (int) g.w());
    }

    private static boolean base(ConvGeometry g) {
        // every dim within MAX_FLOATS before the Flat records take them as ints (no silent truncation)
        long most = Math.max(Math.max(g.n(), Math.max(g.c(), g.f())), Math.max(Math.max(g.h(), g.w()), Math.max(g.ho(), g.wo())));
        return g.groups() == 1 && !g.pointwise() && g.strideH() == 1 && g.strideW() == 1 && most <= MAX_FLOATS;
    }

    private static boolean fits(Flat fl, long outCh) {
        long out = (long) fl.ho() * Math.max((long) fl.w() + fl.pw(), fl.wo()) + 8L * L;
        return fl.floats(8 * L) <= MAX_FLOATS && outCh * out <= MAX_FLOATS
                && outCh * fl.ch() * fl.kh() * fl.kw() <= MAX_FLOATS;
    }

    /** Whether the forward of g can run here (groups 1, stride 1, not pointwise, buffers of a sane size). */
    static boolean supportsForward(ConvGeometry g) {
        return base(g) && fits(forwardFlat(g), g.f());
    }

    /** Whether backward-data of g can run here (as {@link #supportsForward}, and p <= d(k-1)). */
    static boolean supportsBackwardData(ConvGeometry g) {
        if (!base(g)) return false;
        long qh = (long) g.dilationH() * (g.kh() - 1) - g.padH(), qw = (long) g.dilationW() * (g.kw() - 1) - g.padW();
        return qh >= 0 && qw >= 0 && fits(backwardDataFlat(g), g.c());
    }

    /** Whether backward-weights of g can run here (as {@link #supportsForward}, at least 3 filters and 4 taps). */
    static boolean supportsBackwardWeights(ConvGeometry g) {
        Flat fl = forwardFlat(g);
        return base(g) && g.f() >= 3 && g.colRows() >= 4 && fits(fl, g.f())
                && (long) blocks((int) g.f(), BW_F) * blocks((int) g.colRows(), 4) * BW_F * 4 * L <= MAX_FLOATS;
    }

    /** Whether the forward of g runs here rather than on DirectConv or im2col + GEMM (see {@link #preferred}). */
    static boolean forward(ConvGeometry g) {
        if (!supportsForward(g) || MODE.equals("off")) return false;
        return MODE.equals("on") || (preferred(forwardFlat(g), g.f(), g.c(), g.f() >= FB ? 2 * L : 8 * L)
                && !directBlocks(DirectConv.forward(g), g.c(), g.wo()));
    }

    /**
     * Whether DirectConv takes the shape (its own rule: at least 4 summed channels, output channels filling
     * the lanes) with its image-broadcast block (rows of at least 4 pixels): there it measured faster than flat
     * (1 thread, AVX2, same-JVM pairs: the digits CNN's 32->32 at 8x8, forward 1.36 vs 2.08 ms, backward-data
     * 1.35 vs 1.90; LeNet-5's 6->16 at 14x14, forward 0.82-1.10 vs 1.02-1.33 ms). LeNet-5's backward-data (6
     * output channels) and both its backward-weights stay flat.
     */
    private static boolean directBlocks(boolean direct, long summed, long rowPixels) {
        return direct && summed >= 4 && rowPixels >= 4;
    }

    /** As {@link #forward} for backward-data (dx's channels are the output channels, dout's the summed ones). */
    static boolean backwardData(ConvGeometry g) {
        if (!supportsBackwardData(g) || MODE.equals("off")) return false;
        if (MODE.equals("on")) return true;
        Flat fl = backwardDataFlat(g);
        int block = blockFloats((int) g.c());
        if (fl.ph() >= 2) return paddedBackwardData(fl, g.f(), block);
        return preferred(fl, g.c(), g.f(), block) && !directBlocks(DirectConv.backwardData(g), g.f(), g.w());
    }

    /** Most summed taps of a backward-data that skips rows of padding ({@link #paddedBackwardData}). */
    private static final int PADDED_BWD_DATA_MAX_TAPS = 2048;

    /**
     * Backward-data with at least 2 rows of padding above and below dout (q = d(k-1) - p >= 2: 5x5 kernels
     * without padding or with 1 or 2), where the blocks skip the kernel rows that only see padding (on 5x5
     * kernels 20-33% of the taps, {@link #tapRows}): preferred to DirectConv and to im2col + GEMM for images
     * of at most 32 x 32 with at least 60% real positions, up to {@value #PADDED_BWD_DATA_MAX_TAPS} summed
     * taps. Measured, 1 thread, AVX2, same JVM against the path chosen before (N = 64): LeNet-B's 20 <- 50
     * at 12x12 (1,250 taps, im2col + GEMM before) 1.08-1.21x faster, 16 <- 64 at 16x16 (1,600) 1.47x,
     * 64 <- 64 at 8x8 pad 2 (1,600) 2.27x, 50 <- 20 at 8x8 (DirectConv before) 1.19x, 32 <- 32 at 16x16 pad 2
     * (DirectConv) 0.99x. With one row of padding (the 3x3 layers, q = 1) the old rule stands.
     */
    private static boolean paddedBackwardData(Flat fl, long summed, int block) {
        long taps = summed * fl.kh() * fl.kw();
        return (long) fl.ho() * fl.wo() <= 32 * 32 && taps >= 9 && taps <= PADDED_BWD_DATA_MAX_TAPS && useful(fl, block) >= 0.6;
    }

    /**
     * Backward-weights: only for few input channels (measured, 1 thread, AVX2: LeNet-5's 1->6 at 28x28 3.6x and
     * 6->16 at 14x14 1.3x faster than DirectConv's GEMM over the pixels; the digits CNN's 32-channel layers
     * 1.1x and 2x slower, where that GEMM's packed panels are reused by many filters; its 1->32 (9 taps) 1.1x
     * slower).
     */
    static boolean backwardWeights(ConvGeometry g) {
        if (!supportsBackwardWeights(g) || MODE.equals("off")) return false;
        Flat fl = forwardFlat(g);
        return MODE.equals("on")
                || (g.c() < 8 && g.colRows() >= 16 && fl.ho() * fl.wo() <= 32 * 32 && useful(fl, L) >= 0.6);
    }

    /** Share of the computed flat positions that are real outputs (the rest is row padding and rounding). */
    private static double useful(Flat fl, int block) {
        return (double) fl.ho() * fl.wo() / fl.outLen(block);
    }

    /**
     * The measured rule (1 thread, AVX2, same-run pairs against DirectConv / im2col): small outputs (at most
     * 32 x 32) where at least 3/4 of the computed positions are real (measured then: the digits CNN's 32->32 at 8x8: 80%,
     * forward 1.4x faster; LeNet-5's 1->6 at 28x28: 92%, 4x), or at least 60% with fewer than 8 summed
     * channels, where DirectConv's per-block tap gather is as dear as the products (LeNet-5's 6->16 at 14x14:
     * 69%, 1.7x forward, 2x backward-data). Not the 32->64 at 4x4 (50%: the rows of 5 round up to 2 vectors; 1.3x
     * slower than DirectConv's 64 filters on the lanes), nor over 512 taps (LeNet-B's backward-data, 50 x 5 x 5,
     * measured 1.2x slower than im2col + GEMM, whose packed panels are reused by every output channel, before
     * rows of padding were skipped: backward-data with 2 or more such rows now follows
     * {@link #paddedBackwardData}), nor under 9
     * (the digits CNN's 1->32 has 9: once the tile copy-out was vectorised and the tap offsets built once per call
     * it took 0.14-0.18 ms forward against 0.36-0.68 on im2col + GEMM, same JVM; earlier flat lost there).
     */
    private static boolean preferred(Flat fl, long outCh, long summed, int block) {
        long taps = summed * fl.kh() * fl.kw();
        if (fl.ho() * fl.wo() > 32 * 32 || taps < 9 || taps > 512) return false;
        double u = useful(fl, block);
        return u >= 0.75 || (u >= 0.6 && summed < 8);
    }

    private static int blocks(int n, int size) {
        return (n + size - 1) / size;
    }

    /** First member of block b of a row of n split into blocks of size (the last block ends at n). */
    private static int start(int b, int size, int n) {
        return Math.min(b * size, n - size);
    }

    // ------------------------------------------------------------------------------------ forward

    static void conv2d(ConvGeometry g, MemorySegment x, long xOff, MemorySegment w, long wOff,
                       MemorySegment b, long bOff, MemorySegment y, long yOff, Parallelism par) {
        int c = (int) g.c(), f = (int) g.f(), kh = g.kh(), kw = g.kw(), taps = c * kh * kw;
        Flat fl = forwardFlat(g);
        float[] wk = pack(f, taps, (fi, t) -> w.getAtIndex(JAVA_FLOAT, wOff + (long) fi * taps + natural(fl, t)));
        int[] offs = offsets(fl), rg = ranges(fl, f);
        long xImg = g.c() * g.plane(), yImg = g.f() * g.outPlane();
        forImages(g.n(), par, n -> image(fl, f, x, xOff + n * xImg, wk, offs, rg, b, bOff, y, yOff + n * yImg));
    }

    /**
     * dx = the stride-1 correlation of dout, zero-padded by q = d(k-1) - p, with the kernel flipped and its
     * channel axes swapped: tap (fi, i', j') of output channel ci is w[fi][ci][kh-1-i'][kw-1-j'].
     */
    static void backwardData(ConvGeometry g, MemorySegment dout, long dOff, MemorySegment w, long wOff,
                             MemorySegment dx, long dxOff, Parallelism par) {
        int c = (int) g.c(), f = (int) g.f(), kh = g.kh(), kw = g.kw(), taps = f * kh * kw;
        Flat fl = backwardDataFlat(g);
        float[] wk = pack(c, taps, (ci, tt) -> {
            int t = natural(fl, tt), fi = t / (kh * kw), i = kh - 1 - (t / kw) % kh, j = kw - 1 - t % kw;
            return w.getAtIndex(JAVA_FLOAT, wOff + (((long) fi * c + ci) * kh + i) * kw + j);
        });
        int[] offs = offsets(fl), rg = ranges(fl, c);
        long xImg = g.c() * g.plane(), yImg = g.f() * g.outPlane();
        forImages(g.n(), par, n -> image(fl, c, dout, dOff + n * yImg, wk, offs, rg, null, 0, dx, dxOff + n * xImg));
    }

    @FunctionalInterface
    private interface Weight {
        float at(int out, int tap);
    }

    /**
     * The weights of `out` output channels x `taps` taps (c, i, j in order) in the kernels' order: blocks of
     * {@link #FB} output channels ({@link #start}), tap-major within a block ({@code wk[(blk*taps + t)*FB + r]});
     * with fewer than FB output channels, one block per channel ({@code wk[o*taps + t]}).
     */
    private static float[] pack(int out, int taps, Weight w) {
        int fb = out >= FB ? FB : 1, nb = out >= FB ? blocks(out, FB) : out;
        float[] wk = WORKSPACES.get().w.floats(nb * taps * fb);
        for (int blk = 0; blk < nb; blk++) {
            int o0 = fb == FB ? start(blk, FB, out) : blk;
            for (int t = 0; t < taps; t++) {
                for (int r = 0; r < fb; r++) wk[(blk * taps + t) * fb + r] = w.at(o0 + r, t);
            }
        }
        return wk;
    }

    @FunctionalInterface
    private interface ImageBody {
        void run(long n);
    }

    private static void forImages(long count, Parallelism par, ImageBody body) {
        if (par.isSingle() || count < 2) {
            for (long i = 0; i < count; i++) body.run(i);
        } else {
            par.parallelFor(0, count, 1, (from, to) -> {
                for (long i = from; i < to; i++) body.run(i);
            });
        }
    }

    /**
     * The flat offset of every tap (c, i, j in order) from an output position: the same for every image, so
     * it is built once per call, on the calling thread's workspace (the image tasks only read it, as they
     * read the packed weights).
     */
    private static int[] offsets(Flat fl) {
        int taps = fl.ch() * fl.kh() * fl.kw();
        int[] offs = WORKSPACES.get().offs.ints(taps);
        for (int t = 0; t < taps; t++) offs[t] = tapOffset(fl, natural(fl, t));
        return offs;
    }

    /** An even channel count that is not a multiple of FB (LeNet-5's 6): 2-channel x 4-vector blocks. */
    private static boolean pairs(int outCh) {
        return outCh > FB && outCh % FB != 0 && outCh % 2 == 0;
    }

    /** Flat positions per register block for outCh output channels (see {@link #image}). */
    private static int blockFloats(int outCh) {
        return pairs(outCh) ? 4 * L : outCh >= FB ? 2 * L : 8 * L;
    }

    /**
     * Each block's tap range [t0, t1) ({@link #tapRows}, in taps of one kernel row of every channel), built
     * once per call on the calling thread like the offsets: it depends on the geometry alone, and its
     * divisions per block cost as much as a 25-tap block (5% of LeNet-5's conv1 forward when done per image).
     */
    private static int[] ranges(Flat fl, int outCh) {
        int block = blockFloats(outCh), len = fl.outLen(block), perRow = fl.ch() * fl.kw();
        int[] rg = WORKSPACES.get().ranges.ints(2 * (len / block));
        for (int u = 0, q = 0; u < len; u += block, q += 2) {
            long rows = tapRows(fl, u, block);
            rg[q] = (int) (rows >>> 32) * perRow;
            rg[q + 1] = (int) rows * perRow;
        }
        return rg;
    }

    /**
     * The kernel-row-major tap order of the forward and backward-data loops, t = (i*ch + c)*kw + j, as the
     * natural index (c*kh + i)*kw + j of the same tap. Kernel rows outermost make the taps that read one
     * kernel row of every channel contiguous, so a block whose rows only reach zero padding with some
     * kernel rows skips them as one range ({@link #tapRows}).
     */
    private static int natural(Flat fl, int t) {
        int kw = fl.kw(), ch = fl.ch(), j = t % kw, ic = t / kw, c = ic % ch, i = ic / ch;
        return (c * fl.kh() + i) * kw + j;
    }

    /**
     * The kernel rows [lo, hi) that read a real (not padding) row of the plane for some output row of the
     * block of flat positions [u, u + block): the other rows only add exact zeros (zero padding times a
     * weight). Rows past the last output row (dropped positions) are not counted. In tap terms: taps
     * [lo * ch * kw, hi * ch * kw) of the kernel-row-major order ({@link #natural}). Backward-data pads dout by
     * d(k-1) - p on every side (4 rows above and below LeNet-5's 10-row dout for its 5x5 kernel), so there
     * the blocks near the top and bottom skip up to 4 of 5 kernel rows (23% of its taps).
     */
    private static long tapRows(Flat fl, int u, int block) {
        int wpx = fl.wpx(), r0 = u / wpx, r1 = Math.min(fl.ho() - 1, (u + block - 1) / wpx);
        int ph = fl.ph(), dh = fl.dh();
        // tap row i reads plane row r + i*dh; real rows are [ph, ph + h)
        int lo = Math.max(0, Math.ceilDiv(ph - r1, dh)), hi = Math.min(fl.kh(), Math.floorDiv(ph + fl.h() - 1 - r0, dh) + 1);
        return hi <= lo ? 0 : (long) lo << 32 | hi;
    }

    /**
     * One image: out (outCh, fl.ho, fl.wo) = correlation of the image (fl.ch planes) with wk over the tap
     * offsets {@code offs}, plus b (null: none).
     */
    private static void image(Flat fl, int outCh, MemorySegment x, long xOff, float[] wk, int[] offs, int[] rg,
                              MemorySegment b, long bOff, MemorySegment y, long yOff) {
        Workspace ws = WORKSPACES.get();
        // an even channel count that is not a multiple of FB (LeNet-5's 6): pairs of channels x 4 vectors, so
        // that no channel is computed twice (4-channel blocks would overlap: 8 computed for 6)
        boolean pairs = pairs(outCh);
        int block = blockFloats(outCh);
        float[] xp = ws.x.floats(fl.size(block));
        copyIn(fl, x, xOff, xp, 0, fl.size(block));
        int len = fl.outLen(block), taps = fl.ch() * fl.kh() * fl.kw();
        float[] tile = ws.tile.floats(outCh * len);
        if (pairs) {
            int nb = blocks(outCh, FB);
            for (int o0 = 0; o0 < outCh; o0 += 2) {
                // the pair's place in the FB-channel packing: its own block, or the last one (which ends at outCh)
                int blk = o0 + 1 < FB * (nb - 1) ? o0 / FB : nb - 1, r = o0 - start(blk, FB, outCh);
                int wo = blk * taps * FB + r;
                for (int u = 0, q = 0; u < len; u += block, q += 2) {
                    block2x4(xp, u, wk, wo, offs, rg[q], rg[q + 1], tile, o0 * len + u, len);
                }
            }
        } else if (outCh >= FB) {
            for (int blk = 0, nb = blocks(outCh, FB); blk < nb; blk++) {
                int o0 = start(blk, FB, outCh), wo = blk * taps * FB;
                for (int u = 0, q = 0; u < len; u += block, q += 2) {
                    block4x2(xp, u, wk, wo, offs, rg[q], rg[q + 1], tile, o0 * len + u, len);
                }
            }
        } else {
            for (int o = 0; o < outCh; o++) {
                for (int u = 0, q = 0; u < len; u += block, q += 2) {
                    block1x8(xp, u, wk, o * taps, offs, rg[q], rg[q + 1], tile, o * len + u);
                }
            }
        }
        copyOut(fl, outCh, len, tile, b, bOff, y, yOff);
    }

    /**
     * Flat tile -> y rows, plus the bias (added after the sum, as the twin does). Rows of at least L take
     * vectors, the last one ending at the row's end (it may overlap the one before: same values stored
     * twice), so nothing is written outside the row and no mask is needed; the per-element scalar copy this
     * replaced cost more than the products on LeNet's 28x28 layers (20 channels x 24 rows per image).
     */
    private static void copyOut(Flat fl, int outCh, int len, float[] tile, MemorySegment b, long bOff,
                                MemorySegment y, long yOff) {
        int ho = fl.ho(), wo = fl.wo(), wpx = fl.wpx();
        for (int o = 0; o < outCh; o++) {
            float bias = b == null ? 0f : b.getAtIndex(JAVA_FLOAT, bOff + o);
            if (b == null || wo < L) {
                for (int r = 0; r < ho; r++) {
                    int s = o * len + r * wpx;
                    long d = yOff + ((long) o * ho + r) * wo;
                    if (b == null) {
                        MemorySegment.copy(tile, s, y, JAVA_FLOAT, d * Float.BYTES, wo);
                    } else {
                        for (int q = 0; q < wo; q++) y.setAtIndex(JAVA_FLOAT, d + q, tile[s + q] + bias);
                    }
                }
                continue;
            }
            FloatVector bv = FloatVector.broadcast(S, bias);
            for (int r = 0; r < ho; r++) {
                int s = o * len + r * wpx;
                long d = (yOff + ((long) o * ho + r) * wo) * Float.BYTES;
                for (int q = 0; ; q += L) {
                    int at = Math.min(q, wo - L);
                    FloatVector.fromArray(S, tile, s + at).add(bv).intoMemorySegment(y, d + (long) at * Float.BYTES, NATIVE);
                    if (at == wo - L) break;
                }
            }
        }
    }

    /**
     * xp[dst ..] = one image (fl.ch, fl.h, fl.w) in the flat layout: zero borders, real pixels at
     * {@code c*plane + (r + ph)*wpx + pw + col}.
     */
    private static void copyIn(Flat fl, MemorySegment x, long xOff, float[] xp, int dst, int size) {
        int ch = fl.ch(), h = fl.h(), w = fl.w(), wpx = fl.wpx(), ps = fl.plane(), ph = fl.ph(), pw = fl.pw();
        Arrays.fill(xp, dst, dst + size, 0f);
        long s = xOff;
        for (int c = 0; c < ch; c++) {
            for (int r = 0; r < h; r++, s += w) {
                MemorySegment.copy(x, JAVA_FLOAT, s * Float.BYTES, xp, dst + c * ps + (r + ph) * wpx + pw, w);
            }
        }
    }

    /**
     * tile[to + r*ts + v*L + lane] = sum over taps t in [t0, taps) of wk[wo + t*4 + r] * xp[xo + offs[t] + v*L + lane] for 4
     * output channels r and 2 vectors v of flat positions. One flat loop over the taps through an offset
     * table: 8 accumulators, 2 loads and 4 broadcasts per 8 FMAs, as the GEMM's microkernel (a 3 x 4 block
     * needs 17 vector registers and spilled; nested loops over (c, i, j) kept the accumulators in memory and
     * ran 3x slower).
     */
    static void block4x2(float[] xp, int xo, float[] wk, int wo, int[] offs, int t0, int taps, float[] tile, int to, int ts) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
        int t = t0;
        // two taps per iteration: the same FMA order as one at a time, with half the loop and index
        // overhead (C2 keeps a range check per load here: the indices come from the table); 1.3x faster
        // on 400 taps in L1 (LeNet-5's backward-data), no change on 25
        for (; t + 1 < taps; t += 2) {
            int o = xo + offs[t], wi = wo + 4 * t;
            FloatVector x0 = FloatVector.fromArray(S, xp, o);
            FloatVector x1 = FloatVector.fromArray(S, xp, o + L);
            FloatVector w = FloatVector.broadcast(S, wk[wi]);
            a00 = x0.fma(w, a00); a01 = x1.fma(w, a01);
            w = FloatVector.broadcast(S, wk[wi + 1]);
            a10 = x0.fma(w, a10); a11 = x1.fma(w, a11);
            w = FloatVector.broadcast(S, wk[wi + 2]);
            a20 = x0.fma(w, a20); a21 = x1.fma(w, a21);
            w = FloatVector.broadcast(S, wk[wi + 3]);
            a30 = x0.fma(w, a30); a31 = x1.fma(w, a31);
            o = xo + offs[t + 1];
            x0 = FloatVector.fromArray(S, xp, o);
            x1 = FloatVector.fromArray(S, xp, o + L);
            w = FloatVector.broadcast(S, wk[wi + 4]);
            a00 = x0.fma(w, a00); a01 = x1.fma(w, a01);
            w = FloatVector.broadcast(S, wk[wi + 5]);
            a10 = x0.fma(w, a10); a11 = x1.fma(w, a11);
            w = FloatVector.broadcast(S, wk[wi + 6]);
            a20 = x0.fma(w, a20); a21 = x1.fma(w, a21);
            w = FloatVector.broadcast(S, wk[wi + 7]);
            a30 = x0.fma(w, a30); a31 = x1.fma(w, a31);
        }
        if (t < taps) {
            int o = xo + offs[t], wi = wo + 4 * t;
            FloatVector x0 = FloatVector.fromArray(S, xp, o);
            FloatVector x1 = FloatVector.fromArray(S, xp, o + L);
            FloatVector w = FloatVector.broadcast(S, wk[wi]);
            a00 = x0.fma(w, a00); a01 = x1.fma(w, a01);
            w = FloatVector.broadcast(S, wk[wi + 1]);
            a10 = x0.fma(w, a10); a11 = x1.fma(w, a11);
            w = FloatVector.broadcast(S, wk[wi + 2]);
            a20 = x0.fma(w, a20); a21 = x1.fma(w, a21);
            w = FloatVector.broadcast(S, wk[wi + 3]);
            a30 = x0.fma(w, a30); a31 = x1.fma(w, a31);
        }
        a00.intoArray(tile, to);
        a01.intoArray(tile, to + L);
        a10.intoArray(tile, to + ts);
        a11.intoArray(tile, to + ts + L);
        a20.intoArray(tile, to + 2 * ts);
        a21.intoArray(tile, to + 2 * ts + L);
        a30.intoArray(tile, to + 3 * ts);
        a31.intoArray(tile, to + 3 * ts + L);
    }

    /**
     * As {@link #block4x2} for 2 output channels (rows r of {@code wk[wo + t*FB + r]}, r = 0, 1: two channels of
     * an FB-channel packing) and 4 vectors of flat positions: the same 8 accumulators and FMA chains in tap order,
     * 4 loads and 2 broadcasts per tap.
     */
    static void block2x4(float[] xp, int xo, float[] wk, int wo, int[] offs, int t0, int taps, float[] tile, int to, int ts) {
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        int t = t0;
        // two taps per iteration, as block4x2 (half the loop and index overhead, same FMA order)
        for (; t + 1 < taps; t += 2) {
            int o = xo + offs[t], wi = wo + FB * t;
            FloatVector x0 = FloatVector.fromArray(S, xp, o), x1 = FloatVector.fromArray(S, xp, o + L);
            FloatVector x2 = FloatVector.fromArray(S, xp, o + 2 * L), x3 = FloatVector.fromArray(S, xp, o + 3 * L);
            FloatVector w = FloatVector.broadcast(S, wk[wi]);
            a00 = x0.fma(w, a00); a01 = x1.fma(w, a01); a02 = x2.fma(w, a02); a03 = x3.fma(w, a03);
            w = FloatVector.broadcast(S, wk[wi + 1]);
            a10 = x0.fma(w, a10); a11 = x1.fma(w, a11); a12 = x2.fma(w, a12); a13 = x3.fma(w, a13);
            o = xo + offs[t + 1];
            x0 = FloatVector.fromArray(S, xp, o);
            x1 = FloatVector.fromArray(S, xp, o + L);
            x2 = FloatVector.fromArray(S, xp, o + 2 * L);
            x3 = FloatVector.fromArray(S, xp, o + 3 * L);
            w = FloatVector.broadcast(S, wk[wi + FB]);
            a00 = x0.fma(w, a00); a01 = x1.fma(w, a01); a02 = x2.fma(w, a02); a03 = x3.fma(w, a03);
            w = FloatVector.broadcast(S, wk[wi + FB + 1]);
            a10 = x0.fma(w, a10); a11 = x1.fma(w, a11); a12 = x2.fma(w, a12); a13 = x3.fma(w, a13);
        }
        if (t < taps) {
            int o = xo + offs[t], wi = wo + FB * t;
            FloatVector x0 = FloatVector.fromArray(S, xp, o), x1 = FloatVector.fromArray(S, xp, o + L);
            FloatVector x2 = FloatVector.fromArray(S, xp, o + 2 * L), x3 = FloatVector.fromArray(S, xp, o + 3 * L);
            FloatVector w = FloatVector.broadcast(S, wk[wi]);
            a00 = x0.fma(w, a00); a01 = x1.fma(w, a01); a02 = x2.fma(w, a02); a03 = x3.fma(w, a03);
            w = FloatVector.broadcast(S, wk[wi + 1]);
            a10 = x0.fma(w, a10); a11 = x1.fma(w, a11); a12 = x2.fma(w, a12); a13 = x3.fma(w, a13);
        }
        a00.intoArray(tile, to);
        a01.intoArray(tile, to + L);
        a02.intoArray(tile, to + 2 * L);
        a03.intoArray(tile, to + 3 * L);
        a10.intoArray(tile, to + ts);
        a11.intoArray(tile, to + ts + L);
        a12.intoArray(tile, to + ts + 2 * L);
        a13.intoArray(tile, to + ts + 3 * L);
    }

    /** As {@link #block4x2} for one output channel and 8 vectors (wk[wo + t]). */
    static void block1x8(float[] xp, int xo, float[] wk, int wo, int[] offs, int t0, int taps, float[] tile, int to) {
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0;
        for (int t = t0; t < taps; t++) {
            int o = xo + offs[t];
            FloatVector wv = FloatVector.broadcast(S, wk[wo + t]);
            a0 = FloatVector.fromArray(S, xp, o).fma(wv, a0);
            a1 = FloatVector.fromArray(S, xp, o + L).fma(wv, a1);
            a2 = FloatVector.fromArray(S, xp, o + 2 * L).fma(wv, a2);
            a3 = FloatVector.fromArray(S, xp, o + 3 * L).fma(wv, a3);
            a4 = FloatVector.fromArray(S, xp, o + 4 * L).fma(wv, a4);
            a5 = FloatVector.fromArray(S, xp, o + 5 * L).fma(wv, a5);
            a6 = FloatVector.fromArray(S, xp, o + 6 * L).fma(wv, a6);
            a7 = FloatVector.fromArray(S, xp, o + 7 * L).fma(wv, a7);
        }
        a0.intoArray(tile, to);
        a1.intoArray(tile, to + L);
        a2.intoArray(tile, to + 2 * L);
        a3.intoArray(tile, to + 3 * L);
        a4.intoArray(tile, to + 4 * L);
        a5.intoArray(tile, to + 5 * L);
        a6.intoArray(tile, to + 6 * L);
        a7.intoArray(tile, to + 7 * L);
    }

    // ------------------------------------------------------------------------------------ backward weights

    /**
     * dw (F, C, kh, kw) = sum over images and output pixels of dout[n][f][p] * x[n][c][tap(p)], overwritten.
     * Needs {@link #supportsBackwardWeights}.
     */
    static void backwardWeights(ConvGeometry g, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                MemorySegment dw, long dwOff, Parallelism par) {
        int f = (int) g.f(), taps = (int) g.colRows();
        if (g.n() == 0) {
            dw.asSlice(dwOff * Float.BYTES, g.wSize() * Float.BYTES).fill((byte) 0);
            return;
        }
        Flat fl = forwardFlat(g);
        int fbs = blocks(f, BW_F), tbs = blocks(taps, 4), blockCount = fbs * tbs;
        float[] acc = WORKSPACES.get().acc.floats(blockCount * BW_F * 4 * L);
        Arrays.fill(acc, 0, blockCount * BW_F * 4 * L, 0f);
        int len = fl.outLen(L), perImage = fl.size(L) + f * len;
        int per = (int) Math.max(1, Math.min(g.n(), BW_CHUNK_FLOATS / perImage));
        BlockRange body = (b0, b1) -> bwBlocks(g, fl, x, xOff, dout, dOff, per, acc, b0, b1);
        if (par.isSingle() || blockCount < 2) {
            body.run(0, blockCount);
        } else {
            par.parallelFor(0, blockCount, 1, (from, to) -> body.run((int) from, (int) to));
        }
        // lane sums -> dw[f][tap]; overlapping blocks hold identical sums, the later one writes last
        for (int blk = 0; blk < blockCount; blk++) {
            int f0 = start(blk / tbs, BW_F, f), t0 = start(blk % tbs, 4, taps);
            for (int r = 0; r < BW_F; r++) {
                for (int k = 0; k < 4; k++) {
                    float v = VectorMath.sumLanes(FloatVector.fromArray(S, acc, (blk * BW_F * 4 + r * 4 + k) * L));
                    dw.setAtIndex(JAVA_FLOAT, dwOff + (long) (f0 + r) * taps + t0 + k, v);
                }
            }
        }
    }

    @FunctionalInterface
    private interface BlockRange {
        void run(int b0, int b1);
    }

    /** Blocks [b0, b1) (filter block major) of the lane sums, over every chunk of images in order. */
    private static void bwBlocks(ConvGeometry g, Flat fl, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                 int per, float[] acc, int b0, int b1) {
        Workspace ws = WORKSPACES.get();
        int f = (int) g.f(), taps = (int) g.colRows(), kh = fl.kh(), kw = fl.kw(), tbs = blocks(taps, 4);
        int ho = fl.ho(), wo = fl.wo(), wpx = fl.wpx(), len = fl.outLen(L), xs = fl.size(L), ds = f * len;
        long n = g.n(), xImg = g.c() * g.plane(), yImg = (long) f * ho * wo;
        float[] xp = ws.x.floats(per * xs), dp = ws.d.floats(per * ds);
        for (long n0 = 0; n0 < n; n0 += per) {
            int imgs = (int) Math.min(per, n - n0);
            for (int j = 0; j < imgs; j++) {
                copyIn(fl, x, xOff + (n0 + j) * xImg, xp, j * xs, xs);
                // dout in the flat layout: zeros at the dropped positions
                Arrays.fill(dp, j * ds, (j + 1) * ds, 0f);
                long s = dOff + (n0 + j) * yImg;
                for (int fi = 0; fi < f; fi++) {
                    for (int r = 0; r < ho; r++, s += wo) {
                        MemorySegment.copy(dout, JAVA_FLOAT, s * Float.BYTES, dp, j * ds + fi * len + r * wpx, wo);
                    }
                }
            }
            for (int blk = b0; blk < b1; blk++) {
                int f0 = start(blk / tbs, BW_F, f), t0 = start(blk % tbs, 4, taps);
                dwBlock2x4(xp, tapOffset(fl, t0), tapOffset(fl, t0 + 1), tapOffset(fl, t0 + 2), tapOffset(fl, t0 + 3), xs, dp, f0 * len, ds, len, imgs, acc, blk * BW_F * 4 * L);
            }
        }
    }

    /** {@link Flat#tap} of the flat tap index t = (c*kh + i)*kw + j. */
    private static int tapOffset(Flat fl, int t) {
        int kh = fl.kh(), kw = fl.kw();
        return fl.tap(t / (kh * kw), (t / kw) % kh, t % kw);
    }

    /**
     * acc[ao + (r*4 + k)*L + lane] += sum over images m and flat positions u (lane-wise) of
     * dp[d0 + r*len + m*ds + u] * xp[x_k + m*xs + u], for 2 filters r and 4 taps k: 8 accumulators, 2 + 1
     * operand registers. The 3 x 4 block this replaced (12 + 3 + 1 registers) kept most of its accumulators
     * on the stack once C2 had unrolled the u loop (hsdis); 2 x 4 takes 0.74-0.77x its time on LeNet-5's
     * 6->16 and 0.83-0.86x on its 1->6 (whole backward-weights call, same JVM, bit-identical).
     */
    static void dwBlock2x4(float[] xp, int x0, int x1, int x2, int x3, int xs, float[] dp, int d0, int ds, int len,
                           int imgs, float[] acc, int ao) {
        FloatVector a00 = FloatVector.fromArray(S, acc, ao), a01 = FloatVector.fromArray(S, acc, ao + L);
        FloatVector a02 = FloatVector.fromArray(S, acc, ao + 2 * L), a03 = FloatVector.fromArray(S, acc, ao + 3 * L);
        FloatVector a10 = FloatVector.fromArray(S, acc, ao + 4 * L), a11 = FloatVector.fromArray(S, acc, ao + 5 * L);
        FloatVector a12 = FloatVector.fromArray(S, acc, ao + 6 * L), a13 = FloatVector.fromArray(S, acc, ao + 7 * L);
        for (int m = 0; m < imgs; m++) {
            int xm = m * xs, dm = d0 + m * ds;
            for (int u = 0; u < len; u += L) {
                FloatVector d0v = FloatVector.fromArray(S, dp, dm + u);
                FloatVector d1v = FloatVector.fromArray(S, dp, dm + len + u);
                FloatVector v = FloatVector.fromArray(S, xp, xm + x0 + u);
                a00 = d0v.fma(v, a00); a10 = d1v.fma(v, a10);
                v = FloatVector.fromArray(S, xp, xm + x1 + u);
                a01 = d0v.fma(v, a01); a11 = d1v.fma(v, a11);
                v = FloatVector.fromArray(S, xp, xm + x2 + u);
                a02 = d0v.fma(v, a02); a12 = d1v.fma(v, a12);
                v = FloatVector.fromArray(S, xp, xm + x3 + u);
                a03 = d0v.fma(v, a03); a13 = d1v.fma(v, a13);
            }
        }
        a00.intoArray(acc, ao);
        a01.intoArray(acc, ao + L);
        a02.intoArray(acc, ao + 2 * L);
        a03.intoArray(acc, ao + 3 * L);
        a10.intoArray(acc, ao + 4 * L);
        a11.intoArray(acc, ao + 5 * L);
        a12.intoArray(acc, ao + 6 * L);
        a13.intoArray(acc, ao + 7 * L);
    }
}
