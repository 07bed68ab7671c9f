package io.tensorlane.kernels.ref;

import io.tensorlane.kernels.ElementwiseKernels;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/** Scalar reference twin of {@link ElementwiseKernels}: one float operation per element, in index order. */
public final class ScalarElementwise implements ElementwiseKernels {
    @Override
    public void add(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(JAVA_FLOAT, outOff + i, a.getAtIndex(JAVA_FLOAT, aOff + i) + b.getAtIndex(JAVA_FLOAT, bOff + i));
        }
    }

    @Override
    public void sub(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(JAVA_FLOAT, outOff + i, a.getAtIndex(JAVA_FLOAT, aOff + i) - b.getAtIndex(JAVA_FLOAT, bOff + i));
        }
    }

    @Override
    public void mul(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(JAVA_FLOAT, outOff + i, a.getAtIndex(JAVA_FLOAT, aOff + i) * b.getAtIndex(JAVA_FLOAT, bOff + i));
        }
    }

    @Override
    public void scale(long n, float alpha, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(JAVA_FLOAT, outOff + i, alpha * x.getAtIndex(JAVA_FLOAT, xOff + i));
        }
    }

    /** Uses a fused multiply-add so that the SIMD version (which fuses too) matches bit for bit. */
    @Override
    public void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff) {
        for (long i = 0; i < n; i++) {
            y.setAtIndex(JAVA_FLOAT, yOff + i,
                    Math.fma(alpha, x.getAtIndex(JAVA_FLOAT, xOff + i), y.getAtIndex(JAVA_FLOAT, yOff + i)));
        }
    }

    @Override
    public void fill(long n, float value, MemorySegment out, long outOff) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(JAVA_FLOAT, outOff + i, value);
        }
    }

    @Override
    public void copy(long n, MemorySegment x, long xOff, MemorySegment out, long outOff) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(JAVA_FLOAT, outOff + i, x.getAtIndex(JAVA_FLOAT, xOff + i));
        }
    }
}
