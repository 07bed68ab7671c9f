package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.SoftmaxKernels;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API softmax / log-softmax per row: one pass for the max, one fused pass that writes
 * e^(x - max) and sums it, one pass to scale. Sums use vector float accumulators (the twin uses
 * double; the difference is a few ulp for rows of thousands).
 */
public final class VectorSoftmax implements SoftmaxKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final long L = S.length();

    private static FloatVector load(MemorySegment s, long idx) {
        return FloatVector.fromMemorySegment(S, s, idx * Float.BYTES, NO);
    }

    private static FloatVector load(MemorySegment s, long idx, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(S, s, idx * Float.BYTES, NO, m);
    }

    static float max(long cols, MemorySegment x, long base) {
        FloatVector acc = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        long j = 0, up = cols - cols % L;
        for (; j < up; j += L) acc = acc.max(load(x, base + j));
        if (j < cols) {
            VectorMask<Float> m = S.indexInRange(j, cols);
            acc = acc.max(FloatVector.broadcast(S, Float.NEGATIVE_INFINITY).blend(load(x, base + j, m), m));
        }
        return acc.reduceLanes(VectorOperators.MAX);
    }

    /** Writes e^(x - m) to y (when y != null) and returns the sum. */
    static float expShiftSum(long cols, MemorySegment x, long xb, float m, MemorySegment y, long yb) {
        FloatVector acc = FloatVector.zero(S);
        long j = 0, up = cols - cols % L;
        for (; j < up; j += L) {
            FloatVector e = VectorMath.exp(load(x, xb + j).sub(m));
            if (y != null) e.intoMemorySegment(y, (yb + j) * Float.BYTES, NO);
            acc = acc.add(e);
        }
        if (j < cols) {
            VectorMask<Float> mk = S.indexInRange(j, cols);
            FloatVector e = VectorMath.exp(load(x, xb + j, mk).sub(m));
            if (y != null) e.intoMemorySegment(y, (yb + j) * Float.BYTES, NO, mk);
            acc = acc.add(e, mk);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float dot(long cols, MemorySegment a, long ab, MemorySegment b, long bb) {
        FloatVector acc = FloatVector.zero(S);
        long j = 0, up = cols - cols % L;
        for (; j < up; j += L) acc = load(a, ab + j).fma(load(b, bb + j), acc);
        if (j < cols) {
            VectorMask<Float> m = S.indexInRange(j, cols);
            acc = load(a, ab + j, m).fma(load(b, bb + j, m), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    static float sum(long cols, MemorySegment a, long ab) {
        FloatVector acc = FloatVector.zero(S);
        long j = 0, up = cols - cols % L;
        for (; j < up; j += L) acc = acc.add(load(a, ab + j));
        if (j < cols) acc = acc.add(load(a, ab + j, S.indexInRange(j, cols)));
        return acc.reduceLanes(VectorOperators.ADD);
    }

    @Override
    public void softmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (long r = 0; r < rows; r++) {
            long xb = xOff + r * cols, yb = yOff + r * cols;
            float m = max(cols, x, xb);
            float inv = 1f / expShiftSum(cols, x, xb, m, y, yb);
            long j = 0, up = cols - cols % L;
            for (; j < up; j += L) load(y, yb + j).mul(inv).intoMemorySegment(y, (yb + j) * Float.BYTES, NO);
            if (j < cols) {
                VectorMask<Float> mk = S.indexInRange(j, cols);
                load(y, yb + j, mk).mul(inv).intoMemorySegment(y, (yb + j) * Float.BYTES, NO, mk);
            }
        }
    }

    @Override
    public void softmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                MemorySegment dx, long dxOff) {
        for (long r = 0; r < rows; r++) {
            long yb = yOff + r * cols, db = dOff + r * cols, xb = dxOff + r * cols;
            float s = dot(cols, y, yb, dout, db);
            long j = 0, up = cols - cols % L;
            for (; j < up; j += L) {
                load(y, yb + j).mul(load(dout, db + j).sub(s)).intoMemorySegment(dx, (xb + j) * Float.BYTES, NO);
            }
            if (j < cols) {
                VectorMask<Float> mk = S.indexInRange(j, cols);
                load(y, yb + j, mk).mul(load(dout, db + j, mk).sub(s)).intoMemorySegment(dx, (xb + j) * Float.BYTES, NO, mk);
            }
        }
    }

    @Override
    public void logSoftmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (long r = 0; r < rows; r++) {
            long xb = xOff + r * cols, yb = yOff + r * cols;
            float m = max(cols, x, xb);
            // (x - m) - lse, not x - (m + lse): for logits in the thousands m + lse would round to ulp(m).
            float lse = (float) Math.log(expShiftSum(cols, x, xb, m, null, 0));
            long j = 0, up = cols - cols % L;
            for (; j < up; j += L) load(x, xb + j).sub(m).sub(lse).intoMemorySegment(y, (yb + j) * Float.BYTES, NO);
            if (j < cols) {
                VectorMask<Float> mk = S.indexInRange(j, cols);
                load(x, xb + j, mk).sub(m).sub(lse).intoMemorySegment(y, (yb + j) * Float.BYTES, NO, mk);
            }
        }
    }

    @Override
    public void logSoftmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                   MemorySegment dx, long dxOff) {
        for (long r = 0; r < rows; r++) {
            long yb = yOff + r * cols, db = dOff + r * cols, xb = dxOff + r * cols;
            float s = sum(cols, dout, db);
            long j = 0, up = cols - cols % L;
            for (; j < up; j += L) {
                VectorMath.exp(load(y, yb + j)).fma(FloatVector.broadcast(S, -s), load(dout, db + j)).intoMemorySegment(dx, (xb + j) * Float.BYTES, NO);
            }
            if (j < cols) {
                VectorMask<Float> mk = S.indexInRange(j, cols);
                VectorMath.exp(load(y, yb + j, mk)).fma(FloatVector.broadcast(S, -s), load(dout, db + j, mk))
                        .intoMemorySegment(dx, (xb + j) * Float.BYTES, NO, mk);
            }
        }
    }
}
