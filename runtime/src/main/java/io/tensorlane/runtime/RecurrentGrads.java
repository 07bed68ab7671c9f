package io.tensorlane.runtime;

/**
 * Gradients of a recurrent step or sequence: {@code dx} like x, {@code dh0} of the initial / previous
 * hidden state (N,H), {@code dc0} of the initial / previous cell state (N,H; null for the vanilla RNN),
 * and the parameter grads {@code dWx}, {@code dWh}, {@code db} shaped like the weights.
 */
public record RecurrentGrads(Tensor dx, Tensor dh0, Tensor dc0, Tensor dWx, Tensor dWh, Tensor db) {
}
