package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.ElementwiseKernels;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Vector API version of {@link ElementwiseKernels}: full vectors over the bulk, one masked vector for
 * the tail, so every element goes through the same lane operation. Results equal the scalar twin
 * bit for bit (axpy fuses the multiply-add in both).
 */
public final class VectorElementwise implements ElementwiseKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    @Override
    public void add(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector va = FloatVector.fromMemorySegment(S, a, (aOff + i) * Float.BYTES, NATIVE);
            FloatVector vb = FloatVector.fromMemorySegment(S, b, (bOff + i) * Float.BYTES, NATIVE);
            va.add(vb).intoMemorySegment(out, (outOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector va = FloatVector.fromMemorySegment(S, a, (aOff + i) * Float.BYTES, NATIVE, m);
            FloatVector vb = FloatVector.fromMemorySegment(S, b, (bOff + i) * Float.BYTES, NATIVE, m);
            va.add(vb).intoMemorySegment(out, (outOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void sub(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector va = FloatVector.fromMemorySegment(S, a, (aOff + i) * Float.BYTES, NATIVE);
            FloatVector vb = FloatVector.fromMemorySegment(S, b, (bOff + i) * Float.BYTES, NATIVE);
            va.sub(vb).intoMemorySegment(out, (outOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector va = FloatVector.fromMemorySegment(S, a, (aOff + i) * Float.BYTES, NATIVE, m);
            FloatVector vb = FloatVector.fromMemorySegment(S, b, (bOff + i) * Float.BYTES, NATIVE, m);
            va.sub(vb).intoMemorySegment(out, (outOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void mul(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector va = FloatVector.fromMemorySegment(S, a, (aOff + i) * Float.BYTES, NATIVE);
            FloatVector vb = FloatVector.fromMemorySegment(S, b, (bOff + i) * Float.BYTES, NATIVE);
            va.mul(vb).intoMemorySegment(out, (outOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector va = FloatVector.fromMemorySegment(S, a, (aOff + i) * Float.BYTES, NATIVE, m);
            FloatVector vb = FloatVector.fromMemorySegment(S, b, (bOff + i) * Float.BYTES, NATIVE, m);
            va.mul(vb).intoMemorySegment(out, (outOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void scale(long n, float alpha, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE).mul(alpha)
                    .intoMemorySegment(out, (outOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE, m).mul(alpha)
                    .intoMemorySegment(out, (outOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        FloatVector va = FloatVector.broadcast(S, alpha);
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            FloatVector vx = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE);
            FloatVector vy = FloatVector.fromMemorySegment(S, y, (yOff + i) * Float.BYTES, NATIVE);
            va.fma(vx, vy).intoMemorySegment(y, (yOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector vx = FloatVector.fromMemorySegment(S, x, (xOff + i) * Float.BYTES, NATIVE, m);
            FloatVector vy = FloatVector.fromMemorySegment(S, y, (yOff + i) * Float.BYTES, NATIVE, m);
            va.fma(vx, vy).intoMemorySegment(y, (yOff + i) * Float.BYTES, NATIVE, m);
        }
    }

    @Override
    public void fill(long n, float value, MemorySegment out, long outOff) {
        FloatVector v = FloatVector.broadcast(S, value);
        long bound = S.loopBound(n);
        long i = 0;
        for (; i < bound; i += L) {
            v.intoMemorySegment(out, (outOff + i) * Float.BYTES, NATIVE);
        }
        if (i < n) {
            v.intoMemorySegment(out, (outOff + i) * Float.BYTES, NATIVE, S.indexInRange(i, n));
        }
    }

    /** A bulk memory copy is already the fastest vector loop there is (and handles exact aliasing). */
    @Override
    public void copy(long n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        MemorySegment.copy(x, xOff * Float.BYTES, out, outOff * Float.BYTES, n * Float.BYTES);
    }
}
