package io.tensorlane.runtime;

/**
 * Gradients of a batch-norm backward pass.
 *
 * @param dx     d loss / d x, the shape of x
 * @param dgamma d loss / d gamma (C)
 * @param dbeta  d loss / d beta (C)
 */
public record BatchNormGrads(Tensor dx, Tensor dgamma, Tensor dbeta) {
}
