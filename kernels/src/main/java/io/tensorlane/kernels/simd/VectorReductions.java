package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.ReductionKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Vector API version of {@link ReductionKernels}.
 *
 * <ul>
 *   <li>Row reductions run along a contiguous row with vector accumulators. Sums are taken in float
 *   lanes over blocks of {@link #BLOCK} elements and the block totals added in double, so the error
 *   does not grow with the row length.</li>
 *   <li>Column reductions are vectorised across columns: one vector of adjacent columns is reduced
 *   over all rows in registers, then stored; only the last, partial vector of columns uses masked
 *   loads. Sums add blocks of {@link #BLOCK} rows in float and the block totals in a second float
 *   accumulator (two-level summation keeps long columns accurate). Variance makes two such passes
 *   (mean, then squared deviations).</li>
 *   <li>Loops are written out rather than shared through helpers that take or return vectors: a vector
 *   crossing a call that C2 does not inline is boxed on the heap.</li>
 *   <li>max is exact (Math.max semantics, NaN propagates); argmax tracks, per lane, the best value and
 *   its first index with a strict {@code >}, exactly as the scalar twin's scan does.</li>
 * </ul>
 */
public final class VectorReductions implements ReductionKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final VectorSpecies<Integer> SI = VectorWidth.INT;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Elements (rows for column sums) summed in float before the partial total is folded in. */
    static final int BLOCK = 256;

    @Override
    public void rowSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(cols);
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, (float) sum(cols, bound, x, (xOff + r * cols) * Float.BYTES));
        }
    }

    @Override
    public void rowMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(cols);
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, (float) (sum(cols, bound, x, (xOff + r * cols) * Float.BYTES) / cols));
        }
    }

    @Override
    public void rowMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(cols);
        for (long r = 0; r < rows; r++) {
            out.setAtIndex(JAVA_FLOAT, outOff + r, VectorSoftmax.rowMax(cols, bound, x, (xOff + r * cols) * Float.BYTES));
        }
    }

    @Override
    public void rowArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(cols);
        IntVector iota = IntVector.zero(SI).addIndex(1);
        for (long r = 0; r < rows; r++) {
            if (cols == 0) {
                out.setAtIndex(JAVA_INT, outOff + r, -1);
                continue;
            }
            long o = (xOff + r * cols) * Float.BYTES;
            FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            IntVector bestIdx = IntVector.zero(SI);
            IntVector idx = iota;
            long i = 0;
            for (; i < bound; i += L) {
                FloatVector v = FloatVector.fromMemorySegment(S, x, o + i * Float.BYTES, NATIVE);
                VectorMask<Float> gt = v.compare(VectorOperators.GT, best);
                best = best.blend(v, gt);
                bestIdx = bestIdx.blend(idx, gt.cast(SI));
                idx = idx.add(L);
            }
            if (i < cols) {
                VectorMask<Float> m = S.indexInRange(i, cols);
                FloatVector v = FloatVector.fromMemorySegment(S, x, o + i * Float.BYTES, NATIVE, m);
                VectorMask<Float> gt = v.compare(VectorOperators.GT, best).and(m);
                best = best.blend(v, gt);
                bestIdx = bestIdx.blend(idx, gt.cast(SI));
            }
            // Lanes never hold NaN (a strict > never picks it); the first index among the lanes that
            // reached the maximum is the first index of the maximum in the row.
            float max = best.reduceLanes(VectorOperators.MAX);
            VectorMask<Integer> atMax = best.compare(VectorOperators.EQ, max).cast(SI);
            out.setAtIndex(JAVA_INT, outOff + r, bestIdx.reduceLanes(VectorOperators.MIN, atMax));
        }
    }

    @Override
    public void rowVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(cols);
        for (long r = 0; r < rows; r++) {
            long o = (xOff + r * cols) * Float.BYTES;
            float mean = (float) (sum(cols, bound, x, o) / cols);
            out.setAtIndex(JAVA_FLOAT, outOff + r, (float) (squaredDeviations(cols, bound, mean, x, o) / cols));
        }
    }

    @Override
    public void colSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        colSums(rows, cols, 1f, x, xOff, out, outOff);
    }

    @Override
    public void colMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        colSums(rows, cols, (float) (1.0 / rows), x, xOff, out, outOff);
    }

    @Override
    public void colMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(cols);
        for (long c = 0; c < bound; c += L) {
            FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (long r = 0; r < rows; r++) {
                max = max.max(FloatVector.fromMemorySegment(S, x, (xOff + r * cols + c) * Float.BYTES, NATIVE));
            }
            max.intoMemorySegment(out, (outOff + c) * Float.BYTES, NATIVE);
        }
        if (bound < cols) {
            VectorMask<Float> m = S.indexInRange(bound, cols);
            FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (long r = 0; r < rows; r++) {
                max = max.max(FloatVector.fromMemorySegment(S, x, (xOff + r * cols + bound) * Float.BYTES, NATIVE, m));
            }
            max.intoMemorySegment(out, (outOff + bound) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void colArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(cols);
        if (rows == 0) {
            for (long c = 0; c < cols; c++) out.setAtIndex(JAVA_INT, outOff + c, -1);
            return;
        }
        for (long c = 0; c < bound; c += L) {
            FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            IntVector bestIdx = IntVector.zero(SI);
            for (long r = 0; r < rows; r++) {
                FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + r * cols + c) * Float.BYTES, NATIVE);
                VectorMask<Float> gt = v.compare(VectorOperators.GT, best);
                best = best.blend(v, gt);
                bestIdx = bestIdx.blend((int) r, gt.cast(SI));
            }
            bestIdx.intoMemorySegment(out, (outOff + c) * Integer.BYTES, NATIVE);
        }
        if (bound < cols) {
            VectorMask<Float> m = S.indexInRange(bound, cols);
            FloatVector best = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            IntVector bestIdx = IntVector.zero(SI);
            for (long r = 0; r < rows; r++) {
                FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + r * cols + bound) * Float.BYTES, NATIVE, m);
                VectorMask<Float> gt = v.compare(VectorOperators.GT, best);
                best = best.blend(v, gt);
                bestIdx = bestIdx.blend((int) r, gt.cast(SI));
            }
            bestIdx.intoMemorySegment(out, (outOff + bound) * Integer.BYTES, NATIVE, m.cast(SI));
        }
    }

    @Override
    public void colVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        float invRows = (float) (1.0 / rows);
        long bound = S.loopBound(cols);
        for (long c = 0; c < bound; c += L) {
            FloatVector sum = FloatVector.zero(S);
            for (long r0 = 0; r0 < rows; r0 += BLOCK) {
                long r1 = Math.min(rows, r0 + BLOCK);
                FloatVector acc = FloatVector.zero(S);
                for (long r = r0; r < r1; r++) {
                    acc = acc.add(FloatVector.fromMemorySegment(S, x, (xOff + r * cols + c) * Float.BYTES, NATIVE));
                }
                sum = sum.add(acc);
            }
            FloatVector mean = sum.mul(invRows);
            FloatVector total = FloatVector.zero(S);
            for (long r0 = 0; r0 < rows; r0 += BLOCK) {
                long r1 = Math.min(rows, r0 + BLOCK);
                FloatVector acc = FloatVector.zero(S);
                for (long r = r0; r < r1; r++) {
                    FloatVector d = FloatVector.fromMemorySegment(S, x, (xOff + r * cols + c) * Float.BYTES, NATIVE).sub(mean);
                    acc = d.fma(d, acc);
                }
                total = total.add(acc);
            }
            total.mul(invRows).intoMemorySegment(out, (outOff + c) * Float.BYTES, NATIVE);
        }
        if (bound < cols) {
            VectorMask<Float> m = S.indexInRange(bound, cols);
            FloatVector sum = FloatVector.zero(S);
            for (long r0 = 0; r0 < rows; r0 += BLOCK) {
                long r1 = Math.min(rows, r0 + BLOCK);
                FloatVector acc = FloatVector.zero(S);
                for (long r = r0; r < r1; r++) {
                    acc = acc.add(FloatVector.fromMemorySegment(S, x, (xOff + r * cols + bound) * Float.BYTES, NATIVE, m));
                }
                sum = sum.add(acc);
            }
            FloatVector mean = sum.mul(invRows);
            FloatVector total = FloatVector.zero(S);
            for (long r0 = 0; r0 < rows; r0 += BLOCK) {
                long r1 = Math.min(rows, r0 + BLOCK);
                FloatVector acc = FloatVector.zero(S);
                for (long r = r0; r < r1; r++) {
                    FloatVector d = FloatVector.fromMemorySegment(S, x, (xOff + r * cols + bound) * Float.BYTES, NATIVE, m).sub(mean);
                    acc = d.fma(d, acc);
                }
                total = total.add(acc);
            }
            total.mul(invRows).intoMemorySegment(out, (outOff + bound) * Float.BYTES, NATIVE, m);
        }
    }

    /**
     * out[c] = scale * sum over rows of x[r, c], two-level in float. Full vectors of columns use plain
     * loads; only the last, partial one is masked (masked loads cost more on every row).
     */
    private static void colSums(long rows, long cols, float scale, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(cols);
        for (long c = 0; c < bound; c += L) {
            FloatVector total = FloatVector.zero(S);
            for (long r0 = 0; r0 < rows; r0 += BLOCK) {
                long r1 = Math.min(rows, r0 + BLOCK);
                FloatVector acc = FloatVector.zero(S);
                for (long r = r0; r < r1; r++) {
                    acc = acc.add(FloatVector.fromMemorySegment(S, x, (xOff + r * cols + c) * Float.BYTES, NATIVE));
                }
                total = total.add(acc);
            }
            total.mul(scale).intoMemorySegment(out, (outOff + c) * Float.BYTES, NATIVE);
        }
        if (bound < cols) {
            VectorMask<Float> m = S.indexInRange(bound, cols);
            FloatVector total = FloatVector.zero(S);
            for (long r0 = 0; r0 < rows; r0 += BLOCK) {
                long r1 = Math.min(rows, r0 + BLOCK);
                FloatVector acc = FloatVector.zero(S);
                for (long r = r0; r < r1; r++) {
                    acc = acc.add(FloatVector.fromMemorySegment(S, x, (xOff + r * cols + bound) * Float.BYTES, NATIVE, m));
                }
                total = total.add(acc);
            }
            total.mul(scale).intoMemorySegment(out, (outOff + bound) * Float.BYTES, NATIVE, m);
        }
    }

    /** Sum of one contiguous row at byte offset {@code o}: float lanes per block, blocks in double. */
    private static double sum(long cols, long bound, MemorySegment x, long o) {
        double total = 0;
        long i = 0;
        while (i < bound) {
            long end = Math.min(bound, i + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (; i < end; i += L) {
                acc = acc.add(FloatVector.fromMemorySegment(S, x, o + i * Float.BYTES, NATIVE));
            }
            total += VectorMath.sumLanes(acc);
        }
        if (i < cols) {
            total += VectorMath.sumLanes(FloatVector.fromMemorySegment(S, x, o + i * Float.BYTES, NATIVE, S.indexInRange(i, cols)));
        }
        return total;
    }

    /** Sum of (x - mean)^2 over one row, accumulated like {@link #sum}. */
    private static double squaredDeviations(long cols, long bound, float mean, MemorySegment x, long o) {
        double total = 0;
        long i = 0;
        while (i < bound) {
            long end = Math.min(bound, i + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (; i < end; i += L) {
                FloatVector d = FloatVector.fromMemorySegment(S, x, o + i * Float.BYTES, NATIVE).sub(mean);
                acc = d.fma(d, acc);
            }
            total += VectorMath.sumLanes(acc);
        }
        if (i < cols) {
            VectorMask<Float> m = S.indexInRange(i, cols);
            FloatVector d = FloatVector.fromMemorySegment(S, x, o + i * Float.BYTES, NATIVE, m).sub(mean);
            total += VectorMath.sumLanes(d.mul(d).blend(0f, m.not()));
        }
        return total;
    }
}
