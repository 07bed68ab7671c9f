package io.tensorlane.kernels.simd;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.tensorlane.kernels.LossKernels;
import io.tensorlane.kernels.MseReduction;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API losses. Per-row partial sums are float vectors; the loss over rows is accumulated in
 * double, as in the twin.
 */
public final class VectorLosses implements LossKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    private static final long L = S.length();

    private static FloatVector load(MemorySegment s, long idx) {
        return FloatVector.fromMemorySegment(S, s, idx * Float.BYTES, NO);
    }

    private static FloatVector load(MemorySegment s, long idx, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(S, s, idx * Float.BYTES, NO, m);
    }

    @Override
    public double softmaxCrossEntropy(long n, long c, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                                      MemorySegment dx, long dxOff) {
        double loss = 0;
        float invN = (float) (1.0 / n);
        for (long i = 0; i < n; i++) {
            long xb = xOff + i * c;
            float m = VectorSoftmax.max(c, x, xb);
            // log-sum-exp relative to the max: subtracting m first keeps (x - m) - lse accurate even
            // for logits in the thousands, where x - logZ in float would lose ~ulp(|x|) of precision.
            double lseD = Math.log(VectorSoftmax.expShiftSum(c, x, xb, m, null, 0));
            float lse = (float) lseD;
            int y = labels.getAtIndex(JAVA_INT, lOff + i);
            loss += m + lseD - x.getAtIndex(JAVA_FLOAT, xb + y);
            if (dx != null) {
                long db = dxOff + i * c;
                long j = 0, up = c - c % L;
                for (; j < up; j += L) {
                    VectorMath.exp(load(x, xb + j).sub(m).sub(lse)).mul(invN).intoMemorySegment(dx, (db + j) * Float.BYTES, NO);
                }
                if (j < c) {
                    VectorMask<Float> mk = S.indexInRange(j, c);
                    VectorMath.exp(load(x, xb + j, mk).sub(m).sub(lse)).mul(invN).intoMemorySegment(dx, (db + j) * Float.BYTES, NO, mk);
                }
                // The label's entry is p - 1 with p near 1 when the model is right: form it in double
                // rather than cancel two floats.
                double py = Math.exp((double) (x.getAtIndex(JAVA_FLOAT, xb + y) - m) - lseD);
                dx.setAtIndex(JAVA_FLOAT, db + y, (float) ((py - 1.0) / n));
            }
        }
        return loss / n;
    }

    @Override
    public double svmHinge(long n, long c, float margin, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                           MemorySegment dx, long dxOff) {
        double loss = 0;
        float invN = (float) (1.0 / n);
        for (long i = 0; i < n; i++) {
            long xb = xOff + i * c, db = dxOff + i * c;
            int y = labels.getAtIndex(JAVA_INT, lOff + i);
            float shift = margin - x.getAtIndex(JAVA_FLOAT, xb + y);
            FloatVector acc = FloatVector.zero(S);
            FloatVector cnt = FloatVector.zero(S);
            for (long j = 0; j < c; j += L) {
                VectorMask<Float> mk = S.indexInRange(j, c);
                FloatVector mj = load(x, xb + j, mk).add(shift);
                VectorMask<Float> pos = mj.compare(VectorOperators.GT, 0f).and(mk);
                acc = acc.add(mj, pos);
                cnt = cnt.add(1f, pos);
                if (dx != null) {
                    FloatVector.zero(S).blend(invN, pos).intoMemorySegment(dx, (db + j) * Float.BYTES, NO, mk);
                }
            }
            // The label's own "margin" is exactly `margin` > 0 and was counted above: take it back out.
            float own = margin > 0f ? margin : 0f;
            float count = cnt.reduceLanes(VectorOperators.ADD) - (margin > 0f ? 1f : 0f);
            loss += (double) acc.reduceLanes(VectorOperators.ADD) - own;
            if (dx != null) dx.setAtIndex(JAVA_FLOAT, db + y, (float) (-(double) count / n));
        }
        return loss / n;
    }

    @Override
    public double mse(MseReduction reduction, long numel, long batch, MemorySegment pred, long pOff,
                      MemorySegment target, long tOff, MemorySegment dpred, long dOff) {
        float gradScale = (float) (reduction == MseReduction.MEAN ? 2.0 / numel : 1.0 / batch);
        double ss = 0;
        // Partial sums per block of vectors keep float rounding bounded on long inputs.
        final long block = 4096;
        for (long b0 = 0; b0 < numel; b0 += block) {
            long end = Math.min(numel, b0 + block);
            FloatVector acc = FloatVector.zero(S);
            for (long i = b0; i < end; i += L) {
                VectorMask<Float> mk = S.indexInRange(i, end);
                FloatVector d = load(pred, pOff + i, mk).sub(load(target, tOff + i, mk));
                acc = d.fma(d, acc);
                if (dpred != null) d.mul(gradScale).intoMemorySegment(dpred, (dOff + i) * Float.BYTES, NO, mk);
            }
            ss += acc.reduceLanes(VectorOperators.ADD);
        }
        return reduction == MseReduction.MEAN ? ss / numel : ss / (2.0 * batch);
    }

    @Override
    public double sigmoidBce(long numel, MemorySegment x, long xOff, MemorySegment target, long tOff,
                             MemorySegment dx, long dxOff) {
        float invN = (float) (1.0 / numel);
        double loss = 0;
        final long block = 4096;
        for (long b0 = 0; b0 < numel; b0 += block) {
            long end = Math.min(numel, b0 + block);
            FloatVector acc = FloatVector.zero(S);
            for (long i = b0; i < end; i += L) {
                VectorMask<Float> mk = S.indexInRange(i, end);
                FloatVector v = load(x, xOff + i, mk);
                FloatVector t = load(target, tOff + i, mk);
                // max(x,0) - x t + log(1 + e^-|x|): the stable form, finite for any logit.
                FloatVector l = v.max(0f).sub(v.mul(t))
                        .add(VectorMath.exp(v.abs().neg()).lanewise(VectorOperators.LOG1P));
                acc = acc.add(l, mk);
                if (dx != null) VectorMath.sigmoid(v).sub(t).mul(invN).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NO, mk);
            }
            loss += acc.reduceLanes(VectorOperators.ADD);
        }
        return loss / numel;
    }
}
