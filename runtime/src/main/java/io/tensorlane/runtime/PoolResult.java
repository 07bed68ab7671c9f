package io.tensorlane.runtime;

/**
 * A pooling result with its indices: {@code out} (F32) and {@code indices} (I32, same shape), e.g. max
 * pooling's argmax (flat {@code h*W + w} inside each (n, c) input plane) or ROI pooling's argmax
 * (-1 for an empty bin).
 */
public record PoolResult(Tensor out, Tensor indices) {
}
