package io.tensorlane.kernels;

/**
 * The right operand B ({@code rows x cols}, as stored, not transposed) of many products, copied once into
 * the layout that one kernel set's GEMM reads ({@link GemmKernels#newPackedB}, filled by
 * {@link GemmKernels#packB}), the idea of MKL's {@code cblas_sgemm_pack} and oneDNN's weight reorder.
 * Weights reused by many calls (an LSTM's {@code [Wx; Wh]} at inference, or across the steps of a sequence)
 * then skip the repacking of B, whose first touch of every row dominates products with few rows.
 *
 * <p>It is a snapshot, and nothing tracks the source: whoever holds it packs again after B's values change
 * (a layer does so when its weights are updated). Only the kernel set that made it can read it
 * ({@link GemmKernels#sgemmPacked} rejects another's); it holds {@code rows x cols} floats (padded) on the
 * Java heap.
 */
public abstract class PackedMatrix {
    private final int rows;
    private final int cols;

    /** For the kernel sets' own layouts; {@code rows, cols >= 1}. */
    protected PackedMatrix(int rows, int cols) {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("PackedMatrix: rows=" + rows + " and cols=" + cols + " must be >= 1");
        }
        this.rows = rows;
        this.cols = cols;
    }

    /** k, the number of rows of B. */
    public final int rows() {
        return rows;
    }

    /** n, the number of columns of B. */
    public final int cols() {
        return cols;
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + rows + " x " + cols + "]";
    }
}
