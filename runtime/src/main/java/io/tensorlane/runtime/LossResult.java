package io.tensorlane.runtime;

/**
 * A loss value and its gradient with respect to the loss's first input (same shape as that input).
 *
 * @param loss the scalar loss (accumulated in double)
 * @param grad d loss / d input; null when the caller asked for the loss only (a null gradient output)
 */
public record LossResult(double loss, Tensor grad) {
}
