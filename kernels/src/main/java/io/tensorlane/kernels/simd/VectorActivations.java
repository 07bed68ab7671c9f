package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.ActivationKernels;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vector API activations; sigmoid and tanh use the inlined polynomials of {@link VectorMath}. */
public final class VectorActivations implements ActivationKernels {
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
    public void relu(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            FloatVector v = load(x, xOff + i);
            // Same comparison as the twin (v > 0 ? v : 0), so NaN maps to 0 in both; max(v, 0) would keep NaN.
            v.blend(0f, v.compare(VectorOperators.GT, 0f).not()).intoMemorySegment(y, (yOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = load(x, xOff + i, m);
            v.blend(0f, v.compare(VectorOperators.GT, 0f).not()).intoMemorySegment(y, (yOff + i) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void reluBackward(long n, MemorySegment x, long xOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            VectorMask<Float> pos = load(x, xOff + i).compare(VectorOperators.GT, 0f);
            load(dout, dOff + i).blend(0f, pos.not()).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMask<Float> pos = load(x, xOff + i, m).compare(VectorOperators.GT, 0f);
            load(dout, dOff + i, m).blend(0f, pos.not()).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void leakyRelu(long n, float slope, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            FloatVector v = load(x, xOff + i);
            v.mul(slope).blend(v, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(y, (yOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector v = load(x, xOff + i, m);
            v.mul(slope).blend(v, v.compare(VectorOperators.GT, 0f)).intoMemorySegment(y, (yOff + i) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void leakyReluBackward(long n, float slope, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                                  MemorySegment dx, long dxOff) {
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            VectorMask<Float> pos = load(x, xOff + i).compare(VectorOperators.GT, 0f);
            FloatVector d = load(dout, dOff + i);
            d.mul(slope).blend(d, pos).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMask<Float> pos = load(x, xOff + i, m).compare(VectorOperators.GT, 0f);
            FloatVector d = load(dout, dOff + i, m);
            d.mul(slope).blend(d, pos).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void sigmoid(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            VectorMath.sigmoid(load(x, xOff + i)).intoMemorySegment(y, (yOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.sigmoid(load(x, xOff + i, m)).intoMemorySegment(y, (yOff + i) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void sigmoidBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            FloatVector s = load(y, yOff + i);
            load(dout, dOff + i).mul(s).mul(s.neg().add(1f)).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector s = load(y, yOff + i, m);
            load(dout, dOff + i, m).mul(s).mul(s.neg().add(1f)).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void tanh(long n, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            VectorMath.tanh(load(x, xOff + i)).intoMemorySegment(y, (yOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            VectorMath.tanh(load(x, xOff + i, m)).intoMemorySegment(y, (yOff + i) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void tanhBackward(long n, MemorySegment y, long yOff, MemorySegment dout, long dOff, MemorySegment dx, long dxOff) {
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            FloatVector t = load(y, yOff + i);
            load(dout, dOff + i).mul(t.mul(t).neg().add(1f)).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector t = load(y, yOff + i, m);
            load(dout, dOff + i, m).mul(t.mul(t).neg().add(1f)).intoMemorySegment(dx, (dxOff + i) * Float.BYTES, NO, m);
        }
    }
}
