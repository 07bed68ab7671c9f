package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * The element-wise halves of the recurrent cells (vanilla tanh RNN and LSTM with gate order
 * i|f|o|g): everything between the GEMMs, fused so that each step makes one pass over its gate
 * pre-activations. Matrices are row-major with a leading dim (elements between rows), so a time step
 * {@code [:, t, :]} of an (N, T, K) sequence is used in place with leading dim {@code T*K}.
 * Offsets and leading dims count float elements. Unchecked: see {@link Recurrent}.
 */
public interface RecurrentKernels {
    /**
     * In place: {@code a[r, j] = tanh(a[r, j] + b[j])} for r &lt; n, j &lt; h.
     *
     * @param ws scratch of at least {@code h} floats (not touched by the scalar twin)
     */
    void rnnTanhForward(int n, int h, MemorySegment a, long aOff, long lda, MemorySegment b, long bOff,
                        MemorySegment ws, long wsOff);

    /**
     * {@code da[r, j] = (dh[r, j] + carry[r, j]) * (1 - y[r, j]^2)}, y the forward output. {@code carry}
     * (contiguous n x h) may be null (no gradient from a later step); {@code da} may be {@code dh} itself.
     */
    void rnnTanhBackward(int n, int h, MemorySegment y, long yOff, long ldy,
                         MemorySegment dh, long dhOff, long lddh,
                         MemorySegment carry, long carryOff,
                         MemorySegment da, long daOff, long ldda);

    /**
     * LSTM cell after the GEMMs. In place over {@code gates} (n x 4h, leading dim ldg, holding
     * {@code x@Wx + h@Wh}): adds {@code b} and activates, i, f, o = sigmoid, g = tanh. Then
     * {@code c = f*cPrev + i*g} and {@code hOut = o*tanh(c)}. {@code cPrev == null} means a zero cell state.
     * hOut's rows double as scratch, so hOut must not be cPrev, c or gates.
     */
    void lstmForward(int n, int h, MemorySegment gates, long gOff, long ldg, MemorySegment b, long bOff,
                     MemorySegment cPrev, long cpOff, long ldcp,
                     MemorySegment c, long cOff, long ldc,
                     MemorySegment hOut, long hOff, long ldh);

    /**
     * LSTM cell backward from the activated gates and the new cell state c. Upstream: {@code dh}
     * (leading dim lddh) plus {@code dhCarry} (contiguous n x h, may be null) on h, and {@code dcIn}
     * (contiguous n x h, may be null) on c. Writes {@code da} (n x 4h pre-activation grads, leading dim
     * ldda) and {@code dcPrev} (contiguous n x h), which may be the very same memory as {@code dcIn}
     * (each element is read before it is written). {@code cPrev == null} means a zero cell state.
     */
    void lstmBackward(int n, int h, MemorySegment gates, long gOff, long ldg,
                      MemorySegment c, long cOff, long ldc,
                      MemorySegment cPrev, long cpOff, long ldcp,
                      MemorySegment dh, long dhOff, long lddh,
                      MemorySegment dhCarry, long dhcOff,
                      MemorySegment dcIn, long dcInOff,
                      MemorySegment da, long daOff, long ldda,
                      MemorySegment dcPrev, long dcpOff);

    /** {@code db[j] += sum over r < rows of m[r, j]} (bias gradient), rows summed in order. */
    void addColumnSums(long rows, int cols, MemorySegment m, long mOff, long ldm, MemorySegment db, long dbOff);
}
