package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Validating entry points for {@link LossKernels} (offsets in elements). Each returns the loss and,
 * when the gradient segment is non-null, writes the gradient of the loss itself (no upstream gradient)
 * into it; the gradient may be the exact same range as the scores (in place) but must not overlap
 * them partially. Labels are int32 and are checked to lie in {@code [0, c)} before anything is written.
 */
public final class Losses {
    private Losses() {
    }

    /**
     * Softmax cross-entropy, mean over the batch: x[n, c] scores, labels[n] int32 in [0, c).
     * Optional dx[n, c] = (softmax(x) - onehot(labels)) / n.
     */
    public static double softmaxCrossEntropy(long n, long c, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                                             MemorySegment dx, long dxOff) {
        classification("softmaxCrossEntropy", n, c, x, xOff, labels, lOff, dx, dxOff);
        return Kernels.get().losses().softmaxCrossEntropy(n, c, x, xOff, labels, lOff, dx, dxOff);
    }

    /**
     * Multiclass hinge (cs231n SVM): mean over n of sum_{j != y} max(0, x_j - x_y + margin), x[n, c],
     * labels[n] int32 in [0, c). Optional dx[n, c]: 1/n where a margin is positive, minus their count / n
     * at the label.
     */
    public static double svmHinge(long n, long c, float margin, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                                  MemorySegment dx, long dxOff) {
        if (!Float.isFinite(margin)) {
            throw new IllegalArgumentException("svmHinge: margin must be finite, got " + margin);
        }
        classification("svmHinge", n, c, x, xOff, labels, lOff, dx, dxOff);
        return Kernels.get().losses().svmHinge(n, c, margin, x, xOff, labels, lOff, dx, dxOff);
    }

    /**
     * Mean squared error of pred[numel] against target[numel], {@code batch} being the first dim of
     * their shape (it must divide numel). MEAN: sum(d^2)/numel; EUCLIDEAN: sum(d^2)/(2 batch). Optional
     * dpred[numel].
     */
    public static double mse(MseReduction reduction, long numel, long batch, MemorySegment pred, long pOff,
                             MemorySegment target, long tOff, MemorySegment dpred, long dOff) {
        String op = "mse";
        if (reduction == null) throw new IllegalArgumentException(op + ": reduction is null");
        Checks.positive(op, "numel", numel);
        Checks.positive(op, "batch", batch);
        if (numel % batch != 0) {
            throw new IllegalArgumentException(op + ": batch " + batch + " does not divide numel " + numel);
        }
        Checks.floats(op, "pred", pred, pOff, numel);
        Checks.floats(op, "target", target, tOff, numel);
        if (dpred != null) {
            Checks.floats(op, "dpred", dpred, dOff, numel);
            Checks.disjointOrSame(op, "pred", pred, pOff, numel, "dpred", dpred, dOff, numel);
            Checks.disjointOrSame(op, "target", target, tOff, numel, "dpred", dpred, dOff, numel);
        }
        return Kernels.get().losses().mse(reduction, numel, batch, pred, pOff, target, tOff, dpred, dOff);
    }

    /**
     * Binary cross-entropy on logits x[numel] against targets t[numel] in [0, 1], mean over all
     * elements, stable for any |x|. Optional dx[numel] = (sigmoid(x) - t) / numel.
     */
    public static double sigmoidBce(long numel, MemorySegment x, long xOff, MemorySegment target, long tOff,
                                    MemorySegment dx, long dxOff) {
        String op = "sigmoidBce";
        Checks.positive(op, "numel", numel);
        Checks.floats(op, "x", x, xOff, numel);
        Checks.floats(op, "target", target, tOff, numel);
        if (dx != null) {
            Checks.floats(op, "dx", dx, dxOff, numel);
            Checks.disjointOrSame(op, "x", x, xOff, numel, "dx", dx, dxOff, numel);
            Checks.disjointOrSame(op, "target", target, tOff, numel, "dx", dx, dxOff, numel);
        }
        return Kernels.get().losses().sigmoidBce(numel, x, xOff, target, tOff, dx, dxOff);
    }

    private static void classification(String op, long n, long c, MemorySegment x, long xOff,
                                       MemorySegment labels, long lOff, MemorySegment dx, long dxOff) {
        Checks.positive(op, "n", n);
        Checks.positive(op, "c", c);
        long numel = Checks.multiply(op, "n*c for x=[" + n + ", " + c + "]", n, c);
        Checks.floats(op, "x", x, xOff, numel);
        Checks.ints(op, "labels", labels, lOff, n);
        if (dx != null) {
            Checks.floats(op, "dx", dx, dxOff, numel);
            Checks.disjointOrSame(op, "x", x, xOff, numel, "dx", dx, dxOff, numel);
            Checks.disjoint(op, "labels", labels, lOff, n, Integer.BYTES, "dx", dx, dxOff, numel, Float.BYTES);
        }
        for (long i = 0; i < n; i++) {
            int label = labels.getAtIndex(JAVA_INT, lOff + i);
            if (label < 0 || label >= c) {
                throw new IllegalArgumentException(op + ": labels[" + i + "] = " + label + " is out of range [0, " + c
                        + ") for x=[" + n + ", " + c + "]");
            }
        }
    }
}
