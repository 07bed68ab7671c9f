package io.tensorlane.kernels.simd;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.tensorlane.kernels.ReductionKernels;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API reductions. Row reductions keep vector accumulators along the row; column reductions
 * vectorise across columns (one vector of columns at a time, walking down the rows), so each
 * output lane sums its column in row order. Sums are float; variance subtracts the mean first
 * (two passes) to avoid the cancellation of E[x^2] - E[x]^2.
 */
public final class VectorReductions implements ReductionKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final VectorSpecies<Integer> I = VectorWidth.INT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final long L = S.length();

    private static FloatVector load(MemorySegment s, long idx) {
        return FloatVector.fromMemorySegment(S, s, idx * Float.BYTES, NO);
    }

    private static FloatVector load(MemorySegment s, long idx, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(S, s, idx * Float.BYTES, NO, m);
    }

    @Override
    public void rowSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, VectorSoftmax.sum(cols, x, xOff + r * cols));
        }
    }

    @Override
    public void rowMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, (float) ((double) VectorSoftmax.sum(cols, x, xOff + r * cols) / cols));
        }
    }

    @Override
    public void rowMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, VectorSoftmax.max(cols, x, xOff + r * cols));
        }
    }

    @Override
    public void rowArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            long base = xOff + r * cols;
            int best = -1;
            if (cols > 0) {
                // The vector max finds the value; the first position holding it is the strict-> argmax.
                // (If the row holds NaN, max is NaN and no lane equals it: fall back to the scalar scan.)
                float m = VectorSoftmax.max(cols, x, base);
                for (long j = 0; j < cols; j++) {
                    if (x.getAtIndex(JAVA_FLOAT, base + j) == m) {
                        best = (int) j;
                        break;
                    }
                }
                if (best < 0) best = scalarArgmax(cols, x, base);
            }
            out.setAtIndex(JAVA_INT, outOff + r, best);
        }
    }

    private static int scalarArgmax(long cols, MemorySegment x, long base) {
        int best = 0;
        float m = x.getAtIndex(JAVA_FLOAT, base);
        for (long j = 1; j < cols; j++) {
            float v = x.getAtIndex(JAVA_FLOAT, base + j);
            if (v > m) {
                m = v;
                best = (int) j;
            }
        }
        return best;
    }

    @Override
    public void rowVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long r = 0; r < rows; r++) {
            long base = xOff + r * cols;
            float mean = (float) ((double) VectorSoftmax.sum(cols, x, base) / cols);
            FloatVector acc = FloatVector.zero(S);
            long j = 0, up = cols - cols % L;
            for (; j < up; j += L) {
                FloatVector d = load(x, base + j).sub(mean);
                acc = d.fma(d, acc);
            }
            if (j < cols) {
                VectorMask<Float> m = S.indexInRange(j, cols);
                FloatVector d = load(x, base + j, m).sub(mean).blend(0f, m.not());
                acc = d.fma(d, acc);
            }
            out.setAtIndex(JAVA_FLOAT, outOff + r, (float) ((double) acc.reduceLanes(VectorOperators.ADD) / cols));
        }
    }

    /** kind 0 = sum, 1 = mean, 2 = biased variance. */
    private static void colMoments(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff, int kind) {
        for (long c = 0; c < cols; c += L) {
            VectorMask<Float> m = S.indexInRange(c, cols);
            FloatVector acc = FloatVector.zero(S);
            for (long r = 0; r < rows; r++) acc = acc.add(load(x, xOff + r * cols + c, m));
            FloatVector res = acc;
            if (kind >= 1) {
                FloatVector mean = acc.div(rows);
                res = mean;
                if (kind == 2) {
                    FloatVector dev = FloatVector.zero(S);
                    for (long r = 0; r < rows; r++) {
                        FloatVector d = load(x, xOff + r * cols + c, m).sub(mean);
                        dev = d.fma(d, dev);
                    }
                    res = dev.div(rows);
                }
            }
            res.intoMemorySegment(out, (outOff + c) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void colSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        colMoments(rows, cols, x, xOff, out, outOff, 0);
    }

    @Override
    public void colMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        colMoments(rows, cols, x, xOff, out, outOff, 1);
    }

    @Override
    public void colVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        colMoments(rows, cols, x, xOff, out, outOff, 2);
    }

    @Override
    public void colMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long c = 0; c < cols; c += L) {
            VectorMask<Float> m = S.indexInRange(c, cols);
            FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (long r = 0; r < rows; r++) acc = acc.max(load(x, xOff + r * cols + c, m));
            acc.intoMemorySegment(out, (outOff + c) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void colArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long c = 0; c < cols; c += L) {
            VectorMask<Float> m = S.indexInRange(c, cols);
            VectorMask<Integer> mi = m.cast(I);
            if (rows == 0) {
                IntVector.broadcast(I, -1).intoMemorySegment(out, (outOff + c) * Integer.BYTES, NO, mi);
                continue;
            }
            FloatVector best = load(x, xOff + c, m);
            IntVector idx = IntVector.zero(I);
            for (long r = 1; r < rows; r++) {
                FloatVector v = load(x, xOff + r * cols + c, m);
                VectorMask<Float> gt = v.compare(VectorOperators.GT, best); // strict: the first maximum wins
                best = best.blend(v, gt);
                idx = idx.blend((int) r, gt.cast(I));
            }
            idx.intoMemorySegment(out, (outOff + c) * Integer.BYTES, NO, mi);
        }
    }
}
