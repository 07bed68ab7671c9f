package io.tensorlane.layers.data;

import io.tensorlane.runtime.Tensor;

/**
 * One mini-batch: inputs x (B, sample...) F32 and targets y, either I32 labels (B) or F32 (B, target...).
 * Batches from {@link Dataset#batches} reuse their buffers: one is valid until the next is taken.
 */
public record Batch(Tensor x, Tensor y, int size) {
}
