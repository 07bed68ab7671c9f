package io.tensorlane.layers;

/**
 * Whether a forward pass trains or evaluates: dropout drops and batch norm uses batch statistics (and
 * updates its running ones) only in {@link #TRAIN}; in {@link #EVAL} both are deterministic.
 */
public enum Mode {
    TRAIN,
    EVAL
}
