package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Reductions of a contiguous row-major {@code rows x cols} float32 matrix (offsets in elements):
 * {@code row*} reduce along the last dim (one result per row), {@code col*} along the first dim
 * (one result per column). Variance is the biased (population) variance, divided by the count, as
 * batch norm uses it. {@code max} follows {@link Math#max(float, float)} (a NaN in the line gives
 * NaN). {@code argmax} returns the first index of the maximum as int32: a strict {@code >} scan
 * starting from -Infinity at index 0, so NaN is skipped and a line of only NaN/-Infinity gives 0.
 * Empty reductions ({@code cols == 0} for rows, {@code rows == 0} for cols): sum 0,
 * mean/variance NaN, max -Infinity, argmax -1. Unchecked: see {@link Reductions}.
 */
public interface ReductionKernels {
    void rowSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    void rowMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    void rowMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** out is int32 */
    void rowArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    void rowVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    void colSum(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    void colMean(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    void colMax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    /** out is int32 */
    void colArgmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff);

    void colVariance(long rows, long cols, MemorySegment x, long xOff, MemorySegment out, long outOff);
}
