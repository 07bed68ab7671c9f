package io.tensorlane.layers.net;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Shape inference over a net's nodes: each node's output shape for an input shape (batch first). */
final class Shapes {
    private Shapes() {
    }

    /** Node name (and {@code "input"}) to output shape, in node order. */
    static Map<String, long[]> infer(Net net, long[] inShape) {
        Map<String, long[]> shapes = new HashMap<>();
        shapes.put(Net.INPUT, inShape);
        for (NetNode n : net.nodes()) {
            List<long[]> ins = new ArrayList<>();
            for (String i : n.inputs()) ins.add(shapes.get(i));
            try {
                shapes.put(n.name(), n.layer().outputShape(ins));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("node " + n.name() + ": " + e.getMessage(), e);
            }
        }
        return shapes;
    }

    /** (1, sample...): shapes are inferred for a batch of one and printed with N. */
    static long[] withBatch(long[] sample) {
        long[] s = new long[sample.length + 1];
        s[0] = 1;
        System.arraycopy(sample, 0, s, 1, sample.length);
        return s;
    }

    /** {@code [N, 32, 8, 8]}. */
    static String show(long[] shape) {
        StringBuilder b = new StringBuilder("[N");
        for (int i = 1; i < shape.length; i++) b.append(", ").append(shape[i]);
        return b.append(']').toString();
    }
}
