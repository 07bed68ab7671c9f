package io.tensorlane.layers.models;

import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;

/**
 * Binary logistic regression {@code P(y = 1 | x) = sigmoid(x . w + b)}, minimising the mean binary
 * cross-entropy plus {@code l2 ||w||^2} (bias not penalised), by full-batch gradient descent through
 * {@link Ops} (matmul, sigmoidBceLoss) or by Newton's method (iteratively reweighted least squares) in
 * double. Labels are 0 or 1. Standardise the features first.
 */
public final class LogisticRegression {
    private final Ops ops;
    private final double[] weights;
    private final double bias;
    private final double[] lossHistory;

    private LogisticRegression(Ops ops, double[] weights, double bias, double[] lossHistory) {
        this.ops = ops;
        this.weights = weights;
        this.bias = bias;
        this.lossHistory = lossHistory;
    }

    public static LogisticRegression fitGradientDescent(float[] x, int[] y, int d, GradientDescent gd) {
        return fitGradientDescent(Ops.on(Device.cpu()), x, y, d, gd);
    }

    /** Full-batch gradient descent from zero weights. */
    public static LogisticRegression fitGradientDescent(Ops ops, float[] x, int[] y, int d, GradientDescent gd) {
        String op = "LogisticRegression.fitGradientDescent";
        int n = checkXy(op, x, y, d);
        Tensor xa = DesignMatrix.withOnes(x, n, d);
        Tensor xaT = DesignMatrix.transposed(xa);
        float[] t = new float[n];
        for (int i = 0; i < n; i++) t[i] = y[i];
        Tensor target = Tensor.copyOf(t, n, 1);
        Tensor w = Tensor.copyOf(new float[d + 1], d + 1, 1);
        double[] history = new double[gd.iterations()];
        int it = 0;
        double previous = Double.NaN;
        for (; it < gd.iterations(); it++) {
            LossResult r = ops.sigmoidBceLoss(ops.matmul(xa, w), target);
            history[it] = r.loss() + DesignMatrix.step(ops, xaT, r.grad(), w, gd.learningRate(), gd.l2());
            if (!Double.isFinite(history[it])) {
                throw new IllegalStateException(op + ": loss diverged to " + history[it] + " at iteration " + it + "; lower the learning rate");
            }
            if (it > 0 && DesignMatrix.converged(previous, history[it], gd.tolerance())) { it++; break; }
            previous = history[it];
        }
        float[] wf = w.toFloatArray();
        double[] weights = new double[d];
        for (int j = 0; j < d; j++) weights[j] = wf[j];
        return new LogisticRegression(ops, weights, wf[d], java.util.Arrays.copyOf(history, it));
    }

    /**
     * Newton's method in double: {@code w -= H^-1 g} with {@code H = X^T S X / n + 2 l2 I'} ({@code S = p(1-p)},
     * I' without the bias), solved by Cholesky, until the step is below 1e-10 or {@code maxIterations}.
     * On separable data the unpenalised optimum is at infinity and H becomes singular: use {@code l2 > 0}
     * there (the error says so).
     */
    public static LogisticRegression fitNewton(float[] x, int[] y, int d, double l2, int maxIterations) {
        String op = "LogisticRegression.fitNewton";
        int n = checkXy(op, x, y, d);
        if (!(l2 >= 0) || !Double.isFinite(l2)) throw new IllegalArgumentException(op + ": l2 must be finite and >= 0, got " + l2);
        if (maxIterations < 1) throw new IllegalArgumentException(op + ": maxIterations must be >= 1, got " + maxIterations);
        int m = d + 1;
        double[] w = new double[m];
        double[] history = new double[maxIterations];
        double[] row = new double[m];
        int it = 0;
        for (; it < maxIterations; it++) {
            double[] h = new double[m * m], g = new double[m];
            double loss = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < d; j++) row[j] = x[i * d + j];
                row[d] = 1;
                double z = 0;
                for (int j = 0; j < m; j++) z += row[j] * w[j];
                double p = 1 / (1 + Math.exp(-z));
                // log(1 + e^-|z|) form: no overflow for large |z|
                loss += Math.max(z, 0) - z * y[i] + Math.log1p(Math.exp(-Math.abs(z)));
                double s = p * (1 - p), r = p - y[i];
                for (int a = 0; a < m; a++) {
                    g[a] += r * row[a];
                    for (int b = 0; b <= a; b++) h[a * m + b] += s * row[a] * row[b];
                }
            }
            double penalty = 0;
            for (int a = 0; a < m; a++) {
                g[a] /= n;
                for (int b = 0; b <= a; b++) {
                    h[a * m + b] /= n;
                    h[b * m + a] = h[a * m + b];
                }
            }
            for (int j = 0; j < d; j++) {
                g[j] += 2 * l2 * w[j];
                h[j * m + j] += 2 * l2;
                penalty += l2 * w[j] * w[j];
            }
            history[it] = loss / n + penalty;
            double[] step;
            try {
                step = Cholesky.factor(h, m, op + ": Hessian").solve(g);
            } catch (SingularMatrixException e) {
                throw new SingularMatrixException(e.getMessage() + " at iteration " + it
                        + "; the classes may be separable or a feature constant: use l2 > 0", e.column());
            }
            double norm = 0;
            for (int j = 0; j < m; j++) {
                w[j] -= step[j];
                norm = Math.max(norm, Math.abs(step[j]));
            }
            if (norm < 1e-10) { it++; break; }
        }
        return new LogisticRegression(Ops.on(Device.cpu()), java.util.Arrays.copyOf(w, d), w[d], java.util.Arrays.copyOf(history, it));
    }

    private static int checkXy(String op, float[] x, int[] y, int d) {
        int n = DesignMatrix.rows(op, x, d);
        if (n == 0) throw new IllegalArgumentException(op + ": x has no rows (d=" + d + ")");
        if (y == null || y.length != n) throw new IllegalArgumentException(op + ": y has " + (y == null ? "no" : y.length) + " labels for x=[" + n + ", " + d + "]");
        for (int i = 0; i < n; i++) {
            if (y[i] != 0 && y[i] != 1) throw new IllegalArgumentException(op + ": y[" + i + "] = " + y[i] + ", binary labels must be 0 or 1");
        }
        return n;
    }

    /** P(y = 1 | x) for x (n, d): sigmoid of a float32 matmul, through Ops. */
    public float[] predictProbability(float[] x) {
        int d = weights.length;
        int n = DesignMatrix.rows("LogisticRegression.predictProbability", x, d);
        float[] w = new float[d + 1];
        for (int j = 0; j < d; j++) w[j] = (float) weights[j];
        w[d] = (float) bias;
        return ops.sigmoid(ops.matmul(DesignMatrix.withOnes(x, n, d), Tensor.copyOf(w, d + 1, 1))).toFloatArray();
    }

    /** Class 1 where P(y = 1 | x) >= 0.5, else 0. */
    public int[] predict(float[] x) {
        float[] p = predictProbability(x);
        int[] out = new int[p.length];
        for (int i = 0; i < p.length; i++) out[i] = p[i] >= 0.5f ? 1 : 0;
        return out;
    }

    public double[] weights() { return weights.clone(); }

    public double bias() { return bias; }

    /** Objective per iteration (a copy). */
    public double[] lossHistory() { return lossHistory.clone(); }
}
