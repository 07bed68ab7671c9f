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
 * Direct convolution, vectorised over output channels (the oneDNN "direct" layout idea): for small images
 * and few filters, where im2col copies kh*kw values per output pixel and a GEMM with 20-64 rows does too
 * little work per copied value.
 *
 * <p>Per call the weights are repacked once into {@code [fPad / 2L][kh*kw*cIn taps][2L]} ({@code fPad} =
 * filters rounded up to 2 vectors, zero beyond them; where the last block would hold at most one vector of
 * filters and rows have 8+ pixels, it is one vector wide instead and runs 8 pixels at a time, see
 * {@link #padFor}). Per image the input is copied once, channels-last, into
 * a zero-bordered {@code [h+2ph][w+2pw][cIn]} buffer, so nothing tests borders; then for every block of 4
 * evenly spaced output pixels of a row the SGEMM's 4 x 2-vector microkernel shape runs per filter block with its
 * 4 broadcasts read straight from that buffer ({@code block4x2}): the taps of one kernel row (kw pixels x cIn
 * channels) are contiguous there and in the packed weights, so the inner loop has linear indices and C2
 * hoists its range checks (an earlier flat loop through a per-tap offset table kept a check per broadcast and
 * ran at half the speed; gathering the taps into a panel first cost a third of the time). The block lands in a
 * per-image {@code [pixels][fPad]} tile that is transposed to NCHW at the end (with the bias). The last,
 * partial block of a row is the row's last 4 pixels again (pixels computed twice get the same value: every
 * output element is always the same FMA chain); rows narrower than 4 gather their taps into a panel,
 * repeating their last pixel, into a scratch tile.
 *
 * <p>Backward-data of a stride-1 convolution is the same kernel: dx is the "full" correlation of dout
 * (padded by {@code d(k-1) - p}) with the kernel flipped and its channel axes swapped.
 *
 * <p>Backward-weights ({@link #backwardWeights}) is the same microkernel as a GEMM over the batch's pixels:
 * dW = dout x im2col(x)^T, for small images; with 8-64 input channels its vector side loads straight from a
 * channels-last copy of the input ({@link #channelsLastBackwardWeights}), else both operands are packed
 * pixel-major per chunk of whole images.
 *
 * <p>Every output element is one FMA chain over the taps (i, j, channel) in a fixed order, whatever the block it falls
 * in and whatever the thread count (threads split the batch), so results are bit-identical for any thread
 * count. Buffers are heap {@code float[]}s in a per-thread workspace, grown on demand and reused (C2 keeps
 * no per-broadcast bounds check on arrays, as the GEMM's packed panels found).
 *
 * <p>Supported: groups = 1, any stride / padding / dilation (forward); backward-data needs stride 1 and
 * {@code p <= d(k-1)}. Everything else (and the shapes where im2col + GEMM is faster) stays on
 * {@link VectorConv}'s im2col path; see {@link #forward} and {@link #backwardData} for the choice.
 */
final class DirectConv {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    /** Output pixels per register block. */
    private static final int PX = 4;
    /** Largest buffer (floats) the direct path will use per image or for the packed weights. */
    private static final long MAX_FLOATS = 1L << 26;
    /** "auto" (default), "direct" (wherever supported) or "im2col": a knob for measuring the choice. */
    static final String MODE = System.getProperty("tensorlane.conv.algo", "auto");

    private DirectConv() {
    }

    /** One thread's buffers. */
    static final class Workspace {
        final Scratch w = new Scratch();
        final Scratch x = new Scratch();
        final Scratch panel = new Scratch();
        final Scratch scratch = new Scratch();
        final Scratch gatherIndex = new Scratch();
        final Scratch ijOffs = new Scratch();
        final Scratch offs = new Scratch();
        final Scratch tile = new Scratch();
        final Scratch bpanel = new Scratch();
        /** The backward-weights sums, shared by the threads of one call (each writes its own rows). */
        final Scratch sums = new Scratch();
    }

    private static final ThreadLocal<Workspace> WORKSPACES = ThreadLocal.withInitial(Workspace::new);

    private static final int NR = 2 * L;

    /** Rounded up to a multiple of 2 vectors (the microkernel's filter block). */
    static int pad(long f) {
        return (int) ((f + NR - 1) / NR * NR);
    }

    /**
     * The vector axis as the forward and backward-data kernels lay it out, for output rows of {@code rowPixels}:
     * whole 2-vector blocks ({@link #pad}), except that when the last block would hold at most one vector of
     * real channels and the rows have at least 8 pixels, that block is one vector wide and runs as
     * {@link #block8x1}: LeNet-B's 50 filters as 48 + 8 lanes instead of 64 (28% of the multiply-adds were
     * padding).
     */
    static int padFor(long f, long rowPixels) {
        long rem = f % NR;
        return rem != 0 && rem <= L && rowPixels >= 2 * PX ? (int) (f - rem + L) : pad(f);
    }

    /**
     * Where weight (tap, channel ch) goes in the packed layout for fp channels: [ch / NR][taps][NR] for the whole
     * 2-vector blocks, then, when fp ends in a one-vector block ({@link #padFor}), [taps][L] for it.
     */
    private static int at(int tap, int ch, int taps, int fp) {
        int full = fp / NR * NR;
        return ch < full ? (ch / NR * taps + tap) * NR + ch % NR : full * taps + tap * L + ch - full;
    }

    /** Whether the direct kernel can run the forward of g (groups 1, buffers of a sane size). */
    static boolean supportsForward(ConvGeometry g) {
        if (g.groups() != 1 || g.pointwise()) return false;
        long hp = g.h() + 2L * g.padH(), wp = g.w() + 2L * g.padW();
        return g.c() * hp * wp <= MAX_FLOATS && g.outPlane() * pad(g.f()) <= MAX_FLOATS
                && g.colRows() * pad(g.f()) <= MAX_FLOATS;
    }

    /**
     * Whether the forward of g runs here rather than on im2col + GEMM: supported, and the GEMM would be
     * small in its filter dimension or its columns (measured: see docs/performance.md, conv section).
     */
    static boolean forward(ConvGeometry g) {
        if (!supportsForward(g) || MODE.equals("im2col")) return false;
        if (MODE.equals("direct")) return true;
        return preferred(g, g.f(), g.c());
    }

    /** Whether the backward-data kernel (a stride-1 forward on dout) can run for g. */
    static boolean supportsBackwardData(ConvGeometry g) {
        if (g.groups() != 1 || g.pointwise() || g.strideH() != 1 || g.strideW() != 1) return false;
        long qh = (long) g.dilationH() * (g.kh() - 1) - g.padH(), qw = (long) g.dilationW() * (g.kw() - 1) - g.padW();
        if (qh < 0 || qw < 0) return false;
        long hp = g.ho() + 2 * qh, wp = g.wo() + 2 * qw;
        return g.f() * hp * wp <= MAX_FLOATS && g.plane() * pad(g.c()) <= MAX_FLOATS
                && g.f() * g.kh() * g.kw() * pad(g.c()) <= MAX_FLOATS;
    }

    static boolean backwardData(ConvGeometry g) {
        if (!supportsBackwardData(g) || MODE.equals("im2col")) return false;
        if (MODE.equals("direct")) return true;
        // The forward's rule with the channel axes swapped (dx's channels on the vector axis, dout's summed).
        // Earlier same-run measurements had it no faster than im2col; on the current GEMM and with the
        // masked-load im2col fixed it took the digits CNN's 32->32 8x8 from 7.6 to 3.5 ms and 32->64 4x4 from
        // 3.4 to 1.8 ms (1 thread, docs/performance.md, train section).
        return preferred(g, g.c(), g.f());
    }

    /**
     * The measured rule (docs/performance.md, conv section; 1 thread, AVX2): direct won on the digits CNN's
     * 32->32 at 8x8 (5.6 vs 7.6 ms) and 32->64 at 4x4 (2.1 vs 5.4 ms) and on their backward-data, and lost
     * where the summed axis is short or the weights outgrow L1: 1 input channel (Digits 1->32: 0.62 vs
     * 0.34 ms, LeNet-A 4.3 vs 3.7: 9-25 taps per block are too little work for the per-image copy and
     * transpose), 500 taps (LeNet-B: 14.3 vs 11.9 ms, one filter block's weights are 32 KiB) and wasted
     * lanes (LeNet-A backward-data: 1 channel on the vector axis, 5x slower). Hence: images of at most
     * 32 x 32, at least 4 summed channels, at most 384 taps (c*kh*kw), and the vector axis a multiple of
     * the vector width, at most 128.
     */
    private static boolean preferred(ConvGeometry g, long out, long in) {
        long taps = in * g.kh() * g.kw();
        return g.plane() <= 32 * 32 && in >= 4 && taps <= 1024 && out <= 128 && 3L * pad(out) <= 4L * out;
    }

    // ------------------------------------------------------------------------------------ forward

    static void conv2d(ConvGeometry g, MemorySegment x, long xOff, MemorySegment w, long wOff,
                       MemorySegment b, long bOff, MemorySegment y, long yOff, Parallelism par) {
        int c = (int) g.c(), f = (int) g.f(), kh = g.kh(), kw = g.kw(), fp = padFor(f, g.wo());
        float[] wk = WORKSPACES.get().w.floats(c * kh * kw * fp);
        // wk[((i*kw+j)*c+ci)*fp + fi] = w[fi][ci][i][j]: taps in the order the kernels walk them
        for (int i = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
                for (int ci = 0; ci < c; ci++) {
                    int tap = (i * kw + j) * c + ci, taps = c * kh * kw;
                    for (int fi = 0; fi < f; fi++) {
                        wk[at(tap, fi, taps, fp)] = w.getAtIndex(JAVA_FLOAT, wOff + (((long) fi * c + ci) * kh + i) * kw + j);
                    }
                    for (int fi = f; fi < fp; fi++) wk[at(tap, fi, taps, fp)] = 0f;
                }
            }
        }
        Plane in = new Plane(c, (int) g.h(), (int) g.w(), g.padH(), g.padW());
        Plane out = new Plane(f, (int) g.ho(), (int) g.wo(), 0, 0);
        long xImg = g.c() * g.plane(), yImg = g.f() * g.outPlane();
        forImages(g.n(), par, n -> image(in, out, kh, kw, g.strideH(), g.strideW(), g.dilationH(), g.dilationW(),
                x, xOff + n * xImg, wk, fp, b, bOff, y, yOff + n * yImg));
    }

    /** Channels x rows x columns of an image and the zero border its padded copy gets. */
    record Plane(int ch, int h, int w, int ph, int pw) {
        int hp() {
            return h + 2 * ph;
        }

        int wp() {
            return w + 2 * pw;
        }
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
     * One image: out (out.ch, out.h, out.w) = correlation of in (zero-padded) with wk
     * ([kh][kw][in.ch][fp]), plus b (null: none).
     *
     * <p>The padded copy is channels-last ([hp][wp][ch]), so that the taps of a pixel that follow in the
     * weights' order mostly follow in memory too.
     */
    private static void image(Plane in, Plane out, int kh, int kw, int sh, int sw, int dh, int dw,
                              MemorySegment x, long xOff, float[] wk, int fp,
                              MemorySegment b, long bOff, MemorySegment y, long yOff) {
        Workspace ws = WORKSPACES.get();
        int ch = in.ch(), wp = in.wp();
        float[] xp = ws.x.floats(ch * in.hp() * wp);
        padCopy(in, x, xOff, xp);
        int ho = out.h(), wo = out.w(), p = ho * wo;
        float[] tile = ws.tile.floats(p * fp);
        int ps = sw * ch, taps = kh * kw * ch;
        // offs[(i*kw+j)*ch+c]: where tap (i, j, c) reads, relative to the block's first pixel. One flat loop
        // over all taps: nested loops over (i, j-run, c) were slower on LeNet-A (runs of 5) and no faster here.
        int[] offs = ws.offs.ints(taps);
        for (int i = 0, r = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
                for (int c = 0; c < ch; c++) offs[r++] = (i * dh * wp + j * dw) * ch + c;
            }
        }
        // per block of 4 pixels: their taps gathered into an L1 panel ap[tap*4 + px] (the block's im2col), then
        // the GEMM's 4 x 2-vector microkernel per filter block (its loop indices are linear: no range check
        // per broadcast). Rows narrower than 4 pixels repeat their last pixel and keep only the real rows.
        // runs of taps that are contiguous in the channels-last image and in the weights: a whole kernel row
        // (kw pixels x ch channels) at dilation 1, else one kernel position's channels; longer runs mean fewer
        // entries into the block's inner loop
        int positions = dw == 1 ? kh : kh * kw, run = dw == 1 ? kw * ch : ch;
        int[] ijOffs = ws.ijOffs.ints(positions);
        if (dw == 1) {
            for (int i = 0; i < kh; i++) ijOffs[i] = i * dh * wp * ch;
        } else {
            for (int i = 0, r = 0; i < kh; i++) {
                for (int j = 0; j < kw; j++) ijOffs[r++] = (i * dh * wp + j * dw) * ch;
            }
        }
        float[] ap = ws.panel.floats(4 * taps);
        float[] scratch = ws.scratch.floats(4 * fp);
        if (wo >= PX) {
            // blocks of 4 evenly spaced pixels of a row (the last one overlapping the previous where wo % 4 != 0),
            // broadcast straight from the image, no gathered panel (filter blocks outermost or innermost measured
            // the same on the digits CNN)
            int full = fp / NR * NR;
            for (int fb = 0; fb < full; fb += NR) {
                for (int oh = 0; oh < ho; oh++) {
                    int xRow = oh * sh * wp * ch;
                    for (int ow = 0; ow < wo; ow += PX) {
                        int o = Math.min(ow, wo - PX);
                        block4x2(xp, xRow + o * ps, ps, positions, run, ijOffs, wk, fb * taps, tile, (oh * wo + o) * fp + fb, fp);
                    }
                }
            }
            if (full < fp) { // the one-vector last block (padFor: rows of at least 8 pixels), 8 pixels at a time
                for (int oh = 0; oh < ho; oh++) {
                    int xRow = oh * sh * wp * ch;
                    for (int ow = 0; ow < wo; ow += 2 * PX) {
                        int o = Math.min(ow, wo - 2 * PX);
                        block8x1(xp, xRow + o * ps, ps, positions, run, ijOffs, wk, full * taps, tile, (oh * wo + o) * fp + full, fp);
                    }
                }
            }
        } else {
            // rows narrower than 4 pixels: the row's taps gathered into a panel, its last pixel repeated
            for (int oh = 0; oh < ho; oh++) {
                int xRow = oh * sh * wp * ch;
                int x0 = xRow, x1 = xRow + Math.min(1, wo - 1) * ps, x2 = xRow + Math.min(2, wo - 1) * ps;
                int x3 = xRow + Math.min(3, wo - 1) * ps;
                gather(xp, x0, x1, x2, x3, offs, taps, ap);
                for (int fb = 0; fb < fp; fb += NR) {
                    GemmMicrokernels.kernel4x2(taps, ap, 0, wk, fb * taps, scratch, fb, fp, false);
                }
                System.arraycopy(scratch, 0, tile, oh * wo * fp, wo * fp);
            }
        }
        // [p][fp] -> y[f][p] (+ bias, added after the sum as the twin does): a vector gathers L pixels of one
        // filter (stride fp in the tile); an element-wise loop with a segment store per value was 10% of the forward
        int[] idx = ws.gatherIndex.ints(p);
        for (int q = 0; q < p; q++) idx[q] = q * fp;
        for (int fi = 0; fi < out.ch(); fi++) {
            long row = yOff + (long) fi * p;
            float bias = b == null ? 0f : b.getAtIndex(JAVA_FLOAT, bOff + fi);
            int q = 0;
            for (; q + L <= p; q += L) {
                FloatVector v = FloatVector.fromArray(S, tile, fi, idx, q);
                if (b != null) v = v.add(bias);
                v.intoMemorySegment(y, (row + q) * Float.BYTES, NO);
            }
            for (; q < p; q++) y.setAtIndex(JAVA_FLOAT, row + q, b == null ? tile[q * fp + fi] : tile[q * fp + fi] + bias);
        }
    }

    /**
     * tile[to + px*ts + j] = sum over runs r and taps c of a run of xp[s0 + px*ps + ijOffs[r] + c] *
     * wk[wo + (r*run + c)*NR + j], for 4 pixels px spaced ps apart and NR filters: the microkernel of
     * {@link GemmMicrokernels#kernel4x2} with its A values broadcast straight from the channels-last image.
     * The run loop's indices are linear (C2 hoists its range checks); the taps are summed in the same
     * order as the gathered-panel path, so either path gives the same bits.
     */
    private static void block4x2(float[] xp, int s0, int ps, int runs, int run, int[] ijOffs,
                                 float[] wk, int wo, float[] tile, int to, int ts) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int r = 0; r < runs; r++) {
            int s = s0 + ijOffs[r], t = wo + r * run * NR;
            for (int c = 0; c < run; c++) {
                int bi = t + c * NR, a = s + c;
                FloatVector b0 = FloatVector.fromArray(S, wk, bi);
                FloatVector b1 = FloatVector.fromArray(S, wk, bi + L);
                FloatVector a0 = FloatVector.broadcast(S, xp[a]);
                c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
                FloatVector a1 = FloatVector.broadcast(S, xp[a + ps]);
                c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
                FloatVector a2 = FloatVector.broadcast(S, xp[a + 2 * ps]);
                c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
                FloatVector a3 = FloatVector.broadcast(S, xp[a + 3 * ps]);
                c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
            }
        }
        c00.intoArray(tile, to);
        c01.intoArray(tile, to + L);
        c10.intoArray(tile, to + ts);
        c11.intoArray(tile, to + ts + L);
        c20.intoArray(tile, to + 2 * ts);
        c21.intoArray(tile, to + 2 * ts + L);
        c30.intoArray(tile, to + 3 * ts);
        c31.intoArray(tile, to + 3 * ts + L);
    }

    /**
     * {@link #block4x2} for 8 pixels spaced ps apart and one vector of filters (the last block of {@link #padFor}:
     * weights [taps][L] from wo): 8 accumulators, so the FMA latency stays hidden as with 4 x 2 vectors, at half
     * the lanes. Each output element is the same FMA chain over the taps as in block4x2.
     */
    private static void block8x1(float[] xp, int s0, int ps, int runs, int run, int[] ijOffs,
                                 float[] wk, int wo, float[] tile, int to, int ts) {
        FloatVector c0 = FloatVector.zero(S), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0;
        for (int r = 0; r < runs; r++) {
            int s = s0 + ijOffs[r], t = wo + r * run * L;
            for (int c = 0; c < run; c++) {
                int a = s + c;
                FloatVector b = FloatVector.fromArray(S, wk, t + c * L);
                c0 = FloatVector.broadcast(S, xp[a]).fma(b, c0);
                c1 = FloatVector.broadcast(S, xp[a + ps]).fma(b, c1);
                c2 = FloatVector.broadcast(S, xp[a + 2 * ps]).fma(b, c2);
                c3 = FloatVector.broadcast(S, xp[a + 3 * ps]).fma(b, c3);
                c4 = FloatVector.broadcast(S, xp[a + 4 * ps]).fma(b, c4);
                c5 = FloatVector.broadcast(S, xp[a + 5 * ps]).fma(b, c5);
                c6 = FloatVector.broadcast(S, xp[a + 6 * ps]).fma(b, c6);
                c7 = FloatVector.broadcast(S, xp[a + 7 * ps]).fma(b, c7);
            }
        }
        c0.intoArray(tile, to);
        c1.intoArray(tile, to + ts);
        c2.intoArray(tile, to + 2 * ts);
        c3.intoArray(tile, to + 3 * ts);
        c4.intoArray(tile, to + 4 * ts);
        c5.intoArray(tile, to + 5 * ts);
        c6.intoArray(tile, to + 6 * ts);
        c7.intoArray(tile, to + 7 * ts);
    }

    /** xp ([hp][wp][ch]) = the image (ch, h, w) channels-last with a zero border of ph rows / pw columns. */
    private static void padCopy(Plane in, MemorySegment x, long xOff, float[] xp) {
        int ch = in.ch(), h = in.h(), w = in.w(), wp = in.wp(), ph = in.ph(), pw = in.pw();
        if (ph > 0 || pw > 0) Arrays.fill(xp, 0, ch * in.hp() * wp, 0f);
        long s = xOff;
        for (int c = 0; c < ch; c++) {
            for (int r = 0; r < h; r++) {
                int d = ((r + ph) * wp + pw) * ch + c;
                for (int q = 0; q < w; q++, d += ch) xp[d] = x.getAtIndex(JAVA_FLOAT, s++);
            }
        }
    }

    /** ap[r*4 + px] = xp[x_px + offs[r]]: the taps of 4 pixels, interleaved as the microkernel reads them. */
    private static void gather(float[] xp, int x0, int x1, int x2, int x3, int[] offs, int taps, float[] ap) {
        for (int r = 0; r < taps; r++) {
            int d = offs[r], a = 4 * r;
            ap[a] = xp[x0 + d];
            ap[a + 1] = xp[x1 + d];
            ap[a + 2] = xp[x2 + d];
            ap[a + 3] = xp[x3 + d];
        }
    }

    // ------------------------------------------------------------------------------------ backward data

    /**
     * dx = the stride-1 correlation of dout, zero-padded by q = d(k-1) - p, with wk'[f][i'][j'][c] =
     * w[f][c][kh-1-i'][kw-1-j'] at the same dilation: dx[c][y][x] = sum over (f, i', j') of
     * dout[f][y - q + i'd][x - q + j'd] * w[f][c][kh-1-i'][kw-1-j'] (that is oh = y + p - i*d).
     */
    static void backwardData(ConvGeometry g, MemorySegment dout, long dOff, MemorySegment w, long wOff,
                             MemorySegment dx, long dxOff, Parallelism par) {
        int c = (int) g.c(), f = (int) g.f(), kh = g.kh(), kw = g.kw(), cp = padFor(c, g.w());
        float[] wk = WORKSPACES.get().w.floats(f * kh * kw * cp);
        // wk[((i'*kw+j')*f+fi)*cp + ci] = w[fi][ci][kh-1-i'][kw-1-j']
        for (int i = 0; i < kh; i++) {
            for (int j = 0; j < kw; j++) {
                for (int fi = 0; fi < f; fi++) {
                    int tap = ((kh - 1 - i) * kw + (kw - 1 - j)) * f + fi, taps = f * kh * kw;
                    for (int ci = 0; ci < c; ci++) {
                        wk[at(tap, ci, taps, cp)] = w.getAtIndex(JAVA_FLOAT, wOff + (((long) fi * c + ci) * kh + i) * kw + j);
                    }
                    for (int ci = c; ci < cp; ci++) wk[at(tap, ci, taps, cp)] = 0f;
                }
            }
        }
        int qh = g.dilationH() * (kh - 1) - g.padH(), qw = g.dilationW() * (kw - 1) - g.padW();
        Plane in = new Plane(f, (int) g.ho(), (int) g.wo(), qh, qw);
        Plane out = new Plane(c, (int) g.h(), (int) g.w(), 0, 0);
        long xImg = g.c() * g.plane(), yImg = g.f() * g.outPlane();
        forImages(g.n(), par, n -> image(in, out, kh, kw, 1, 1, g.dilationH(), g.dilationW(),
                dout, dOff + n * yImg, wk, cp, null, 0, dx, dxOff + n * xImg));
    }

    // ------------------------------------------------------------------------------------ backward weights

    /** Pixels (of whole images) per pass of the microkernel over the packed panels: their B panel stays in L1/L2. */
    private static final int BW_PIXELS = 256;

    /**
     * Pixels (of whole images) per chunk of the channels-last backward-weights: the chunk's input copy stays in
     * L1 (64 pixels of the digits CNN's 4x4 maps: 4 images, 18 KiB; 1.2x faster than 256 there, 1.05-1.1x on
     * its 8x8, same-JVM pairs).
     */
    private static final int CL_PIXELS = 64;

    /** Whether the direct backward-weights kernel can run for g (groups 1, buffers of a sane size). */
    static boolean supportsBackwardWeights(ConvGeometry g) {
        if (g.groups() != 1 || g.pointwise()) return false;
        long hp = g.h() + 2L * g.padH(), wp = g.w() + 2L * g.padW();
        long kc = Math.max(g.outPlane(), BW_PIXELS);
        long rows = Math.max(pad(g.f()), pad(g.colRows()));
        return g.c() * hp * wp <= MAX_FLOATS && rows * kc <= MAX_FLOATS && rows * rows <= MAX_FLOATS;
    }

    /**
     * Whether backward-weights runs here rather than on im2col + GEMM: small images (at most 32 x 32 output
     * pixels), where the GEMM's operands (a transposed im2col block per few images, summed over the batch
     * with beta = 1) are short and thin and im2col + packing cost more than the products (measured:
     * docs/performance.md, train section).
     */
    static boolean backwardWeights(ConvGeometry g) {
        if (!supportsBackwardWeights(g) || MODE.equals("im2col")) return false;
        if (MODE.equals("direct")) return true;
        return g.outPlane() <= 32 * 32;
    }

    /**
     * dw (F, C, kh, kw) = sum over images and output pixels of dout[n][f][p] * x[n][c][tap(p)], overwritten: a
     * GEMM over the pixels of the whole batch, dW = D X^T with D = dout (F x pixels) and X = the im2col matrix
     * (C*kh*kw taps x pixels), run straight on the microkernel. Taps and filters go on whichever of the
     * microkernel's axes (4 broadcast rows, 2 vectors of columns) wastes fewer padded lanes (LeNet's 6 filters
     * x 25 taps: filters as rows). Per chunk of whole images (about {@value #BW_PIXELS} pixels) both
     * operands are packed pixel-major ({@code panel[p*R + r]}): the column side once for the chunk, the row
     * side 4 rows at a time just before use, the image read from a zero-bordered copy (no border tests).
     * Every sum continues in the tile from the previous chunk (the microkernel's load), so each dW element is
     * one FMA chain over all pixels in order: the same whatever the chunking and the thread count (threads
     * take blocks of rows).
     */
    static void backwardWeights(ConvGeometry g, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                MemorySegment dw, long dwOff, Parallelism par) {
        int f = (int) g.f(), taps = (int) g.colRows(), p = (int) g.outPlane();
        if (g.n() == 0) {
            dw.asSlice(dwOff * Float.BYTES, g.wSize() * Float.BYTES).fill((byte) 0);
            return;
        }
        if (channelsLastWeights(g)) {
            channelsLastBackwardWeights(g, x, xOff, dout, dOff, dw, dwOff, par);
            return;
        }
        // rows (broadcast, 4 at a time) and columns (vectors, NR at a time): the assignment wasting fewer lanes
        boolean tapsAsRows = (long) pad4(taps) * pad(f) <= (long) pad4(f) * pad(taps);
        int rows = tapsAsRows ? taps : f, cols = tapsAsRows ? f : taps;
        int rp = pad4(rows), cp = pad(cols);
        int per = Math.max(1, BW_PIXELS / p);
        float[] sums = WORKSPACES.get().sums.floats(rp * cp);
        int blocks = rp / 4;
        Plane in = new Plane((int) g.c(), (int) g.h(), (int) g.w(), g.padH(), g.padW());
        BlockRange body = (b0, b1) -> bwBlocks(g, in, x, xOff, dout, dOff, tapsAsRows, rows, cols, cp, per, sums, b0, b1);
        if (par.isSingle() || blocks < 2) {
            body.run(0, blocks);
        } else {
            par.parallelFor(0, blocks, 1, (from, to) -> body.run((int) from, (int) to));
        }
        // sums [rows][cp] -> dw[f][tap]
        for (int fi = 0; fi < f; fi++) {
            for (int t = 0; t < taps; t++) {
                float v = tapsAsRows ? sums[t * cp + fi] : sums[fi * cp + t];
                dw.setAtIndex(JAVA_FLOAT, dwOff + (long) fi * taps + t, v);
            }
        }
    }

    /**
     * Whether backward-weights takes the channels-last path ({@link #channelsLastBackwardWeights}): 8 to 64
     * input channels with at most a quarter of the vector lanes wasted on rounding them up (measured on the
     * digits CNN's 32-channel layers; fewer channels keep the GEMM over pixels, whose taps fill the lanes, and
     * so do more: Deep-3x3's 256 channels at 14x14, whose channels-last image no longer fits L1, was not
     * shown to gain).
     */
    static boolean channelsLastWeights(ConvGeometry g) {
        long c = g.c();
        return c >= 8 && c <= 64 && 3L * pad(c) <= 4L * c
                && (long) pad4((int) g.f()) * g.kh() * g.kw() * pad(c) <= MAX_FLOATS;
    }

    /**
     * Backward-weights without an im2col panel: with the input copied channels-last (channel stride cp =
     * channels rounded up to 2 vectors, zero beyond them, zero border), the NR channels of one kernel position
     * (i, j) at one output pixel are one contiguous pair of vectors, so the microkernel's vector side loads
     * straight from the copy and its 4 broadcast rows are 4 filters' dout, packed pixel-major per chunk of
     * whole images. Sums live in a [pad4(f)][kh*kw][cp] tile; each dW element is one FMA chain over the
     * batch's pixels in order (images, rows, columns), whatever the chunking and the thread count (threads
     * take blocks of 4 filters).
     */
    static void channelsLastBackwardWeights(ConvGeometry g, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                            MemorySegment dw, long dwOff, Parallelism par) {
        int f = (int) g.f(), c = (int) g.c(), p = (int) g.outPlane(), positions = g.kh() * g.kw();
        int cp = pad(c), ts = positions * cp, blocks = pad4(f) / 4;
        int per = Math.max(1, CL_PIXELS / p);
        float[] sums = WORKSPACES.get().sums.floats(blocks * 4 * ts);
        BlockRange body = (b0, b1) -> clBlocks(g, x, xOff, dout, dOff, cp, ts, per, sums, b0, b1);
        if (par.isSingle() || blocks < 2) {
            body.run(0, blocks);
        } else {
            par.parallelFor(0, blocks, 1, (from, to) -> body.run((int) from, (int) to));
        }
        // sums [f][i*kw+j][cp] -> dw[f][c][i][j]
        for (int fi = 0; fi < f; fi++) {
            for (int ci = 0; ci < c; ci++) {
                for (int r = 0; r < positions; r++) {
                    dw.setAtIndex(JAVA_FLOAT, dwOff + ((long) fi * c + ci) * positions + r, sums[fi * ts + r * cp + ci]);
                }
            }
        }
    }

    /** Filter blocks [b0, b1) of the channels-last backward-weights sums, over every chunk of images in order. */
    private static void clBlocks(ConvGeometry g, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                 int cp, int ts, int per, float[] sums, int b0, int b1) {
        Workspace ws = WORKSPACES.get();
        int p = (int) g.outPlane(), f = (int) g.f(), kh = g.kh(), kw = g.kw();
        int ho = (int) g.ho(), wo = (int) g.wo();
        long n = g.n(), xImg = g.c() * g.plane(), yImg = (long) f * p;
        Plane in = new Plane((int) g.c(), (int) g.h(), (int) g.w(), g.padH(), g.padW());
        int wp = in.wp(), img = in.hp() * wp * cp;
        int rowStep = g.strideH() * wp * cp, ps = g.strideW() * cp;
        float[] xcl = ws.x.floats(per * img);
        float[] ap = ws.panel.floats(per * p * 4);
        // pix[q]: where the chunk's output pixel q reads in xcl, relative to the kernel position's offset
        int[] pix = ws.offs.ints(per * p);
        for (int im = 0, q = 0; im < per; im++) {
            for (int oh = 0; oh < ho; oh++) {
                for (int ow = 0; ow < wo; ow++) pix[q++] = im * img + oh * rowStep + ow * ps;
            }
        }
        for (long n0 = 0; n0 < n; n0 += per) {
            int imgs = (int) Math.min(per, n - n0);
            for (int j = 0; j < imgs; j++) padCopyChannelsLast(in, cp, x, xOff + (n0 + j) * xImg, xcl, j * img);
            long d0 = dOff + n0 * yImg;
            boolean load = n0 > 0;
            for (int blk = b0; blk < b1; blk++) {
                int f0 = blk * 4;
                packDout(dout, d0, imgs, p, f, f0, 4, ap, 0);
                for (int i = 0; i < kh; i++) {
                    for (int j = 0; j < kw; j++) {
                        int r = i * kw + j, tap = (i * g.dilationH() * wp + j * g.dilationW()) * cp;
                        for (int c0 = 0; c0 < cp; c0 += NR) {
                            clKernel(xcl, tap + c0, pix, imgs * p, ap, sums, f0 * ts + r * cp + c0, ts, load);
                        }
                    }
                }
            }
        }
    }

    /**
     * tile[to + row*ts + j] (+)= sum over the chunk's pixels q of ap[q*4 + row] * xcl[pixel(q) + s0 + j] for 4
     * rows and NR columns, pixel(q) walking images (img floats apart), output rows (rowStep) and columns (ps).
     */
    private static void clKernel(float[] xcl, int s0, int[] pix, int kc, float[] ap, float[] tile, int to, int ts, boolean load) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31;
        if (load) {
            c00 = FloatVector.fromArray(S, tile, to);
            c01 = FloatVector.fromArray(S, tile, to + L);
            c10 = FloatVector.fromArray(S, tile, to + ts);
            c11 = FloatVector.fromArray(S, tile, to + ts + L);
            c20 = FloatVector.fromArray(S, tile, to + 2 * ts);
            c21 = FloatVector.fromArray(S, tile, to + 2 * ts + L);
            c30 = FloatVector.fromArray(S, tile, to + 3 * ts);
            c31 = FloatVector.fromArray(S, tile, to + 3 * ts + L);
        } else {
            c00 = FloatVector.zero(S);
            c01 = c00; c10 = c00; c11 = c00; c20 = c00; c21 = c00; c30 = c00; c31 = c00;
        }
        {
            {
                for (int k = 0; k < kc; k++) {
                    int s = s0 + pix[k], q = 4 * k;
                    FloatVector b0 = FloatVector.fromArray(S, xcl, s);
                    FloatVector b1 = FloatVector.fromArray(S, xcl, s + L);
                    FloatVector a0 = FloatVector.broadcast(S, ap[q]);
                    c00 = a0.fma(b0, c00); c01 = a0.fma(b1, c01);
                    FloatVector a1 = FloatVector.broadcast(S, ap[q + 1]);
                    c10 = a1.fma(b0, c10); c11 = a1.fma(b1, c11);
                    FloatVector a2 = FloatVector.broadcast(S, ap[q + 2]);
                    c20 = a2.fma(b0, c20); c21 = a2.fma(b1, c21);
                    FloatVector a3 = FloatVector.broadcast(S, ap[q + 3]);
                    c30 = a3.fma(b0, c30); c31 = a3.fma(b1, c31);
                }
            }
        }
        c00.intoArray(tile, to);
        c01.intoArray(tile, to + L);
        c10.intoArray(tile, to + ts);
        c11.intoArray(tile, to + ts + L);
        c20.intoArray(tile, to + 2 * ts);
        c21.intoArray(tile, to + 2 * ts + L);
        c30.intoArray(tile, to + 3 * ts);
        c31.intoArray(tile, to + 3 * ts + L);
    }

    /** xcl[dst ..] ([hp][wp][cp]) = one image (ch, h, w) channels-last, zero border and zero channels [ch, cp). */
    private static void padCopyChannelsLast(Plane in, int cp, MemorySegment x, long xOff, float[] xcl, int dst) {
        int ch = in.ch(), h = in.h(), w = in.w(), wp = in.wp(), ph = in.ph(), pw = in.pw();
        Arrays.fill(xcl, dst, dst + in.hp() * wp * cp, 0f);
        long s = xOff;
        for (int c = 0; c < ch; c++) {
            for (int r = 0; r < h; r++) {
                int d = dst + ((r + ph) * wp + pw) * cp + c;
                for (int q = 0; q < w; q++, d += cp) xcl[d] = x.getAtIndex(JAVA_FLOAT, s++);
            }
        }
    }

    @FunctionalInterface
    private interface BlockRange {
        void run(int b0, int b1);
    }

    private static int pad4(int n) {
        return (n + 3) / 4 * 4;
    }

    /** Row blocks [b0, b1) of the backward-weights sums, over every chunk of images in order. */
    private static void bwBlocks(ConvGeometry g, Plane in, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                 boolean tapsAsRows, int rows, int cols, int cp, int per, float[] sums, int b0, int b1) {
        Workspace ws = WORKSPACES.get();
        int p = (int) g.outPlane(), f = (int) g.f();
        long n = g.n(), xImg = g.c() * g.plane(), yImg = (long) f * p;
        int hp = in.hp(), wp = in.wp(), chw = in.ch() * hp * wp;
        float[] xp = ws.x.floats(per * chw);
        float[] bp = ws.bpanel.floats(per * p * cp);
        float[] ap = ws.panel.floats(per * p * 4);
        for (long n0 = 0; n0 < n; n0 += per) {
            int imgs = (int) Math.min(per, n - n0), kc = imgs * p;
            for (int j = 0; j < imgs; j++) padCopyNchw(in, x, xOff + (n0 + j) * xImg, xp, j * chw);
            long d0 = dOff + n0 * yImg;
            // the column side for the whole chunk: [cp / NR][kc][NR]
            for (int c0 = 0; c0 < cp; c0 += NR) {
                int off = c0 * kc;
                if (tapsAsRows) packDout(dout, d0, imgs, p, f, c0, NR, bp, off);
                else packTaps(g, in, xp, chw, imgs, c0, NR, cols, bp, off);
            }
            boolean load = n0 > 0;
            for (int blk = b0; blk < b1; blk++) {
                int r0 = blk * 4;
                if (tapsAsRows) packTaps(g, in, xp, chw, imgs, r0, 4, rows, ap, 0);
                else packDout(dout, d0, imgs, p, f, r0, 4, ap, 0);
                for (int c0 = 0; c0 < cp; c0 += NR) {
                    GemmMicrokernels.kernel4x2(kc, ap, 0, bp, c0 * kc, sums, r0 * cp + c0, cp, load);
                }
            }
        }
    }

    /** xp[dst ..] = one image (ch, h, w), NCHW, with a zero border of ph rows / pw columns. */
    private static void padCopyNchw(Plane in, MemorySegment x, long xOff, float[] xp, int dst) {
        int ch = in.ch(), h = in.h(), w = in.w(), hp = in.hp(), wp = in.wp(), ph = in.ph(), pw = in.pw();
        if (ph > 0 || pw > 0) Arrays.fill(xp, dst, dst + ch * hp * wp, 0f);
        long s = xOff;
        for (int c = 0; c < ch; c++) {
            for (int r = 0; r < h; r++) {
                int d = dst + (c * hp + r + ph) * wp + pw;
                MemorySegment.copy(x, JAVA_FLOAT, s * Float.BYTES, xp, d, w);
                s += w;
            }
        }
    }

    /**
     * panel[off + q*width + (t - t0)] = im2col value of tap t at the chunk's pixel q, for taps [t0, t0 + width)
     * (zero for t >= taps): read from the zero-bordered copies in xp.
     */
    private static void packTaps(ConvGeometry g, Plane in, float[] xp, int chw, int imgs, int t0, int width, int taps,
                                 float[] panel, int off) {
        int kh = g.kh(), kw = g.kw(), sh = g.strideH(), sw = g.strideW(), dh = g.dilationH(), dwl = g.dilationW();
        int ho = (int) g.ho(), wo = (int) g.wo(), hp = in.hp(), wp = in.wp(), p = ho * wo;
        for (int r = 0; r < width; r++) {
            int t = t0 + r;
            if (t >= taps) {
                for (int q = 0, d = off + r; q < imgs * p; q++, d += width) panel[d] = 0f;
                continue;
            }
            int c = t / (kh * kw), i = (t / kw) % kh, j = t % kw;
            for (int im = 0; im < imgs; im++) {
                int src0 = im * chw + (c * hp + i * dh) * wp + j * dwl;
                int d = off + im * p * width + r;
                for (int oh = 0; oh < ho; oh++) {
                    int s = src0 + oh * sh * wp;
                    for (int ow = 0; ow < wo; ow++, s += sw, d += width) panel[d] = xp[s];
                }
            }
        }
    }

    /** panel[off + q*width + (fi - f0)] = dout of filter fi at the chunk's pixel q, filters [f0, f0 + width) (zero for fi >= f). */
    private static void packDout(MemorySegment dout, long d0, int imgs, int p, int f, int f0, int width, float[] panel, int off) {
        for (int r = 0; r < width; r++) {
            int fi = f0 + r;
            if (fi >= f) {
                for (int q = 0, d = off + r; q < imgs * p; q++, d += width) panel[d] = 0f;
                continue;
            }
            for (int im = 0; im < imgs; im++) {
                long s = d0 + ((long) im * f + fi) * p;
                int d = off + im * p * width + r;
                for (int q = 0; q < p; q++, d += width) panel[d] = dout.getAtIndex(JAVA_FLOAT, s + q);
            }
        }
    }
}
