package io.tensorlane.kernels;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points of the losses. Each returns the loss and, when {@code dx} is non-null,
 * writes the gradient of the loss (not of a downstream sum) into it. Labels are int32 class indices
 * and are checked to lie in [0, c) before anything is computed.
 */
public final class Losses {
    private Losses() {
    }

    private static LossKernels k() {
        return Kernels.get().losses();
    }

    private static void checkClassification(String op, long n, long c, MemorySegment x, long xOff, MemorySegment labels,
                                            long lOff, MemorySegment dx, long dxOff) {
        Checks.positive(op, "n (batch)", n);
        Checks.positive(op, "c (classes)", c);
        long numel = Checks.multiply(op, "n * c", n, c);
        Checks.floats(op, "x", x, xOff, numel);
        Checks.ints(op, "labels", labels, lOff, n);
        if (dx != null) Checks.floats(op, "dx", dx, dxOff, numel);
        for (long i = 0; i < n; i++) {
            int y = labels.getAtIndex(JAVA_INT, lOff + i);
            if (y < 0 || y >= c) {
                throw new IllegalArgumentException(op + ": labels[" + i + "] = " + y + " is outside [0, " + c
                        + ") (x=[" + n + ", " + c + "])");
            }
        }
    }

    /** Softmax cross-entropy, mean over n rows of c scores; dx = (softmax(x) - onehot(y)) / n. */
    public static double softmaxCrossEntropy(long n, long c, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                                             MemorySegment dx, long dxOff) {
        checkClassification("softmax_loss", n, c, x, xOff, labels, lOff, dx, dxOff);
        return k().softmaxCrossEntropy(n, c, x, xOff, labels, lOff, dx, dxOff);
    }

    /** Multiclass hinge loss (cs231n), mean over n rows. */
    public static double svmHinge(long n, long c, float margin, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                                  MemorySegment dx, long dxOff) {
        if (!(margin >= 0f) || Float.isInfinite(margin)) {
            throw new IllegalArgumentException("svm_loss: margin must be finite and >= 0, got " + margin);
        }
        checkClassification("svm_loss", n, c, x, xOff, labels, lOff, dx, dxOff);
        return k().svmHinge(n, c, margin, x, xOff, labels, lOff, dx, dxOff);
    }

    /** Mean squared error; {@code batch} is the first dim (used by {@link MseReduction#EUCLIDEAN}). */
    public static double mse(MseReduction reduction, long numel, long batch, MemorySegment pred, long pOff,
                             MemorySegment target, long tOff, MemorySegment dpred, long dOff) {
        if (reduction == null) throw new IllegalArgumentException("mse_loss: reduction is null");
        Checks.positive("mse_loss", "numel", numel);
        Checks.positive("mse_loss", "batch", batch);
        if (numel % batch != 0) {
            throw new IllegalArgumentException("mse_loss: numel " + numel + " is not a multiple of the batch " + batch);
        }
        Checks.floats("mse_loss", "pred", pred, pOff, numel);
        Checks.floats("mse_loss", "target", target, tOff, numel);
        if (dpred != null) Checks.floats("mse_loss", "dpred", dpred, dOff, numel);
        return k().mse(reduction, numel, batch, pred, pOff, target, tOff, dpred, dOff);
    }

    /** Binary cross-entropy on logits, mean over all elements. */
    public static double sigmoidBce(long numel, MemorySegment x, long xOff, MemorySegment target, long tOff,
                                    MemorySegment dx, long dxOff) {
        Checks.positive("sigmoid_bce_loss", "numel", numel);
        Checks.floats("sigmoid_bce_loss", "x", x, xOff, numel);
        Checks.floats("sigmoid_bce_loss", "target", target, tOff, numel);
        if (dx != null) Checks.floats("sigmoid_bce_loss", "dx", dx, dxOff, numel);
        return k().sigmoidBce(numel, x, xOff, target, tOff, dx, dxOff);
    }
}
