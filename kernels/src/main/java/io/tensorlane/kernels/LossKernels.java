package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Losses with their gradients (offsets in elements). Each returns the scalar loss (accumulated in
 * double) and, when {@code dx} is non-null, writes the gradient of the loss itself into it.
 * Semantics follow the reference corpus README. Unchecked: see {@link Losses}.
 */
public interface LossKernels {
    /**
     * Softmax cross-entropy, mean over the batch: x is {@code n x c} scores, labels int32 in [0, c).
     * dx = (softmax(x) - onehot(y)) / n.
     */
    double softmaxCrossEntropy(long n, long c, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                               MemorySegment dx, long dxOff);

    /** Multiclass SVM hinge (cs231n): mean over n of sum_{j != y} max(0, x_j - x_y + margin). */
    double svmHinge(long n, long c, float margin, MemorySegment x, long xOff, MemorySegment labels, long lOff,
                    MemorySegment dx, long dxOff);

    /**
     * Mean squared error over {@code numel} elements with {@code batch} = the first dim.
     * MEAN: sum(d^2)/numel, dpred = 2d/numel. EUCLIDEAN (Caffe): sum(d^2)/(2*batch), dpred = d/batch.
     */
    double mse(MseReduction reduction, long numel, long batch, MemorySegment pred, long pOff,
               MemorySegment target, long tOff, MemorySegment dpred, long dOff);

    /** Sigmoid binary cross-entropy on logits, mean over all elements; dx = (sigmoid(x) - t) / numel. */
    double sigmoidBce(long numel, MemorySegment x, long xOff, MemorySegment target, long tOff,
                      MemorySegment dx, long dxOff);
}
