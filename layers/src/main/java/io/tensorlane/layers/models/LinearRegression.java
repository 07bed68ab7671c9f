package io.tensorlane.layers.models;

import io.tensorlane.kernels.MseReduction;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;

/**
 * Least-squares linear regression {@code y ~ x . w + b}, minimising {@code mean((y - x.w - b)^2) + l2 ||w||^2}
 * (the bias is not penalised), either exactly by the normal equation or by full-batch gradient descent.
 * Both minimise the same objective, so with enough iterations they agree.
 */
public final class LinearRegression {
    private final Ops ops;
    private final double[] weights;
    private final double bias;
    private final double[] lossHistory;

    private LinearRegression(Ops ops, double[] weights, double bias, double[] lossHistory) {
        this.ops = ops;
        this.weights = weights;
        this.bias = bias;
        this.lossHistory = lossHistory;
    }

    /**
     * Solves the normal equation in double: with X and y centred (which makes the bias exact and unpenalised),
     * {@code (Xc^T Xc + n l2 I) w = Xc^T yc} by Cholesky, {@code b = mean(y) - mean(x) . w}.
     *
     * @param x  features (n, d) row-major, n >= 1
     * @param y  targets (n)
     * @param l2 penalty >= 0; 0 is ordinary least squares
     * @throws SingularMatrixException when {@code Xc^T Xc} is singular (a constant feature, a feature that is
     *                                 a combination of others, or fewer rows than features) and l2 is 0
     */
    public static LinearRegression fitNormalEquation(float[] x, float[] y, int d, double l2) {
        String op = "LinearRegression.fitNormalEquation";
        int n = checkXy(op, x, y, d);
        if (!(l2 >= 0) || !Double.isFinite(l2)) throw new IllegalArgumentException(op + ": l2 must be finite and >= 0, got " + l2);
        double[] mx = new double[d];
        double my = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) mx[j] += x[i * d + j];
            my += y[i];
        }
        for (int j = 0; j < d; j++) mx[j] /= n;
        my /= n;
        double[] a = new double[d * d], rhs = new double[d];
        double[] row = new double[d];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) row[j] = x[i * d + j] - mx[j];
            double yc = y[i] - my;
            for (int p = 0; p < d; p++) {
                rhs[p] += row[p] * yc;
                for (int q = 0; q <= p; q++) a[p * d + q] += row[p] * row[q];
            }
        }
        for (int p = 0; p < d; p++) {
            a[p * d + p] += n * l2;
            for (int q = 0; q < p; q++) a[q * d + p] = a[p * d + q];
        }
        double[] w;
        try {
            w = Cholesky.factor(a, d, op + ": X^T X").solve(rhs);
        } catch (SingularMatrixException e) {
            throw new SingularMatrixException(e.getMessage() + " (feature " + e.column() + " of x=[" + n + ", " + d
                    + "]); drop that feature or use l2 > 0", e.column());
        }
        double b = my;
        for (int j = 0; j < d; j++) b -= mx[j] * w[j];
        return new LinearRegression(Ops.on(Device.cpu()), w, b, new double[0]);
    }

    /** Gradient descent on the CPU. */
    public static LinearRegression fitGradientDescent(float[] x, float[] y, int d, GradientDescent gd) {
        return fitGradientDescent(Ops.on(Device.cpu()), x, y, d, gd);
    }

    /**
     * Full-batch gradient descent from zero through {@code ops}: scores = [X 1] @ w (matmul), mean squared
     * error and its gradient (mseLoss), {@code grad w = [X 1]^T dScores} (matmul). Features should be on
     * comparable scales (standardise them) or the step size that is stable for the largest one crawls
     * for the others.
     */
    public static LinearRegression fitGradientDescent(Ops ops, float[] x, float[] y, int d, GradientDescent gd) {
        int n = checkXy("LinearRegression.fitGradientDescent", x, y, d);
        Tensor xa = DesignMatrix.withOnes(x, n, d);
        Tensor xaT = DesignMatrix.transposed(xa);
        Tensor target = Tensor.copyOf(y, n, 1);
        Tensor w = Tensor.copyOf(new float[d + 1], d + 1, 1);
        double[] history = new double[gd.iterations()];
        int it = 0;
        double previous = Double.NaN;
        for (; it < gd.iterations(); it++) {
            LossResult r = ops.mseLoss(ops.matmul(xa, w), target, MseReduction.MEAN);
            double penalty = DesignMatrix.step(ops, xaT, r.grad(), w, gd.learningRate(), gd.l2());
            history[it] = r.loss() + penalty;
            if (!Double.isFinite(history[it])) {
                throw new IllegalStateException("LinearRegression.fitGradientDescent: loss diverged to " + history[it] + " at iteration "
                        + it + "; lower the learning rate (" + gd.learningRate() + ") or standardise the features");
            }
            if (it > 0 && DesignMatrix.converged(previous, history[it], gd.tolerance())) { it++; break; }
            previous = history[it];
        }
        float[] wf = w.toFloatArray();
        double[] weights = new double[d];
        for (int j = 0; j < d; j++) weights[j] = wf[j];
        return new LinearRegression(ops, weights, wf[d], java.util.Arrays.copyOf(history, it));
    }

    private static int checkXy(String op, float[] x, float[] y, int d) {
        int n = DesignMatrix.rows(op, x, d);
        if (n == 0) throw new IllegalArgumentException(op + ": x has no rows (d=" + d + ")");
        if (y == null || y.length != n) throw new IllegalArgumentException(op + ": y has " + (y == null ? "no" : y.length) + " values for x=[" + n + ", " + d + "]");
        for (int i = 0; i < n; i++) if (!Float.isFinite(y[i])) throw new IllegalArgumentException(op + ": y[" + i + "] = " + y[i] + " is not finite");
        return n;
    }

    /** Predictions for x (n, d): {@code x @ w + b} as a float32 matmul through Ops. */
    public float[] predict(float[] x) {
        int d = weights.length;
        int n = DesignMatrix.rows("LinearRegression.predict", x, d);
        float[] w = new float[d + 1];
        for (int j = 0; j < d; j++) w[j] = (float) weights[j];
        w[d] = (float) bias;
        return ops.matmul(DesignMatrix.withOnes(x, n, d), Tensor.copyOf(w, d + 1, 1)).toFloatArray();
    }

    /** Weights w (d), a copy. */
    public double[] weights() { return weights.clone(); }

    public double bias() { return bias; }

    /** Objective per gradient-descent iteration (empty for the normal equation), a copy. */
    public double[] lossHistory() { return lossHistory.clone(); }
}
