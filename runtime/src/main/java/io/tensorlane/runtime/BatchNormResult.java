package io.tensorlane.runtime;

/**
 * The result of a training-mode batch-norm forward.
 *
 * @param out  normalised output, the shape of x
 * @param mean batch mean per channel (C)
 * @param var  BIASED batch variance per channel (C); pass mean and var to {@code Ops.batchNormBackward}
 */
public record BatchNormResult(Tensor out, Tensor mean, Tensor var) {
}
