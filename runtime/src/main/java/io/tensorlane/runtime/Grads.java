package io.tensorlane.runtime;

/**
 * The gradients of a layer op's backward pass (affine, conv2d, conv_transpose2d): {@code dx} shaped like the
 * input, {@code dw} like the weights, {@code db} like the bias. A component is null when it was not asked for.
 */
public record Grads(Tensor dx, Tensor dw, Tensor db) {
}
