package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.Pool2dDesc;
import io.tensorlane.kernels.PoolKernels;
import io.tensorlane.kernels.RoiPoolDesc;
import io.tensorlane.kernels.ref.ScalarPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Vector API pooling. Max and average pooling vectorise over output columns: for stride 1 each
 * window column is one contiguous load, for stride 2 two loads whose even lanes are picked with a
 * two-vector {@code rearrange}, for strides 3 and 4 three or four loads combined by two two-vector
 * rearranges and a blend (no reinterpret casts, no per-lane gathers). The 2x2 stride-2 max pool, the
 * hot case of CNNs, has its own loop that reads two input rows and writes one output row (values and
 * argmax) per step, and for narrow planes (w at most one vector: the 8x8 and 4x4 maps of small CNNs) a
 * flat loop over all planes that writes L outputs per step. Windows are visited in the same row-major
 * order with the same float operations as {@link ScalarPool}, so max/avg results are bit-identical to the
 * twin; columns whose window touches the padding or the ragged right end, and strides above 4, run the
 * twin's scalar loop.
 *
 * <p>Average-pool backward is a gather over dx columns (see {@link #avgPool2dBackward}) for strides
 * up to 4, bit-identical to the twin's scatter; larger strides run the twin's loop. Max-pool backward
 * is the twin's scatter (one element per output), for small planes one fill and one flat loop per group
 * of planes; the vector alternatives measured slower (see {@link #maxPool2dBackward}).
 *
 * <p>Max unpooling and ROI pooling stay scalar (delegated to the twin): they are data-dependent
 * scatters/gathers (AVX2 has no scatter; a gather of one element per lane does not beat scalar
 * loads here) over windows whose size varies per bin.
 */
public final class VectorPool implements PoolKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final VectorSpecies<Integer> SI = VectorWidth.INT;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final long F = Float.BYTES;

    // strided gathers of the forward (strides 3 and 4): lane t takes element s*t of s consecutive vector
    // loads, picked by two two-input shuffles and a blend (no reinterpret casts, no per-lane gathers)
    private static final VectorShuffle<Float> S3_LO = VectorShuffle.fromOp(S, t -> 3 * t < 2 * L ? 3 * t : 0);
    private static final VectorShuffle<Float> S3_HI = VectorShuffle.fromOp(S, t -> 3 * t >= 2 * L ? 3 * t - L : 0);
    private static final VectorMask<Float> S3_UPPER = VectorMask.fromLong(S, -1L << ((2 * L + 2) / 3));
    private static final VectorShuffle<Float> S4_LO = VectorShuffle.fromOp(S, t -> 4 * t < 2 * L ? 4 * t : 0);
    private static final VectorShuffle<Float> S4_HI = VectorShuffle.fromOp(S, t -> 4 * t >= 2 * L ? 4 * t - 2 * L : 0);
    private static final VectorMask<Float> UPPER_HALF = VectorMask.fromLong(S, -1L << (L / 2));
    // stride-2 backward: lane i of a block's low/high dx vector takes gs element i/2 / (L+i)/2; even lanes
    private static final VectorShuffle<Float> EXPAND2_LO = VectorShuffle.fromOp(S, i -> i / 2);
    private static final VectorShuffle<Float> EXPAND2_HI = VectorShuffle.fromOp(S, i -> (L + i) / 2);
    private static final VectorMask<Float> EVEN_LANES = VectorMask.fromLong(S, 0x5555_5555_5555_5555L);
    /** Widest stride the vector loops handle (forward gathers and backward expansions). */
    /** Even / odd lanes of two vectors (two-vector rearrange) and of one vector (lanes below L/2). */
    private static final VectorShuffle<Float> EVEN2 = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD2 = VectorShuffle.fromOp(S, i -> 2 * i + 1);
    private static final VectorShuffle<Float> EVEN1 = VectorShuffle.fromOp(S, i -> (2 * i) & (L - 1));
    private static final VectorShuffle<Float> ODD1 = VectorShuffle.fromOp(S, i -> (2 * i + 1) & (L - 1));
    private static final int MAX_STRIDE = 4;
    /** Planes below this many elements take the grouped max-pool backward (see {@link #maxPool2dBackward}). */
    static final long SMALL_PLANE = 256;

    private final ScalarPool scalar = new ScalarPool();

    // ------------------------------------------------------------------ max pool forward

    @Override
    public void maxPool2d(long planes, long h, long w, Pool2dDesc d, MemorySegment x, long xOff,
                          MemorySegment out, long outOff, MemorySegment idx, long idxOff) {
        if (d.isTwoByTwoStrideTwo() && w < 1 << 24) { // offsets in float lanes: exact below 2^24
            long done = narrowPlanes(h, w) ? maxPool2x2s2Narrow(planes, h, w, x, xOff, out, outOff, idx, idxOff) : 0;
            if (done < planes) {
                long ohw = (h / 2) * (w / 2);
                maxPool2x2s2(planes - done, h, w, x, xOff + done * h * w, out, outOff + done * ohw, idx, idxOff + done * ohw);
            }
            return;
        }
        long oh = d.outH(h), ow = d.outW(w);
        long[] span = interior(d.strideW(), d.kernelW(), d.padW(), w, ow);
        long j0 = span[0], j1 = span[1];
        for (long p = 0; p < planes; p++) {
            long xb = xOff + p * h * w, ob = p * oh * ow;
            for (long i = 0; i < oh; i++) {
                long r0 = i * d.strideH() - d.padH(), r1 = Math.min(r0 + d.kernelH(), h);
                r0 = Math.max(r0, 0);
                long oo = ob + i * ow;
                for (long j = 0; j < j0; j++) maxWindow(d, w, x, xb, r0, r1, j, out, outOff + oo + j, idx, idxOff + oo + j);
                long j = j0;
                if (d.strideW() == 1) {
                    j = maxRowStride1(x, xb, w, r0, r1, d.kernelW(), d.padW(), j0, j1, out, outOff + oo, idx, idxOff + oo);
                } else if (d.strideW() == 2) {
                    j = maxRowStride2(x, xb, w, r0, r1, d.kernelW(), d.padW(), j0, j1, out, outOff + oo, idx, idxOff + oo);
                } else if (j1 > j0) {
                    j = maxRowStrided(x, xb, w, r0, r1, d.kernelW(), d.padW(), d.strideW(), j0, j1, out, outOff + oo,
                            idx, idxOff + oo);
                }
                for (; j < ow; j++) maxWindow(d, w, x, xb, r0, r1, j, out, outOff + oo + j, idx, idxOff + oo + j);
            }
        }
    }

    /**
     * Output columns [j0, j1) whose window lies inside the row for strides 1 to {@value #MAX_STRIDE},
     * limited so the vector loads stay inside the row (a stride-s gather reads s-1 columns past the
     * last window column); {0, 0} for other strides (all scalar).
     */
    private static long[] interior(int sw, int kw, int pw, long w, long ow) {
        if (sw > MAX_STRIDE) return new long[] {0, 0};
        long j0 = (pw + sw - 1) / sw;                      // first j with j*sw - pw >= 0
        long lastCol = kw - 1 + (sw - 1);                  // highest column offset a load touches
        // j*sw - pw + lastCol + sw*(L-1) < w for the whole vector; scalar loop takes the rest
        long limit = w - lastCol + pw - (long) sw * (L - 1); // a vector may start at j when j*sw < limit
        long j1 = j0;
        if (limit > 0) {
            long startEnd = (limit - 1) / sw + 1;              // first j that may not start a vector
            // whole vectors from j0 whose start is below startEnd and whose L outputs exist
            long n = startEnd > j0 ? Math.min((startEnd - j0 - 1) / L + 1, (ow - j0) / L) : 0;
            j1 = j0 + Math.max(0, n) * L;
        }
        return new long[] {j0, j1};
    }

    /** The twin's loop for one output element (edges and tails). */
    private static void maxWindow(Pool2dDesc d, long w, MemorySegment x, long xb, long r0, long r1, long j,
                                  MemorySegment out, long o, MemorySegment idx, long io) {
        long c0 = j * d.strideW() - d.padW(), c1 = Math.min(c0 + d.kernelW(), w);
        c0 = Math.max(c0, 0);
        float best = Float.NEGATIVE_INFINITY;
        long bi = r0 * w + c0;
        for (long r = r0; r < r1; r++) {
            for (long c = c0; c < c1; c++) {
                float v = x.getAtIndex(JAVA_FLOAT, xb + r * w + c);
                if (v > best || v != v) {
                    best = v;
                    bi = r * w + c;
                }
            }
        }
        out.setAtIndex(JAVA_FLOAT, o, best);
        idx.setAtIndex(JAVA_INT, io, (int) bi);
    }

    private static long maxRowStride1(MemorySegment x, long xb, long w, long r0, long r1, int kw, int pw, long j0, long j1,
                                      MemorySegment out, long oo, MemorySegment idx, long io) {
        IntVector iota = IntVector.zero(SI).addIndex(1);
        long j = j0;
        for (; j < j1; j += L) {
            long c = j - pw;
            FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            IntVector bi = iota.add((int) (r0 * w + c));
            for (long r = r0; r < r1; r++) {
                long rowOff = (xb + r * w + c) * F;
                for (int k = 0; k < kw; k++) {
                    FloatVector v = FloatVector.fromMemorySegment(S, x, rowOff + k * F, NATIVE);
                    VectorMask<Float> m = v.compare(VectorOperators.GT, best).or(v.compare(VectorOperators.NE, v));
                    best = best.blend(v, m);
                    bi = bi.blend(iota.add((int) (r * w + c + k)), m.cast(SI));
                }
            }
            best.intoMemorySegment(out, (oo + j) * F, NATIVE);
            bi.intoMemorySegment(idx, (io + j) * Integer.BYTES, NATIVE);
        }
        return j;
    }

    private static long maxRowStride2(MemorySegment x, long xb, long w, long r0, long r1, int kw, int pw, long j0, long j1,
                                      MemorySegment out, long oo, MemorySegment idx, long io) {
        VectorShuffle<Float> even = VectorShuffle.fromOp(S, i -> 2 * i);
        IntVector iota2 = IntVector.zero(SI).addIndex(2);
        long j = j0;
        for (; j < j1; j += L) {
            long c = 2 * j - pw;
            FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            IntVector bi = iota2.add((int) (r0 * w + c));
            for (long r = r0; r < r1; r++) {
                long rowOff = (xb + r * w + c) * F;
                for (int k = 0; k < kw; k++) {
                    FloatVector a = FloatVector.fromMemorySegment(S, x, rowOff + k * F, NATIVE);
                    FloatVector b = FloatVector.fromMemorySegment(S, x, rowOff + (k + L) * F, NATIVE);
                    FloatVector v = a.rearrange(even, b);
                    VectorMask<Float> m = v.compare(VectorOperators.GT, best).or(v.compare(VectorOperators.NE, v));
                    best = best.blend(v, m);
                    bi = bi.blend(iota2.add((int) (r * w + c + k)), m.cast(SI));
                }
            }
            best.intoMemorySegment(out, (oo + j) * F, NATIVE);
            bi.intoMemorySegment(idx, (io + j) * Integer.BYTES, NATIVE);
        }
        return j;
    }

    /** Strides 3 and 4: window column k of L outputs is one {@link #strided} gather. */
    private static long maxRowStrided(MemorySegment x, long xb, long w, long r0, long r1, int kw, int pw, int sw,
                                      long j0, long j1, MemorySegment out, long oo, MemorySegment idx, long io) {
        IntVector iotaS = IntVector.zero(SI).addIndex(sw);
        long j = j0;
        for (; j < j1; j += L) {
            long c = sw * j - pw;
            FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            IntVector bi = iotaS.add((int) (r0 * w + c));
            for (long r = r0; r < r1; r++) {
                long rowOff = (xb + r * w + c) * F;
                for (int k = 0; k < kw; k++) {
                    FloatVector v = strided(x, rowOff + k * F, sw);
                    VectorMask<Float> m = v.compare(VectorOperators.GT, best).or(v.compare(VectorOperators.NE, v));
                    best = best.blend(v, m);
                    bi = bi.blend(iotaS.add((int) (r * w + c + k)), m.cast(SI));
                }
            }
            best.intoMemorySegment(out, (oo + j) * F, NATIVE);
            bi.intoMemorySegment(idx, (io + j) * Integer.BYTES, NATIVE);
        }
        return j;
    }

    /**
     * Lane t = x[off/4 + s*t] for s = 3 or 4, from s consecutive vector loads (all inside the row: the
     * callers' {@link #interior} bound keeps them there).
     */
    private static FloatVector strided(MemorySegment x, long off, int s) {
        FloatVector v0 = FloatVector.fromMemorySegment(S, x, off, NATIVE);
        FloatVector v1 = FloatVector.fromMemorySegment(S, x, off + L * F, NATIVE);
        FloatVector v2 = FloatVector.fromMemorySegment(S, x, off + 2 * L * F, NATIVE);
        if (s == 3) return v0.rearrange(S3_LO, v1).blend(v1.rearrange(S3_HI, v2), S3_UPPER);
        FloatVector v3 = FloatVector.fromMemorySegment(S, x, off + 3 * L * F, NATIVE);
        return v0.rearrange(S4_LO, v1).blend(v2.rearrange(S4_HI, v3), UPPER_HALF);
    }

    /**
     * 2x2 stride 2: per step, two vectors from each of the two input rows (2L columns) give L outputs.
     * The four window elements, in row-major order, are the even/odd lanes of the top and bottom rows.
     * A row's last {@code ow % L} outputs take one more step, its loads running on past the row end into
     * the next rows (their lanes are discarded) and its stores too, onto outputs of later rows that are
     * written after it; when at most L/2 outputs are left, one vector per row does (single-vector
     * shuffles). Narrow planes (the 8x8 and 4x4 maps of small CNNs, LeNet's 28x28) are then all vector
     * work: one scalar window per output measured 5-10x slower. All the call's row pairs run as one flat
     * loop with running offsets (no per-plane loop around a one-step row loop: C2 kept reloading and
     * re-checking every segment per row there). Only the last rows, where such a load or store would
     * leave the segment or the call's outputs, fall back to scalar windows.
     */
    // narrow planes (w <= L): L outputs per step from 4L consecutive inputs, lanes below L/2 from the first 2L
    private static final VectorShuffle<Float> LOW_HALVES = VectorShuffle.fromOp(S, i -> i < L / 2 ? i : i + L / 2);
    private static final VectorShuffle<Float> HIGH_HALVES = VectorShuffle.fromOp(S, i -> i < L / 2 ? i + L / 2 : i + L);

    /**
     * Whether {@link #maxPool2x2s2Narrow} takes planes of h x w: both even, w <= L with w / 2 a power of two (so
     * L/2 outputs are whole output rows), and a plane's outputs a multiple of L or a divisor of it (so a step's
     * lanes keep one pattern of window offsets).
     */
    private static boolean narrowPlanes(long h, long w) {
        long ow = w / 2, ohw = (h / 2) * ow;
        return h % 2 == 0 && w % 2 == 0 && w <= L && Long.bitCount(ow) == 1 && ohw > 0 && (ohw % L == 0 || L % ohw == 0);
    }

    /**
     * 2x2 stride-2 max pool of narrow planes (the 8x8 and 4x4 maps of small CNNs), treating the planes as one
     * flat run: with h and w even every output takes its four inputs from the same two rows, so L consecutive
     * outputs read 4L consecutive inputs, whatever the plane and row boundaries. Each step picks the four
     * window elements of L outputs from four loads with two rounds of two-input shuffles (lanes below L/2 come
     * from the first 2L inputs) and compares them in the twin's order (0, 1, w, w + 1), so values and indices are
     * bit-identical to it. The row loop of {@link #maxPool2x2s2} would take one step per output row, 2-4 useful
     * lanes of 8, with its per-row set-up. Returns the planes done (whole steps only; the rest go to the row loop).
     */
    private static long maxPool2x2s2Narrow(long planes, long h, long w, MemorySegment x, long xOff,
                                           MemorySegment out, long outOff, MemorySegment idx, long idxOff) {
        int ow = (int) (w / 2), oh = (int) (h / 2), ohw = oh * ow, sh = Integer.numberOfTrailingZeros(ow);
        long outputs = planes * ohw, steps = outputs / L;
        long planesDone = ohw % L == 0 ? planes : steps * L / ohw;
        steps = planesDone * ohw / L;
        // level-1 shuffles: lanes [0, L/2) take window element e's positions for outputs 0..L/2-1 of the step,
        // lanes [L/2, L) element e + 2's (the row below), positions counted in the two vectors' 2L inputs
        VectorShuffle<Float> top0 = NARROW_TOP[sh][0], top1 = NARROW_TOP[sh][1];
        // a lane's window top-left index within its plane: row (i / ow) of the step (mod oh when a step spans planes)
        int[] lane = new int[L];
        for (int i = 0; i < L; i++) lane[i] = (((i >> sh) % oh) * 2 * ow + (i & (ow - 1))) * 2;
        IntVector base = IntVector.fromArray(SI, lane, 0);
        int rowsPerStep = L / ow, stepRow = 0; // the step's first output row within its plane (ohw % L == 0)
        float stepF = (float) w;
        long in = xOff * F, o = 0;
        for (long s = 0; s < steps; s++, in += 4L * L * F, o += L) {
            FloatVector v0 = FloatVector.fromMemorySegment(S, x, in, NATIVE), v1 = FloatVector.fromMemorySegment(S, x, in + L * F, NATIVE);
            FloatVector v2 = FloatVector.fromMemorySegment(S, x, in + 2 * L * F, NATIVE), v3 = FloatVector.fromMemorySegment(S, x, in + 3 * L * F, NATIVE);
            FloatVector p = v0.rearrange(top0, v1), q = v0.rearrange(top1, v1);   // [e0 | e2], [e1 | e3] of lanes < L/2
            FloatVector p2 = v2.rearrange(top0, v3), q2 = v2.rearrange(top1, v3); // the same for lanes >= L/2
            FloatVector best = p.rearrange(LOW_HALVES, p2), e1 = q.rearrange(LOW_HALVES, q2);
            FloatVector e2 = p.rearrange(HIGH_HALVES, p2), e3 = q.rearrange(HIGH_HALVES, q2);
            FloatVector off = FloatVector.zero(S);
            VectorMask<Float> m = e1.compare(VectorOperators.GT, best).or(e1.compare(VectorOperators.NE, e1));
            best = best.blend(e1, m);
            off = off.blend(1f, m);
            m = e2.compare(VectorOperators.GT, best).or(e2.compare(VectorOperators.NE, e2));
            best = best.blend(e2, m);
            off = off.blend(stepF, m);
            m = e3.compare(VectorOperators.GT, best).or(e3.compare(VectorOperators.NE, e3));
            best = best.blend(e3, m);
            IntVector at = ((IntVector) off.blend(stepF + 1f, m).convert(VectorOperators.F2I, 0)).add(base).add(stepRow * 2 * (int) w);
            best.intoMemorySegment(out, (outOff + o) * F, NATIVE);
            at.intoMemorySegment(idx, (idxOff + o) * Integer.BYTES, NATIVE);
            if (ohw % L == 0 && (stepRow += rowsPerStep) == oh) stepRow = 0;
        }
        return planesDone;
    }

    /** The level-1 shuffles of {@link #maxPool2x2s2Narrow} for ow = 2^sh (sh up to log2(L/2)), built once. */
    private static final VectorShuffle<Float>[][] NARROW_TOP = narrowShuffles();

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[][] narrowShuffles() {
        int n = Integer.numberOfTrailingZeros(Math.max(1, L / 2)) + 1;
        VectorShuffle<Float>[][] t = new VectorShuffle[n][2];
        for (int sh = 0; sh < n; sh++) {
            int ow = 1 << sh;
            t[sh][0] = VectorShuffle.fromOp(S, i -> narrowPos(i, ow, 0));
            t[sh][1] = VectorShuffle.fromOp(S, i -> narrowPos(i, ow, 1));
        }
        return t;
    }

    /** Position, among 2L consecutive inputs, of window element e (0: top-left, 1: top-right) of lane i's output (see above). */
    private static int narrowPos(int i, int ow, int e) {
        int k = i % (L / 2), below = i < L / 2 ? 0 : 2 * ow; // lanes >= L/2: the same outputs' bottom-row elements
        return (k / ow) * 4 * ow + 2 * (k % ow) + e + below;
    }

    private static void maxPool2x2s2(long planes, long h, long w, MemorySegment x, long xOff,
                                     MemorySegment out, long outOff, MemorySegment idx, long idxOff) {
        long oh = h / 2, ow = w / 2;
        long bound = ow / L * L;
        boolean halfRest = ow - bound <= L / 2;
        long restBytes = (halfRest ? L : 2L * L) * F; // what a row's last step reads from each row
        long readLimit = x.byteSize();
        long outEnd = planes * oh * ow;
        long rows = planes * oh, rowBytes = w * F, planeGap = (h - 2 * oh) * w * F; // an odd h skips a row
        int step = (int) w;
        float stepF = step;
        IntVector iota2 = IntVector.zero(SI).addIndex(2);
        long top = xOff * F, o = 0;
        int i = 0, rowIdx = 0;
        for (long q = 0; q < rows; q++) {
            long bot = top + rowBytes;
            // the vector steps: the full ones, and the row's last partial one where its loads and stores stay inside
            long stop = bot + 2 * bound * F + restBytes <= readLimit && o + bound + L <= outEnd ? ow : bound;
            long j = 0;
            for (; j < stop; j += L) {
                long c = 2 * j * F;
                boolean full = j < bound;
                FloatVector ta = FloatVector.fromMemorySegment(S, x, top + c, NATIVE);
                FloatVector ba = FloatVector.fromMemorySegment(S, x, bot + c, NATIVE);
                FloatVector best, e1, e2, e3;
                if (full || !halfRest) {
                    FloatVector tb = FloatVector.fromMemorySegment(S, x, top + c + L * F, NATIVE);
                    FloatVector bb = FloatVector.fromMemorySegment(S, x, bot + c + L * F, NATIVE);
                    best = ta.rearrange(EVEN2, tb);
                    e1 = ta.rearrange(ODD2, tb);
                    e2 = ba.rearrange(EVEN2, bb);
                    e3 = ba.rearrange(ODD2, bb);
                } else {
                    best = ta.rearrange(EVEN1);
                    e1 = ta.rearrange(ODD1);
                    e2 = ba.rearrange(EVEN1);
                    e3 = ba.rearrange(ODD1);
                }
                // the window offset (0, 1, w, w + 1) chosen in float lanes (exact: w < 2^24) and converted
                // once: blending int lanes under the float compare masks needs a mask cast per blend
                FloatVector off = FloatVector.zero(S);
                VectorMask<Float> m = e1.compare(VectorOperators.GT, best).or(e1.compare(VectorOperators.NE, e1));
                best = best.blend(e1, m);
                off = off.blend(1f, m);
                m = e2.compare(VectorOperators.GT, best).or(e2.compare(VectorOperators.NE, e2));
                best = best.blend(e2, m);
                off = off.blend(stepF, m);
                m = e3.compare(VectorOperators.GT, best).or(e3.compare(VectorOperators.NE, e3));
                best = best.blend(e3, m);
                IntVector at = ((IntVector) off.blend(stepF + 1f, m).convert(VectorOperators.F2I, 0))
                        .add(iota2).add(rowIdx + 2 * (int) j);
                best.intoMemorySegment(out, (outOff + o + j) * F, NATIVE);
                at.intoMemorySegment(idx, (idxOff + o + j) * Integer.BYTES, NATIVE);
            }
            j = Math.min(j, ow);
            for (; j < ow; j++) {
                long c = 2 * j;
                float best = Float.NEGATIVE_INFINITY;
                int bi = rowIdx + (int) c;
                for (int r = 0; r < 2; r++) {
                    for (int k = 0; k < 2; k++) {
                        float v = x.get(JAVA_FLOAT, top + r * rowBytes + (c + k) * F);
                        if (v > best || v != v) {
                            best = v;
                            bi = rowIdx + r * step + (int) c + k;
                        }
                    }
                }
                out.setAtIndex(JAVA_FLOAT, outOff + o + j, best);
                idx.setAtIndex(JAVA_INT, idxOff + o + j, bi);
            }
            o += ow;
            top += 2 * rowBytes;
            rowIdx += 2 * step;
            if (++i == oh) {
                i = 0;
                rowIdx = 0;
                top += planeGap;
            }
        }
    }

    // ------------------------------------------------------------------ max pool backward

    /**
     * The twin's scatter (dx zeroed, then dx[idx] += dout in output order). Planes under {@value #SMALL_PLANE}
     * elements go in groups of about 16 KiB: each group's dx is zeroed by one fill and its outputs scattered by
     * one flat loop, so small maps (4x4, 8x8: 16-64 elements) no longer pay the twin's two loop set-ups per
     * plane (2.5-5x faster on the digits CNN's pools, same JVM), and a group's dx is still in L1 when the
     * scatter reaches it. Larger planes run the twin's loop: the grouped form was 0-20% slower from 16x16 up to
     * 112x112 (C2's zeroing loop beats the fill there). Same element updates in the same order: bit-identical.
     *
     * <p>Measured alternatives, both bit-identical and both slower on 8x64x56x56 (AVX2): a dense 2x2 stride-2
     * pass that checks each index lies in its own window and writes every 2x2 block once from shuffled
     * dout/offset vectors ran at 0.5x the twin, and a fill of the whole tensor + the same scatter at 0.9x. A
     * gather would need an index compare per covering window (4 for 3x3 stride 2) and arbitrary indices may
     * collide in any order, so the scatter stays.
     */
    @Override
    public void maxPool2dBackward(long planes, long h, long w, Pool2dDesc d, MemorySegment dout, long doutOff,
                                  MemorySegment idx, long idxOff, MemorySegment dx, long dxOff) {
        long hw = h * w, ohw = d.outH(h) * d.outW(w);
        if (hw >= SMALL_PLANE) {
            scalar.maxPool2dBackward(planes, h, w, d, dout, doutOff, idx, idxOff, dx, dxOff);
            return;
        }
        if (hw == 0) return;
        long group = 4096 / hw;
        for (long p0 = 0; p0 < planes; p0 += group) {
            long gp = Math.min(group, planes - p0), xb = dxOff + p0 * hw, o = p0 * ohw, end = o + gp * ohw, left = ohw;
            dx.asSlice(xb * F, gp * hw * F).fill((byte) 0);
            for (; o < end; o++) {
                long at = xb + idx.getAtIndex(JAVA_INT, idxOff + o);
                dx.setAtIndex(JAVA_FLOAT, at, dx.getAtIndex(JAVA_FLOAT, at) + dout.getAtIndex(JAVA_FLOAT, doutOff + o));
                if (--left == 0) {
                    left = ohw;
                    xb += hw;
                }
            }
        }
    }

    // ------------------------------------------------------------------ average pool

    @Override
    public void avgPool2d(long planes, long h, long w, Pool2dDesc d, MemorySegment x, long xOff,
                          MemorySegment out, long outOff) {
        long oh = d.outH(h), ow = d.outW(w);
        long[] span = interior(d.strideW(), d.kernelW(), d.padW(), w, ow);
        long j0 = span[0], j1 = span[1];
        for (long p = 0; p < planes; p++) {
            long xb = xOff + p * h * w, ob = outOff + p * oh * ow;
            for (long i = 0; i < oh; i++) {
                long r0 = i * d.strideH() - d.padH(), r1 = Math.min(r0 + d.kernelH(), h);
                r0 = Math.max(r0, 0);
                long oo = ob + i * ow;
                for (long j = 0; j < j0; j++) avgWindow(d, w, x, xb, r0, r1, j, out, oo + j);
                long j = j0;
                if (j1 > j0) {
                    // interior windows hold kernelW real columns; the divisor is the twin's, as a float
                    float div = d.countIncludePad() ? (float) d.kernelH() * d.kernelW() : (float) ((r1 - r0) * d.kernelW());
                    j = switch (d.strideW()) {
                        case 1 -> avgRowStride1(x, xb, w, r0, r1, d.kernelW(), d.padW(), j0, j1, div, out, oo);
                        case 2 -> avgRowStride2(x, xb, w, r0, r1, d.kernelW(), d.padW(), j0, j1, div, out, oo);
                        default -> avgRowStrided(x, xb, w, r0, r1, d.kernelW(), d.padW(), d.strideW(), j0, j1, div, out, oo);
                    };
                }
                for (; j < ow; j++) avgWindow(d, w, x, xb, r0, r1, j, out, oo + j);
            }
        }
    }

    private static void avgWindow(Pool2dDesc d, long w, MemorySegment x, long xb, long r0, long r1, long j,
                                  MemorySegment out, long o) {
        long c0 = j * d.strideW() - d.padW(), c1 = Math.min(c0 + d.kernelW(), w);
        c0 = Math.max(c0, 0);
        float sum = 0f;
        for (long r = r0; r < r1; r++) {
            for (long c = c0; c < c1; c++) sum += x.getAtIndex(JAVA_FLOAT, xb + r * w + c);
        }
        float div = d.countIncludePad() ? (float) d.kernelH() * d.kernelW() : (float) ((r1 - r0) * (c1 - c0));
        out.setAtIndex(JAVA_FLOAT, o, sum / div);
    }

    private static long avgRowStride1(MemorySegment x, long xb, long w, long r0, long r1, int kw, int pw, long j0, long j1,
                                      float div, MemorySegment out, long oo) {
        long j = j0;
        for (; j < j1; j += L) {
            long c = j - pw;
            FloatVector sum = FloatVector.zero(S);
            for (long r = r0; r < r1; r++) {
                long rowOff = (xb + r * w + c) * F;
                for (int k = 0; k < kw; k++) sum = sum.add(FloatVector.fromMemorySegment(S, x, rowOff + k * F, NATIVE));
            }
            sum.div(div).intoMemorySegment(out, (oo + j) * F, NATIVE);
        }
        return j;
    }

    private static long avgRowStride2(MemorySegment x, long xb, long w, long r0, long r1, int kw, int pw, long j0, long j1,
                                      float div, MemorySegment out, long oo) {
        VectorShuffle<Float> even = VectorShuffle.fromOp(S, i -> 2 * i);
        long j = j0;
        for (; j < j1; j += L) {
            long c = 2 * j - pw;
            FloatVector sum = FloatVector.zero(S);
            for (long r = r0; r < r1; r++) {
                long rowOff = (xb + r * w + c) * F;
                for (int k = 0; k < kw; k++) {
                    FloatVector a = FloatVector.fromMemorySegment(S, x, rowOff + k * F, NATIVE);
                    FloatVector b = FloatVector.fromMemorySegment(S, x, rowOff + (k + L) * F, NATIVE);
                    sum = sum.add(a.rearrange(even, b));
                }
            }
            sum.div(div).intoMemorySegment(out, (oo + j) * F, NATIVE);
        }
        return j;
    }

    private static long avgRowStrided(MemorySegment x, long xb, long w, long r0, long r1, int kw, int pw, int sw,
                                      long j0, long j1, float div, MemorySegment out, long oo) {
        long j = j0;
        for (; j < j1; j += L) {
            long c = sw * j - pw;
            FloatVector sum = FloatVector.zero(S);
            for (long r = r0; r < r1; r++) {
                long rowOff = (xb + r * w + c) * F;
                for (int k = 0; k < kw; k++) sum = sum.add(strided(x, rowOff + k * F, sw));
            }
            sum.div(div).intoMemorySegment(out, (oo + j) * F, NATIVE);
        }
        return j;
    }

    /**
     * A gather instead of the twin's scatter, with the same sums. The twin zero-fills dx and adds
     * g = dout / divisor to every element of each window, outputs in row-major order, so dx[r][c] =
     * ((0 + g[i1][j1]) + g[i2][j2]) + ... over the windows covering (r, c) in (i, j)-ascending order.
     * Here the scaled plane gs (the same float division) goes to a zero-margined scratch, and each dx
     * vector is summed once, from 0, over the covering output rows i (ascending) and window offsets
     * (j ascending), then stored: every dx element is written once, no zero-fill, no read-back.
     *
     * <p>Columns: with u = c + padW = s*t + q (s the stride, 0 <= q < s), output j = t - m covers c iff
     * m >= 0 and q + s*m < kernelW. So for each m (descending = j ascending) one vector load of the gs
     * row at t - m serves s dx vectors, each lane picking its t with a one-input shuffle (lane i of the
     * v-th vector of a block of s*L columns takes (v*L + i) / s); only the largest m can cover just
     * some phases q, and there the add is masked. Outputs j outside [0, ow) read the scratch's zero
     * margins: adding +0.0f is exact here because a sum that starts at +0.0f is never -0.0f (a
     * round-to-nearest sum is -0.0f only when both addends are), and x + (+0.0f) == x for every
     * other x.
     *
     * <p>Stride 2 has its own loop with the two shuffles and the mask in constants (about 1.5x faster
     * than the general loop, whose shuffles come from per-call arrays). Strides above
     * {@value #MAX_STRIDE} (s shuffles per block) run the twin's loop, as do windows
     * whose element count does not fit a float exactly (the exclude-pad divisor is formed as a float
     * product here).
     */
    @Override
    public void avgPool2dBackward(long planes, long h, long w, Pool2dDesc d, MemorySegment dout, long doutOff,
                                  MemorySegment dx, long dxOff) {
        int sw = d.strideW(), kw = d.kernelW(), pw = d.padW(), kh = d.kernelH(), sh = d.strideH(), ph = d.padH();
        if (sw > MAX_STRIDE || Math.max(kh, kw) >= 1 << 24) {
            scalar.avgPool2dBackward(planes, h, w, d, dout, doutOff, dx, dxOff);
            return;
        }
        long oh = d.outH(h), ow = d.outW(w);
        int mmax = (kw - 1) / sw;                      // window offsets t - j that reach a column
        int qlim = kw - sw * mmax;                     // phases q < qlim covered at m = mmax
        long blocks = (w + pw + (long) sw * L - 1) / ((long) sw * L);
        int rowLen = Math.toIntExact(mmax + Math.max(blocks * L, ow) + L);
        // gs[i][t] at gs[i * rowLen + mmax + t], zero outside t in [0, ow)
        float[] gs = new float[Math.toIntExact(oh * rowLen)];
        float[] cols = columnCounts(d, w, ow);
        float[] rows = new float[(int) oh];
        for (long i = 0; i < oh; i++) {
            long r0 = i * sh - ph, r1 = Math.min(r0 + kh, h);
            rows[(int) i] = r1 - Math.max(r0, 0);
        }
        VectorShuffle<Float>[] expand = expandShuffles(sw);
        VectorMask<Float>[] partial = partialMasks(sw, qlim);
        float fullDiv = (float) kh * kw;               // the twin's countIncludePad divisor
        for (long p = 0; p < planes; p++) {
            long xb = dxOff + p * h * w, ob = doutOff + p * oh * ow;
            scaleRows(dout, ob, oh, ow, d.countIncludePad(), fullDiv, rows, cols, gs, rowLen, mmax);
            for (long r = 0; r < h; r++) {
                int iLo = (int) Math.max(0, Math.floorDiv(r + ph - kh, sh) + 1);
                int iHi = (int) Math.min(oh - 1, (r + ph) / sh);
                long rowBase = xb + r * w;
                if (sw == 1) {
                    gatherRowStride1(gs, rowLen, mmax, iLo, iHi, w, pw, dx, rowBase);
                } else if (sw == 2) {
                    gatherRowStride2(gs, rowLen, mmax, iLo, iHi, w, pw, blocks, qlim < sw, dx, rowBase);
                } else {
                    gatherRowStrided(gs, rowLen, mmax, iLo, iHi, w, pw, sw, blocks, expand, partial, qlim < sw, dx, rowBase);
                }
            }
        }
    }

    /** The real columns of each output column's window (the exclude-pad divisor's factor), padded with ones. */
    private static float[] columnCounts(Pool2dDesc d, long w, long ow) {
        float[] cols = new float[Math.toIntExact((ow + L - 1) / L * L)];
        java.util.Arrays.fill(cols, 1f);
        for (long j = 0; j < ow; j++) {
            long c0 = j * d.strideW() - d.padW(), c1 = Math.min(c0 + d.kernelW(), w);
            cols[(int) j] = c1 - Math.max(c0, 0);
        }
        return cols;
    }

    /**
     * gs[i][t] = dout[i][t] / divisor, the twin's division: divisor kernelH*kernelW as a float, or
     * (float) (rows * cols), which equals the float product of the two exact counts (both below 2^24).
     */
    private static void scaleRows(MemorySegment dout, long ob, long oh, long ow, boolean countPad, float fullDiv,
                                  float[] rows, float[] cols, float[] gs, int rowLen, int mmax) {
        FloatVector full = FloatVector.broadcast(S, fullDiv);
        for (long i = 0; i < oh; i++) {
            int at = (int) (i * rowLen + mmax);
            long src = (ob + i * ow) * F;
            for (int t = 0; t < ow; t += L) {
                VectorMask<Float> m = S.indexInRange(t, ow);
                FloatVector g = FloatVector.fromMemorySegment(S, dout, src + t * F, NATIVE, m);
                FloatVector div = countPad ? full : FloatVector.fromArray(S, cols, t).mul(rows[(int) i]);
                g.div(div).intoArray(gs, at + t, m);
            }
        }
    }

    /** Stride 1: column c is covered by j = c + padW - m, m = kernelW-1 .. 0; no shuffles, no masks. */
    private static void gatherRowStride1(float[] gs, int rowLen, int mmax, int iLo, int iHi, long w, int pw,
                                         MemorySegment dx, long rowBase) {
        for (int c = 0; c < w; c += L) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = iLo; i <= iHi; i++) {
                int base = i * rowLen + mmax + c + pw;
                for (int m = mmax; m >= 0; m--) acc = acc.add(FloatVector.fromArray(S, gs, base - m));
            }
            if (c + L <= w) acc.intoMemorySegment(dx, (rowBase + c) * F, NATIVE);
            else acc.intoMemorySegment(dx, (rowBase + c) * F, NATIVE, S.indexInRange(c, w));
        }
    }

    /** {@link #gatherRowStrided} for stride 2 with the shuffles and mask in constants (C2 keeps them in registers). */
    private static void gatherRowStride2(float[] gs, int rowLen, int mmax, int iLo, int iHi, long w, int pw,
                                         long blocks, boolean lastPartial, MemorySegment dx, long rowBase) {
        int full = lastPartial ? mmax - 1 : mmax;
        for (int b = 0; b < blocks; b++) {
            long c = (long) b * 2 * L - pw;                     // dx column of the low vector's lane 0
            FloatVector lo = FloatVector.zero(S), hi = FloatVector.zero(S);
            for (int i = iLo; i <= iHi; i++) {
                int base = i * rowLen + mmax + b * L;
                if (lastPartial) {
                    FloatVector g = FloatVector.fromArray(S, gs, base - mmax);
                    lo = lo.add(g.rearrange(EXPAND2_LO), EVEN_LANES);
                    hi = hi.add(g.rearrange(EXPAND2_HI), EVEN_LANES);
                }
                for (int m = full; m >= 0; m--) {
                    FloatVector g = FloatVector.fromArray(S, gs, base - m);
                    lo = lo.add(g.rearrange(EXPAND2_LO));
                    hi = hi.add(g.rearrange(EXPAND2_HI));
                }
            }
            storeColumns(lo, dx, rowBase, c, w);
            storeColumns(hi, dx, rowBase, c + L, w);
        }
    }

    /** Stores the lanes of v that fall on dx columns [0, w) of the row, lane 0 being column c. */
    private static void storeColumns(FloatVector v, MemorySegment dx, long rowBase, long c, long w) {
        if (c >= 0 && c + L <= w) {
            v.intoMemorySegment(dx, (rowBase + c) * F, NATIVE);
        } else if (c >= 0) {
            if (c < w) v.intoMemorySegment(dx, (rowBase + c) * F, NATIVE, S.indexInRange(c, w));
        } else if (c + L > 0) {
            // the block starts left of column 0 (padding): shift the real columns down to lane 0
            v.slice((int) -c).intoMemorySegment(dx, rowBase * F, NATIVE, S.indexInRange(0, Math.min(L + c, w)));
        }
    }

    /** Strides 3 and 4: blocks of s*L columns starting at u = c + padW = 0; vector v of a block holds u = b*s*L + v*L + lane. */
    private static void gatherRowStrided(float[] gs, int rowLen, int mmax, int iLo, int iHi, long w, int pw, int sw,
                                         long blocks, VectorShuffle<Float>[] expand, VectorMask<Float>[] partial,
                                         boolean lastPartial, MemorySegment dx, long rowBase) {
        int full = lastPartial ? mmax - 1 : mmax;      // m <= full covers every phase
        for (int b = 0; b < blocks; b++) {
            for (int v = 0; v < sw; v++) {
                long c = (long) b * sw * L + (long) v * L - pw;   // dx column of lane 0
                if (c >= w) break;
                if (c + L <= 0) continue;
                VectorShuffle<Float> ex = expand[v];
                VectorMask<Float> pm = partial[v];
                FloatVector acc = FloatVector.zero(S);
                for (int i = iLo; i <= iHi; i++) {
                    int base = i * rowLen + mmax + b * L;
                    if (lastPartial) {
                        acc = acc.add(FloatVector.fromArray(S, gs, base - mmax).rearrange(ex), pm);
                    }
                    for (int m = full; m >= 0; m--) acc = acc.add(FloatVector.fromArray(S, gs, base - m).rearrange(ex));
                }
                storeColumns(acc, dx, rowBase, c, w);
            }
        }
    }

    /** For a block of s vectors: lane i of vector v takes element (v*L + i) / s of a gs load. */
    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] expandShuffles(int s) {
        VectorShuffle<Float>[] ex = new VectorShuffle[s];
        for (int v = 0; v < s; v++) {
            int vv = v;
            ex[v] = VectorShuffle.fromOp(S, i -> (vv * L + i) / s);
        }
        return ex;
    }

    /** For a block of s vectors: the lanes whose phase (v*L + i) % s is below qlim. */
    @SuppressWarnings("unchecked")
    private static VectorMask<Float>[] partialMasks(int s, int qlim) {
        VectorMask<Float>[] pm = new VectorMask[s];
        for (int v = 0; v < s; v++) {
            boolean[] bits = new boolean[L];
            for (int i = 0; i < L; i++) bits[i] = (v * L + i) % s < qlim;
            pm[v] = VectorMask.fromArray(S, bits, 0);
        }
        return pm;
    }

    // ------------------------------------------------------------------ global average pool

    @Override
    public void globalAvgPool(long planes, long hw, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(hw);
        for (long p = 0; p < planes; p++) {
            long base = (xOff + p * hw) * F;
            FloatVector acc = FloatVector.zero(S);
            long i = 0;
            for (; i < bound; i += L) acc = acc.add(FloatVector.fromMemorySegment(S, x, base + i * F, NATIVE));
            if (i < hw) {
                acc = acc.add(FloatVector.fromMemorySegment(S, x, base + i * F, NATIVE, S.indexInRange(i, hw)));
            }
            out.setAtIndex(JAVA_FLOAT, outOff + p, (float) (VectorMath.sumLanes(acc) / hw));
        }
    }

    @Override
    public void globalAvgPoolBackward(long planes, long hw, MemorySegment dout, long doutOff, MemorySegment dx, long dxOff) {
        float n = hw;
        long bound = S.loopBound(hw);
        for (long p = 0; p < planes; p++) {
            float g = dout.getAtIndex(JAVA_FLOAT, doutOff + p) / n;
            FloatVector v = FloatVector.broadcast(S, g);
            long base = (dxOff + p * hw) * F;
            long i = 0;
            for (; i < bound; i += L) v.intoMemorySegment(dx, base + i * F, NATIVE);
            if (i < hw) v.intoMemorySegment(dx, base + i * F, NATIVE, S.indexInRange(i, hw));
        }
    }

    // ------------------------------------------------------------------ scatters / gathers: the twin's loops

    @Override
    public void maxUnpool2d(long planes, long inHW, long outHW, MemorySegment x, long xOff, MemorySegment idx, long idxOff,
                            MemorySegment out, long outOff) {
        scalar.maxUnpool2d(planes, inHW, outHW, x, xOff, idx, idxOff, out, outOff);
    }

    @Override
    public void maxUnpool2dBackward(long planes, long inHW, long outHW, MemorySegment dout, long doutOff,
                                    MemorySegment idx, long idxOff, MemorySegment dx, long dxOff) {
        scalar.maxUnpool2dBackward(planes, inHW, outHW, dout, doutOff, idx, idxOff, dx, dxOff);
    }

    @Override
    public void roiPool(long r0, long r1, long channels, long h, long w, RoiPoolDesc d, MemorySegment rois, long roisOff,
                        MemorySegment x, long xOff, MemorySegment out, long outOff, MemorySegment argmax, long argmaxOff) {
        scalar.roiPool(r0, r1, channels, h, w, d, rois, roisOff, x, xOff, out, outOff, argmax, argmaxOff);
    }

    @Override
    public void roiPoolBackward(long c0, long c1, long n, long channels, long h, long w, long numRois, RoiPoolDesc d,
                                MemorySegment rois, long roisOff, MemorySegment dout, long doutOff,
                                MemorySegment argmax, long argmaxOff, MemorySegment dx, long dxOff) {
        scalar.roiPoolBackward(c0, c1, n, channels, h, w, numRois, d, rois, roisOff, dout, doutOff, argmax, argmaxOff,
                dx, dxOff);
    }
}
