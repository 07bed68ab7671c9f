package io.tensorlane.runtime;

/**
 * What an LSTM step or sequence computes: hidden states {@code h} and cell states {@code c} ((N,H) for
 * a step, (N,T,H) for a sequence) and the activated gates i|f|o|g ((N,4H) / (N,T,4H)), which the
 * backward pass needs (treat them as an opaque cache).
 */
public record LstmOutput(Tensor h, Tensor c, Tensor gates) {
}
