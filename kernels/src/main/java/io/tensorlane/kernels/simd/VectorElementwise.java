package io.tensorlane.kernels.simd;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.kernels.ElementwiseKernels;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/** Vector API elementwise kernels; full vectors, then one masked tail. */
public final class VectorElementwise implements ElementwiseKernels {
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
    public void add(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            load(a, aOff + i).add(load(b, bOff + i)).intoMemorySegment(out, (outOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            load(a, aOff + i, m).add(load(b, bOff + i, m)).intoMemorySegment(out, (outOff + i) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void sub(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            load(a, aOff + i).sub(load(b, bOff + i)).intoMemorySegment(out, (outOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            load(a, aOff + i, m).sub(load(b, bOff + i, m)).intoMemorySegment(out, (outOff + i) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void mul(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            load(a, aOff + i).mul(load(b, bOff + i)).intoMemorySegment(out, (outOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            load(a, aOff + i, m).mul(load(b, bOff + i, m)).intoMemorySegment(out, (outOff + i) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void scale(long n, float alpha, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            load(x, xOff + i).mul(alpha).intoMemorySegment(out, (outOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            load(x, xOff + i, m).mul(alpha).intoMemorySegment(out, (outOff + i) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            load(x, xOff + i).fma(va, load(y, yOff + i)).intoMemorySegment(y, (yOff + i) * Float.BYTES, NO);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            load(x, xOff + i, m).fma(va, load(y, yOff + i, m)).intoMemorySegment(y, (yOff + i) * Float.BYTES, NO, m);
        }
    }

    @Override
    public void fill(long n, float value, MemorySegment out, long outOff) {
        // MemorySegment.fill only sets bytes; a float pattern needs stores.
        FloatVector v = FloatVector.broadcast(S, value);
        long i = 0, up = n - n % L;
        for (; i < up; i += L) {
            v.intoMemorySegment(out, (outOff + i) * Float.BYTES, NO);
        }
        for (; i < n; i++) {
            out.setAtIndex(JAVA_FLOAT, outOff + i, value);
        }
    }

    @Override
    public void copy(long n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        // The JDK's bulk copy is already a tuned memmove.
        MemorySegment.copy(x, JAVA_FLOAT, xOff * Float.BYTES, out, JAVA_FLOAT, outOff * Float.BYTES, n);
    }
}
