package io.tensorlane.layers.net;

import io.tensorlane.layers.Layer;
import java.util.List;

/** One node of a net: its unique name, its layer and the names of the nodes it reads (or {@code "input"}). */
public record NetNode(String name, Layer layer, List<String> inputs) {
    public NetNode {
        inputs = List.copyOf(inputs);
    }
}
