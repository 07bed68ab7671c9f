package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Elementwise float32 kernels over contiguous runs of {@code n} elements. Offsets are in elements
 * (not bytes). Output may alias an input exactly (same segment and offset), never partially.
 * Unchecked: see {@link Elementwise} for the validating entry points.
 */
public interface ElementwiseKernels {
    /** out[i] = a[i] + b[i] */
    void add(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    /** out[i] = a[i] - b[i] */
    void sub(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    /** out[i] = a[i] * b[i] */
    void mul(long n, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff);

    /** out[i] = alpha * x[i] */
    void scale(long n, float alpha, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** y[i] += alpha * x[i] (BLAS saxpy) */
    void axpy(long n, float alpha, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** out[i] = value */
    void fill(long n, float value, MemorySegment out, long outOff);

    /** out[i] = x[i] */
    void copy(long n, MemorySegment x, long xOff, MemorySegment out, long outOff);
}
