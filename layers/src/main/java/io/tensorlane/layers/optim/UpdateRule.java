package io.tensorlane.layers.optim;

import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.util.List;

/**
 * How one parameter moves given its gradient: an update in place on the value and on the rule's
 * state tensors (shaped like the value, zero at the start).
 */
public interface UpdateRule {
    /** The registry name, e.g. {@code "adam"}. */
    String name();

    /** How many state tensors per parameter (momentum 1, Adam 2). */
    int stateCount();

    /**
     * Updates {@code w} and {@code state} in place from {@code g} (plus {@code weightDecay * w}) at
     * learning rate {@code lr}; {@code t} counts steps from 1. Returns false, changing nothing, when
     * {@code g} holds a NaN or infinity. The step runs through {@code ops} (the fused {@code Ops} update
     * steps).
     */
    boolean update(Ops ops, Tensor w, Tensor g, List<Tensor> state, float lr, long t, float weightDecay);
}
