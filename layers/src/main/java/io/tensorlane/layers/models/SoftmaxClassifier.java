package io.tensorlane.layers.models;

import io.tensorlane.layers.data.OneHot;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;

/**
 * Multiclass linear classifier (multinomial logistic regression): scores {@code [x 1] @ W} with W of shape
 * (d + 1, classes), trained by full-batch gradient descent on the mean softmax cross-entropy plus
 * {@code l2 ||W||^2} (bias row not penalised), all through {@link Ops} (matmul, softmaxCrossEntropy, softmax).
 */
public final class SoftmaxClassifier {
    private final Ops ops;
    private final int d, classes;
    private final float[] w; // (d + 1, classes), bias in the last row
    private final double[] lossHistory;

    private SoftmaxClassifier(Ops ops, int d, int classes, float[] w, double[] lossHistory) {
        this.ops = ops;
        this.d = d;
        this.classes = classes;
        this.w = w;
        this.lossHistory = lossHistory;
    }

    public static SoftmaxClassifier fit(float[] x, int[] y, int d, int classes, GradientDescent gd) {
        return fit(Ops.on(Device.cpu()), x, y, d, classes, gd);
    }

    /** Trains from zero weights on x (n, d) and labels y (n) in {@code [0, classes)}. */
    public static SoftmaxClassifier fit(Ops ops, float[] x, int[] y, int d, int classes, GradientDescent gd) {
        String op = "SoftmaxClassifier.fit";
        int n = DesignMatrix.rows(op, x, d);
        if (n == 0) throw new IllegalArgumentException(op + ": x has no rows (d=" + d + ")");
        if (classes < 2) throw new IllegalArgumentException(op + ": classes must be >= 2, got " + classes);
        if (y == null || y.length != n) throw new IllegalArgumentException(op + ": y has " + (y == null ? "no" : y.length) + " labels for x=[" + n + ", " + d + "]");
        for (int i = 0; i < n; i++) {
            if (y[i] < 0 || y[i] >= classes) throw new IllegalArgumentException(op + ": y[" + i + "] = " + y[i] + " not in [0, " + classes + ")");
        }
        Tensor xa = DesignMatrix.withOnes(x, n, d);
        Tensor xaT = DesignMatrix.transposed(xa);
        Tensor labels = Tensor.ofInts(y.clone(), n);
        Tensor w = Tensor.copyOf(new float[(d + 1) * classes], d + 1, classes);
        double[] history = new double[gd.iterations()];
        int it = 0;
        double previous = Double.NaN;
        for (; it < gd.iterations(); it++) {
            LossResult r = ops.softmaxCrossEntropy(ops.matmul(xa, w), labels);
            history[it] = r.loss() + DesignMatrix.step(ops, xaT, r.grad(), w, gd.learningRate(), gd.l2());
            if (!Double.isFinite(history[it])) {
                throw new IllegalStateException(op + ": loss diverged to " + history[it] + " at iteration " + it + "; lower the learning rate");
            }
            if (it > 0 && DesignMatrix.converged(previous, history[it], gd.tolerance())) { it++; break; }
            previous = history[it];
        }
        return new SoftmaxClassifier(ops, d, classes, w.toFloatArray(), java.util.Arrays.copyOf(history, it));
    }

    /** Class probabilities (n, classes) for x (n, d). */
    public float[] predictProbabilities(float[] x) {
        return ops.softmax(scores(x), 1).toFloatArray();
    }

    /** The most probable class of each row. */
    public int[] predict(float[] x) {
        return OneHot.argmax(scores(x).toFloatArray(), classes);
    }

    private Tensor scores(float[] x) {
        int n = DesignMatrix.rows("SoftmaxClassifier.predict", x, d);
        return ops.matmul(DesignMatrix.withOnes(x, n, d), Tensor.copyOf(w, d + 1, classes));
    }

    public int features() { return d; }

    public int classes() { return classes; }

    /** W (d + 1, classes) row-major, bias in the last row (a copy). */
    public float[] weights() { return w.clone(); }

    public double[] lossHistory() { return lossHistory.clone(); }
}
