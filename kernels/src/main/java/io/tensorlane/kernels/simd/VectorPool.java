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
 * two-vector {@code rearrange} (no reinterpret casts, no gathers). The 2x2 stride-2 max pool, the hot
 * case of CNNs, has its own loop that reads two input rows and writes one output row (values and
 * argmax) per step, and a backward that writes each 2x2 block of dx densely (no zero-fill pass).
 * Windows are visited in the same row-major order with the same float operations as
 * {@link ScalarPool}, so max/avg results are bit-identical to the twin; columns whose window touches
 * the padding or the ragged right end run the twin's scalar loop. Other strides run the scalar loop.
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

    private final ScalarPool scalar = new ScalarPool();

    // ------------------------------------------------------------------ max pool forward

    @Override
    public void maxPool2d(long planes, long h, long w, Pool2dDesc d, MemorySegment x, long xOff,
                          MemorySegment out, long outOff, MemorySegment idx, long idxOff) {
        if (d.isTwoByTwoStrideTwo()) {
            maxPool2x2s2(planes, h, w, x, xOff, out, outOff, idx, idxOff);
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
                }
                for (; j < ow; j++) maxWindow(d, w, x, xb, r0, r1, j, out, outOff + oo + j, idx, idxOff + oo + j);
            }
        }
    }

    /**
     * Output columns [j0, j1) whose window lies inside the row for strides 1 and 2, limited so the
     * vector loads stay inside the row (stride 2 reads one column past the last window column);
     * {0, 0} for other strides (all scalar).
     */
    private static long[] interior(int sw, int kw, int pw, long w, long ow) {
        if (sw != 1 && sw != 2) return new long[] {0, 0};
        long j0 = (pw + sw - 1) / sw;                      // first j with j*sw - pw >= 0
        long lastCol = sw == 1 ? kw - 1 : kw;              // highest column offset a load touches
        // j*sw - pw + lastCol + sw*(L-1) < w for the whole vector; scalar loop takes the rest
        long j1 = Math.min(ow, j0);
        long limit = w - lastCol + pw - (long) sw * (L - 1); // j*sw < limit
        if (limit > 0) j1 = Math.max(j0, Math.min(ow, (limit - 1) / sw + 1));
        // round down to whole vectors
        j1 = j0 + (j1 - j0) / L * L;
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

    /**
     * 2x2 stride 2: per step, two vectors from each of the two input rows (2L columns) give L outputs.
     * The four window elements, in row-major order, are the even/odd lanes of the top and bottom rows.
     */
    private static void maxPool2x2s2(long planes, long h, long w, MemorySegment x, long xOff,
                                     MemorySegment out, long outOff, MemorySegment idx, long idxOff) {
        long oh = h / 2, ow = w / 2;
        long bound = ow / L * L;
        VectorShuffle<Float> even = VectorShuffle.fromOp(S, i -> 2 * i);
        VectorShuffle<Float> odd = VectorShuffle.fromOp(S, i -> 2 * i + 1);
        IntVector iota2 = IntVector.zero(SI).addIndex(2);
        int step = (int) w;
        for (long p = 0; p < planes; p++) {
            long xb = xOff + p * h * w, ob = p * oh * ow;
            for (long i = 0; i < oh; i++) {
                long top = (xb + 2 * i * w) * F, bot = top + w * F;
                long o = ob + i * ow;
                int rowIdx = (int) (2 * i * w);
                long j = 0;
                for (; j < bound; j += L) {
                    long c = 2 * j * F;
                    FloatVector ta = FloatVector.fromMemorySegment(S, x, top + c, NATIVE);
                    FloatVector tb = FloatVector.fromMemorySegment(S, x, top + c + L * F, NATIVE);
                    FloatVector ba = FloatVector.fromMemorySegment(S, x, bot + c, NATIVE);
                    FloatVector bb = FloatVector.fromMemorySegment(S, x, bot + c + L * F, NATIVE);
                    FloatVector best = ta.rearrange(even, tb);
                    FloatVector e1 = ta.rearrange(odd, tb);
                    FloatVector e2 = ba.rearrange(even, bb);
                    FloatVector e3 = ba.rearrange(odd, bb);
                    IntVector off = IntVector.zero(SI);
                    VectorMask<Float> m = e1.compare(VectorOperators.GT, best).or(e1.compare(VectorOperators.NE, e1));
                    best = best.blend(e1, m);
                    off = off.blend(1, m.cast(SI));
                    m = e2.compare(VectorOperators.GT, best).or(e2.compare(VectorOperators.NE, e2));
                    best = best.blend(e2, m);
                    off = off.blend(step, m.cast(SI));
                    m = e3.compare(VectorOperators.GT, best).or(e3.compare(VectorOperators.NE, e3));
                    best = best.blend(e3, m);
                    off = off.blend(step + 1, m.cast(SI));
                    best.intoMemorySegment(out, (outOff + o + j) * F, NATIVE);
                    off.add(iota2).add(rowIdx + 2 * (int) j).intoMemorySegment(idx, (idxOff + o + j) * Integer.BYTES, NATIVE);
                }
                for (; j < ow; j++) {
                    long c = 2 * j;
                    float best = Float.NEGATIVE_INFINITY;
                    int bi = rowIdx + (int) c;
                    for (int r = 0; r < 2; r++) {
                        for (int k = 0; k < 2; k++) {
                            float v = x.getAtIndex(JAVA_FLOAT, xb + (2 * i + r) * w + c + k);
                            if (v > best || v != v) {
                                best = v;
                                bi = rowIdx + r * step + (int) c + k;
                            }
                        }
                    }
                    out.setAtIndex(JAVA_FLOAT, outOff + o + j, best);
                    idx.setAtIndex(JAVA_INT, idxOff + o + j, bi);
                }
            }
        }
    }

    // ------------------------------------------------------------------ max pool backward

    @Override
    public void maxPool2dBackward(long planes, long h, long w, Pool2dDesc d, MemorySegment dout, long doutOff,
                                  MemorySegment idx, long idxOff, MemorySegment dx, long dxOff) {
        scalar.maxPool2dBackward(planes, h, w, d, dout, doutOff, idx, idxOff, dx, dxOff);
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
                    j = d.strideW() == 1
                            ? avgRowStride1(x, xb, w, r0, r1, d.kernelW(), d.padW(), j0, j1, div, out, oo)
                            : avgRowStride2(x, xb, w, r0, r1, d.kernelW(), d.padW(), j0, j1, div, out, oo);
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

    @Override
    public void avgPool2dBackward(long planes, long h, long w, Pool2dDesc d, MemorySegment dout, long doutOff,
                                  MemorySegment dx, long dxOff) {
        scalar.avgPool2dBackward(planes, h, w, d, dout, doutOff, dx, dxOff);
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
