package io.tensorlane.layers.models;

import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;

/**
 * The linear models' shared plumbing: features (n, d) with a column of ones appended, so that the bias is
 * the last row of the weight matrix and one matmul gives the scores; and the gradient step with an L2
 * penalty that skips that bias row.
 */
final class DesignMatrix {
    private DesignMatrix() {
    }

    /** Rows of x viewed as (n, d); validates shape and finiteness. */
    static int rows(String op, float[] x, int d) {
        if (x == null) throw new IllegalArgumentException(op + ": x is null");
        if (d <= 0) throw new IllegalArgumentException(op + ": d must be > 0, got " + d);
        if (x.length % d != 0) throw new IllegalArgumentException(op + ": x has " + x.length + " values, not a multiple of d=" + d);
        for (int i = 0; i < x.length; i++) {
            if (!Float.isFinite(x[i])) throw new IllegalArgumentException(op + ": x[" + i / d + ", " + i % d + "] = " + x[i] + " is not finite");
        }
        return x.length / d;
    }

    /** (n, d + 1) tensor: x with a trailing column of ones. */
    static Tensor withOnes(float[] x, int n, int d) {
        float[] a = new float[n * (d + 1)];
        for (int i = 0; i < n; i++) {
            System.arraycopy(x, i * d, a, i * (d + 1), d);
            a[i * (d + 1) + d] = 1f;
        }
        return Tensor.copyOf(a, n, d + 1);
    }

    /**
     * The transpose of the design as its own contiguous (d + 1, n) tensor: every gradient step multiplies by
     * it, and a contiguous operand measured 3-4x faster than the transposed view for these thin products.
     */
    static Tensor transposed(Tensor xa) {
        return xa.transpose(0, 1).contiguous();
    }

    /**
     * One step {@code w -= lr * (X^T dScores + 2 l2 w_nobias)} where dScores (n, c) is d loss / d scores,
     * w is (d + 1, c) and xaT the (d + 1, n) transposed design. Returns the penalty {@code l2 * ||w_nobias||^2}
     * before the step.
     */
    static double step(Ops ops, Tensor xaT, Tensor dScores, Tensor w, double lr, double l2) {
        Tensor g = ops.matmul(xaT, dScores);
        double penalty = 0;
        if (l2 > 0) {
            Tensor wNoBias = Tensor.copyOf(w.toFloatArray(), w.shape());
            long rows = w.dim(0), cols = w.dim(1);
            for (long c = 0; c < cols; c++) wNoBias.setFloat(0f, rows - 1, c);
            for (float v : wNoBias.toFloatArray()) penalty += (double) v * v;
            penalty *= l2;
            ops.axpy((float) (2 * l2), wNoBias, g);
        }
        ops.axpy((float) -lr, g, w);
        return penalty;
    }

    /** Stopping rule: relative loss change below tol. */
    static boolean converged(double previous, double loss, double tol) {
        return tol > 0 && Math.abs(previous - loss) <= tol * Math.max(1e-12, Math.abs(previous));
    }
}
