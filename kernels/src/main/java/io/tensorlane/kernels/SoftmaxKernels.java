package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Softmax and log-softmax along the last dim of a contiguous row-major {@code rows x cols} matrix
 * (offsets in elements). Stable for huge logits: the row maximum is subtracted first.
 * Unchecked: see {@link Softmax}.
 */
public interface SoftmaxKernels {
    /** y[r,k] = exp(x[r,k] - m_r) / sum_j exp(x[r,j] - m_r) */
    void softmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** dx = y * (dout - sum_k(dout * y)) per row, y being the softmax output */
    void softmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                         MemorySegment dx, long dxOff);

    /** y[r,k] = x[r,k] - m_r - log(sum_j exp(x[r,j] - m_r)) */
    void logSoftmax(long rows, long cols, MemorySegment x, long xOff, MemorySegment y, long yOff);

    /** dx = dout - exp(y) * sum_k(dout) per row, y being the log-softmax output */
    void logSoftmaxBackward(long rows, long cols, MemorySegment y, long yOff, MemorySegment dout, long dOff,
                            MemorySegment dx, long dxOff);
}
