package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.SoftmaxKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Vector API version of {@link SoftmaxKernels}. Forward softmax makes three passes over a row, all
 * hitting L1 for common widths: the maximum; {@code exp(x - max)} stored into y while summing; then
 * y scaled by 1/sum. Sums accumulate in float lanes per block of 512 elements and in double across
 * blocks (the scalar twin sums in double); the tests bound the difference. Row tails are one masked
 * vector, or, where exp is involved, a scalar loop doing the lanes' exact float operations.
 */
public final class VectorSoftmax implements SoftmaxKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Row elements summed in float lanes before the partial sum is added to a double total. */
    static final int BLOCK = 512;

    /**
     * The last pass of a row (y scaled by 1/sum) and the first of the next (its maximum) run as one loop:
     * two streams per iteration, one loop's overhead instead of two (5-11% off 256 x 1000 on Zen 3, same
     * JVM). The next row is only read, and the output may be the input (in place), never another row of it,
     * so reading row r + 1 while row r is written changes nothing: the same operations in the same order as
     * the three separate passes, bit for bit.
     */
    @Override
    public void softmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        if (rows <= 0) return;
        long bound = S.loopBound(cols);
        float max = shiftMax(cols, bound, x, xOff * Float.BYTES);
        for (long r = 0; r < rows; r++) {
            long xo = (xOff + r * cols) * Float.BYTES;
            long yo = (yOff + r * cols) * Float.BYTES;
            float inv = (float) (1.0 / expStoreSum(cols, bound, max, x, xo, y, yo));
            if (r + 1 < rows) {
                max = scaleThenMax(cols, bound, inv, y, yo, x, xo + cols * Float.BYTES);
            } else {
                scale(cols, bound, inv, y, yo);
            }
        }
    }

    /** {@link #scale} of one row fused with {@link #shiftMax} of another: returns the other row's maximum. */
    private static float scaleThenMax(long cols, long bound, float s, MemorySegment y, long yo, MemorySegment x, long xo) {
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromMemorySegment(S, y, yo + i * Float.BYTES, NATIVE).mul(s).intoMemorySegment(y, yo + i * Float.BYTES, NATIVE);
            FloatVector v = FloatVector.fromMemorySegment(S, x, xo + i * Float.BYTES, NATIVE);
            max = max.blend(v, v.compare(VectorOperators.GT, max));
        }
        float m = max.reduceLanes(VectorOperators.MAX);
        if (i < cols) {
            VectorMask<Float> mk = S.indexInRange(i, cols);
            FloatVector.fromMemorySegment(S, y, yo + i * Float.BYTES, NATIVE, mk).mul(s).intoMemorySegment(y, yo + i * Float.BYTES, NATIVE, mk);
        }
        for (; i < cols; i++) {
            float v = x.get(JAVA_FLOAT, xo + i * Float.BYTES);
            m = v > m ? v : m;
        }
        return m;
    }

    @Override
    public void softmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                MemorySegment dx, long dxOff) {
        long bound = S.loopBound(cols);
        for (long r = 0; r < rows; r++) {
            long yo = (yOff + r * cols) * Float.BYTES;
            long dO = (dOff + r * cols) * Float.BYTES;
            long xo = (dxOff + r * cols) * Float.BYTES;
            FloatVector acc = FloatVector.zero(S);
            long i = 0;
            for (; i < bound; i += L) {
                FloatVector vy = FloatVector.fromMemorySegment(S, y, yo + i * Float.BYTES, NATIVE);
                FloatVector vd = FloatVector.fromMemorySegment(S, dout, dO + i * Float.BYTES, NATIVE);
                acc = vy.fma(vd, acc);
            }
            if (i < cols) {
                VectorMask<Float> m = S.indexInRange(i, cols);
                FloatVector vy = FloatVector.fromMemorySegment(S, y, yo + i * Float.BYTES, NATIVE, m);
                FloatVector vd = FloatVector.fromMemorySegment(S, dout, dO + i * Float.BYTES, NATIVE, m);
                acc = vy.fma(vd, acc); // masked-off lanes loaded as 0 and add nothing
            }
            float dot = VectorMath.sumLanes(acc);
            for (i = 0; i < bound; i += L) {
                FloatVector vy = FloatVector.fromMemorySegment(S, y, yo + i * Float.BYTES, NATIVE);
                FloatVector vd = FloatVector.fromMemorySegment(S, dout, dO + i * Float.BYTES, NATIVE);
                vy.mul(vd.sub(dot)).intoMemorySegment(dx, xo + i * Float.BYTES, NATIVE);
            }
            if (i < cols) {
                VectorMask<Float> m = S.indexInRange(i, cols);
                FloatVector vy = FloatVector.fromMemorySegment(S, y, yo + i * Float.BYTES, NATIVE, m);
                FloatVector vd = FloatVector.fromMemorySegment(S, dout, dO + i * Float.BYTES, NATIVE, m);
                vy.mul(vd.sub(dot)).intoMemorySegment(dx, xo + i * Float.BYTES, NATIVE, m);
            }
        }
    }

    /**
     * y = (x - max) - log(sum): the shift is split so that an element close to the maximum keeps
     * its small result exactly (x - max is exact there) instead of losing it to the rounding of a
     * large {@code max + log(sum)}.
     */
    @Override
    public void logSoftmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        // exp's scratch: the output row, unless the output is the input (it would clobber x before the
        // last pass reads it); then one vector of scratch for the whole call
        if (rows > 0 && cols > 0 && VectorMath.sameMemory(x, xOff * Float.BYTES, y, yOff * Float.BYTES)) {
            try (Arena arena = Arena.ofConfined()) {
                logSoftmax(rows, cols, x, xOff, y, yOff, VectorMath.scratch(arena));
            }
        } else {
            logSoftmax(rows, cols, x, xOff, y, yOff, null);
        }
    }

    /** {@code scratch == null}: use the output row as exp's scratch. */
    private static void logSoftmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff,
                                   MemorySegment scratch) {
        long bound = S.loopBound(cols);
        for (long r = 0; r < rows; r++) {
            long xo = (xOff + r * cols) * Float.BYTES;
            long yo = (yOff + r * cols) * Float.BYTES;
            float max = shiftMax(cols, bound, x, xo);
            double sum = scratch == null ? expStoreSum(cols, bound, max, x, xo, y, yo) : expSum(cols, bound, max, x, xo, scratch);
            float logSum = (float) Math.log(sum);
            long i;
            for (i = 0; i < bound; i += L) {
                FloatVector.fromMemorySegment(S, x, xo + i * Float.BYTES, NATIVE).sub(max).sub(logSum)
                        .intoMemorySegment(y, yo + i * Float.BYTES, NATIVE);
            }
            if (i < cols) {
                VectorMask<Float> m = S.indexInRange(i, cols);
                FloatVector.fromMemorySegment(S, x, xo + i * Float.BYTES, NATIVE, m).sub(max).sub(logSum)
                        .intoMemorySegment(y, yo + i * Float.BYTES, NATIVE, m);
            }
        }
    }

    @Override
    public void logSoftmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                                   MemorySegment dx, long dxOff) {
        long bound = S.loopBound(cols);
        for (long r = 0; r < rows; r++) {
            long yo = (yOff + r * cols) * Float.BYTES;
            long dO = (dOff + r * cols) * Float.BYTES;
            long xo = (dxOff + r * cols) * Float.BYTES;
            FloatVector acc = FloatVector.zero(S);
            long i = 0;
            for (; i < bound; i += L) {
                acc = acc.add(FloatVector.fromMemorySegment(S, dout, dO + i * Float.BYTES, NATIVE));
            }
            if (i < cols) {
                acc = acc.add(FloatVector.fromMemorySegment(S, dout, dO + i * Float.BYTES, NATIVE, S.indexInRange(i, cols)));
            }
            float sum = VectorMath.sumLanes(acc);
            FloatVector sumV = FloatVector.broadcast(S, sum);
            for (i = 0; i < bound; i += L) {
                // load both inputs before exp uses dx as scratch (dx may alias either)
                FloatVector vy = FloatVector.fromMemorySegment(S, y, yo + i * Float.BYTES, NATIVE);
                FloatVector vd = FloatVector.fromMemorySegment(S, dout, dO + i * Float.BYTES, NATIVE);
                VectorMath.exp(vy, dx, xo + i * Float.BYTES).neg().fma(sumV, vd)
                        .intoMemorySegment(dx, xo + i * Float.BYTES, NATIVE);
            }
            for (; i < cols; i++) {
                float p = VectorMath.exp(y.get(JAVA_FLOAT, yo + i * Float.BYTES));
                dx.set(JAVA_FLOAT, xo + i * Float.BYTES, Math.fma(-p, sum, dout.get(JAVA_FLOAT, dO + i * Float.BYTES)));
            }
        }
    }

    /**
     * Stores exp(x - max) of one row into y (byte offsets xo, yo) and returns its sum. Lanes sum blocks
     * of {@link #BLOCK} elements in float; block totals are added in double, so the error does not
     * grow with the row. y doubles as exp's scratch (x is loaded first, so y may be x). {@code max} must
     * be the row's {@link #shiftMax}: exp then only sees x - max <= 0 (or NaN), the domain of
     * {@link VectorMath#expNonPositive}.
     */
    static double expStoreSum(long cols, long bound, float max, MemorySegment x, long xo, MemorySegment y, long yo) {
        double total = 0;
        long i = 0;
        while (i < bound) {
            long end = Math.min(bound, i + BLOCK);
            FloatVector sum = FloatVector.zero(S);
            for (; i < end; i += L) {
                FloatVector v = FloatVector.fromMemorySegment(S, x, xo + i * Float.BYTES, NATIVE).sub(max);
                FloatVector e = VectorMath.expNonPositive(v, y, yo + i * Float.BYTES); // v = x - max <= 0
                e.intoMemorySegment(y, yo + i * Float.BYTES, NATIVE);
                sum = sum.add(e);
            }
            total += VectorMath.sumLanes(sum);
        }
        for (; i < cols; i++) { // scalar tail, the lanes' exact operations
            float e = VectorMath.exp(x.get(JAVA_FLOAT, xo + i * Float.BYTES) - max);
            y.set(JAVA_FLOAT, yo + i * Float.BYTES, e);
            total += e;
        }
        return total;
    }

    /**
     * Sum of exp(x - max) over one row, accumulated like {@link #expStoreSum} (same rule for {@code max});
     * {@code scratch} is one vector.
     */
    static double expSum(long cols, long bound, float max, MemorySegment x, long xo, MemorySegment scratch) {
        double total = 0;
        long i = 0;
        while (i < bound) {
            long end = Math.min(bound, i + BLOCK);
            FloatVector sum = FloatVector.zero(S);
            for (; i < end; i += L) {
                FloatVector v = FloatVector.fromMemorySegment(S, x, xo + i * Float.BYTES, NATIVE).sub(max);
                sum = sum.add(VectorMath.expNonPositive(v, scratch, 0)); // v = x - max <= 0
            }
            total += VectorMath.sumLanes(sum);
        }
        for (; i < cols; i++) {
            total += VectorMath.exp(x.get(JAVA_FLOAT, xo + i * Float.BYTES) - max);
        }
        return total;
    }

    /**
     * Row maximum for the softmax shift: compare + blend, which skips NaN (cheaper than max(), whose
     * Math.max semantics cost several instructions per vector on x86). A NaN in the row still makes
     * the whole row NaN, through exp(NaN - max) in the sum, as in the scalar twin.
     */
    static float shiftMax(long cols, long bound, MemorySegment x, long o) {
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, o + i * Float.BYTES, NATIVE);
            max = max.blend(v, v.compare(VectorOperators.GT, max));
        }
        float m = max.reduceLanes(VectorOperators.MAX);
        for (; i < cols; i++) {
            float v = x.get(JAVA_FLOAT, o + i * Float.BYTES);
            m = v > m ? v : m;
        }
        return m;
    }

    /** Row maximum (Math.max semantics); byte offset {@code o}. Masked-off tail lanes keep -Infinity. */
    static float rowMax(long cols, long bound, MemorySegment x, long o) {
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        long i = 0;
        for (; i < bound; i += L) {
            max = max.max(FloatVector.fromMemorySegment(S, x, o + i * Float.BYTES, NATIVE));
        }
        if (i < cols) {
            VectorMask<Float> m = S.indexInRange(i, cols);
            max = max.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(S, x, o + i * Float.BYTES, NATIVE, m), m);
        }
        return max.reduceLanes(VectorOperators.MAX);
    }

    /** y *= s over one row at byte offset {@code o}. */
    private static void scale(long cols, long bound, float s, MemorySegment y, long o) {
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromMemorySegment(S, y, o + i * Float.BYTES, NATIVE).mul(s).intoMemorySegment(y, o + i * Float.BYTES, NATIVE);
        }
        if (i < cols) {
            VectorMask<Float> m = S.indexInRange(i, cols);
            FloatVector.fromMemorySegment(S, y, o + i * Float.BYTES, NATIVE, m).mul(s).intoMemorySegment(y, o + i * Float.BYTES, NATIVE, m);
        }
    }
}
