package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.LossKernels;
import io.tensorlane.kernels.MseReduction;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Vector API version of {@link LossKernels}. Per-row (or per-block) partial sums accumulate in float
 * lanes and are folded into a double total, so the loss error does not grow with the batch. Hinge
 * margins and mse differences are formed with the same float operations as in the scalar twin, so
 * both take the same branches and write the same gradients.
 */
public final class VectorLosses implements LossKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    /** Elements summed in float lanes before the partial sum is added to the double total. */
    private static final int BLOCK = 256;

    @Override
    public double softmaxCrossEntropy(long n, long c, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                                      MemorySegment dx, long dxOff) {
        if (dx == null) { // exp needs a scratch; with a gradient, dx serves
            try (Arena arena = Arena.ofConfined()) {
                return softmaxCrossEntropy(n, c, x, xOff, labels, lOff, null, 0, VectorMath.scratch(arena));
            }
        }
        return softmaxCrossEntropy(n, c, x, xOff, labels, lOff, dx, dxOff, null);
    }

    private static double softmaxCrossEntropy(long n, long c, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                                              MemorySegment dx, long dxOff, MemorySegment scratch) {
        long bound = S.loopBound(c);
        double loss = 0;
        for (long r = 0; r < n; r++) {
            long xo = (xOff + r * c) * Float.BYTES;
            long dxo = (dxOff + r * c) * Float.BYTES;
            int label = labels.getAtIndex(JAVA_INT, lOff + r);
            float correct = x.getAtIndex(JAVA_FLOAT, xOff + r * c + label); // read before dx may overwrite x
            float max = VectorSoftmax.shiftMax(c, bound, x, xo);
            double rowSum = dx != null ? VectorSoftmax.expStoreSum(c, bound, max, x, xo, dx, dxo)
                    : VectorSoftmax.expSum(c, bound, max, x, xo, scratch);
            loss += max + Math.log(rowSum) - correct;
            if (dx != null) {
                float scale = (float) (1.0 / (rowSum * n));
                long i = 0;
                for (; i < bound; i += L) {
                    FloatVector.fromMemorySegment(S, dx, dxo + i * Float.BYTES, NATIVE).mul(scale)
                            .intoMemorySegment(dx, dxo + i * Float.BYTES, NATIVE);
                }
                if (i < c) {
                    VectorMask<Float> m = S.indexInRange(i, c);
                    FloatVector.fromMemorySegment(S, dx, dxo + i * Float.BYTES, NATIVE, m).mul(scale)
                            .intoMemorySegment(dx, dxo + i * Float.BYTES, NATIVE, m);
                }
                long at = dxOff + r * c + label;
                dx.setAtIndex(JAVA_FLOAT, at, (float) (dx.getAtIndex(JAVA_FLOAT, at) - 1.0 / n));
            }
        }
        return loss / n;
    }

    /**
     * Every column, the label's included, gets margin_j = (x_j - x_y) + margin; the label's own term is
     * then exactly {@code margin} and is taken back out of the row's loss and positive count.
     */
    @Override
    public double svmHinge(long n, long c, float margin, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                           MemorySegment dx, long dxOff) {
        long bound = S.loopBound(c);
        float inv = 1f / n;
        FloatVector zero = FloatVector.zero(S);
        FloatVector invV = FloatVector.broadcast(S, inv);
        double loss = 0;
        for (long r = 0; r < n; r++) {
            long xo = (xOff + r * c) * Float.BYTES;
            long dxo = (dxOff + r * c) * Float.BYTES;
            int label = labels.getAtIndex(JAVA_INT, lOff + r);
            float correct = x.getAtIndex(JAVA_FLOAT, xOff + r * c + label);
            FloatVector acc = FloatVector.zero(S);
            long positive = 0;
            long i = 0;
            for (; i < bound; i += L) {
                FloatVector mj = FloatVector.fromMemorySegment(S, x, xo + i * Float.BYTES, NATIVE).sub(correct).add(margin);
                VectorMask<Float> pos = mj.compare(VectorOperators.GT, 0f);
                acc = acc.add(mj, pos);
                positive += pos.trueCount();
                if (dx != null) zero.blend(invV, pos).intoMemorySegment(dx, dxo + i * Float.BYTES, NATIVE);
            }
            if (i < c) {
                VectorMask<Float> m = S.indexInRange(i, c);
                FloatVector mj = FloatVector.fromMemorySegment(S, x, xo + i * Float.BYTES, NATIVE, m).sub(correct).add(margin);
                VectorMask<Float> pos = mj.compare(VectorOperators.GT, 0f).and(m);
                acc = acc.add(mj, pos);
                positive += pos.trueCount();
                if (dx != null) zero.blend(invV, pos).intoMemorySegment(dx, dxo + i * Float.BYTES, NATIVE, m);
            }
            double rowLoss = VectorMath.sumLanes(acc);
            float own = (correct - correct) + margin; // what the label's column contributed
            if (own > 0f) {
                rowLoss -= own;
                positive--;
            }
            loss += rowLoss;
            if (dx != null) dx.setAtIndex(JAVA_FLOAT, dxOff + r * c + label, (float) (-(double) positive / n));
        }
        return loss / n;
    }

    @Override
    public double mse(MseReduction reduction, long numel, long batch, MemorySegment pred, long pOff,
                      MemorySegment target, long tOff, MemorySegment dpred, long dOff) {
        float gradScale = (float) (reduction == MseReduction.MEAN ? 2.0 / numel : 1.0 / batch);
        long bound = S.loopBound(numel);
        double total = 0;
        long i = 0;
        while (i < bound) {
            long end = Math.min(bound, i + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (; i < end; i += L) {
                FloatVector d = FloatVector.fromMemorySegment(S, pred, (pOff + i) * Float.BYTES, NATIVE)
                        .sub(FloatVector.fromMemorySegment(S, target, (tOff + i) * Float.BYTES, NATIVE));
                acc = d.fma(d, acc);
                if (dpred != null) d.mul(gradScale).intoMemorySegment(dpred, (dOff + i) * Float.BYTES, NATIVE);
            }
            total += VectorMath.sumLanes(acc);
        }
        if (i < numel) {
            VectorMask<Float> m = S.indexInRange(i, numel);
            FloatVector d = FloatVector.fromMemorySegment(S, pred, (pOff + i) * Float.BYTES, NATIVE, m)
                    .sub(FloatVector.fromMemorySegment(S, target, (tOff + i) * Float.BYTES, NATIVE, m));
            total += VectorMath.sumLanes(d.mul(d)); // masked-off lanes are 0 - 0
            if (dpred != null) d.mul(gradScale).intoMemorySegment(dpred, (dOff + i) * Float.BYTES, NATIVE, m);
        }
        return reduction == MseReduction.MEAN ? total / numel : total / (2.0 * batch);
    }

    /**
     * Per element max(x,0) - x*t + log1p(exp(-|x|)); exp(-|x|) is shared with the gradient's sigmoid:
     * with e = exp(-|x|), sigmoid(x) = 1/(1+e) for x &gt;= 0 and e/(1+e) otherwise.
     */
    @Override
    public double sigmoidBce(long numel, MemorySegment x, long xOff, MemorySegment target, long tOff,
                             MemorySegment dx, long dxOff) {
        if (dx == null) { // exp needs a scratch; with a gradient, dx serves
            try (Arena arena = Arena.ofConfined()) {
                return sigmoidBce(numel, x, xOff, target, tOff, null, 0, VectorMath.scratch(arena));
            }
        }
        return sigmoidBce(numel, x, xOff, target, tOff, dx, dxOff, null);
    }

    private static double sigmoidBce(long numel, MemorySegment x, long xOff, MemorySegment target, long tOff,
                                     MemorySegment dx, long dxOff, MemorySegment scratch) {
        float inv = (float) (1.0 / numel);
        long bound = S.loopBound(numel);
        double total = 0;
        long i = 0;
        while (i < bound) {
            long end = Math.min(bound, i + BLOCK);
            FloatVector acc = FloatVector.zero(S);
            for (; i < end; i += L) {
                // inputs first: dx (exp's scratch when present) may alias x or target
                FloatVector v = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE);
                FloatVector t = FloatVector.fromMemorySegment(S, target, (tOff + i) * Float.BYTES, NATIVE);
                FloatVector e = dx != null ? VectorMath.expNonPositive(v.abs().neg(), dx, (dxOff + i) * Float.BYTES)
                        : VectorMath.expNonPositive(v.abs().neg(), scratch, 0);
                acc = acc.add(v.max(0f).sub(v.mul(t)).add(e.lanewise(VectorOperators.LOG1P)));
                if (dx != null) {
                    FloatVector r = FloatVector.broadcast(S, 1f).div(e.add(1f));
                    FloatVector s = r.blend(e.mul(r), v.compare(VectorOperators.LT, 0f));
                    s.sub(t).mul(inv).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NATIVE);
                }
            }
            total += VectorMath.sumLanes(acc);
        }
        for (; i < numel; i++) { // scalar tail with the lanes' operations
            float v = x.getAtIndex(JAVA_FLOAT, xOff + i);
            float t = target.getAtIndex(JAVA_FLOAT, tOff + i);
            float e = VectorMath.exp(-Math.abs(v));
            total += Math.max(v, 0f) - v * t + (float) Math.log1p(e);
            if (dx != null) {
                float r = 1f / (e + 1f);
                float s = v < 0f ? e * r : r;
                dx.setAtIndex(JAVA_FLOAT, dxOff + i, (s - t) * inv);
            }
        }
        return total / numel;
    }
}
