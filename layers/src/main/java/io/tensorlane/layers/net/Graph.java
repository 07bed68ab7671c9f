package io.tensorlane.layers.net;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.Layer;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A DAG of named nodes with one input ({@code "input"}) and one output node. Forward runs the nodes
 * in topological order; backward in reverse, <em>summing</em> the gradients that reach a node from
 * several consumers (fan-out, e.g. the skip path of a residual block).
 *
 * <pre>{@code
 * Graph g = Graph.builder()
 *     .add("fc1", new Linear(4, 4, rng), "input")
 *     .add("relu", new ReLU(), "fc1")
 *     .add("sum", new Add(), "relu", "input")   // residual
 *     .output("sum")
 *     .build();
 * }</pre>
 */
public final class Graph extends AbstractLayer implements Net {
    private final List<NetNode> order;
    private final String output;

    private Graph(List<NetNode> order, String output) {
        this.order = order;
        this.output = output;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Collects nodes in any order; {@link #build()} validates and sorts them. */
    public static final class Builder {
        private final Map<String, NetNode> nodes = new LinkedHashMap<>();
        private String output;

        /** Adds node {@code name} computing {@code layer} over the outputs of {@code inputs} (in order). */
        public Builder add(String name, Layer layer, String... inputs) {
            if (name == null || name.isBlank() || name.equals(INPUT)) {
                throw new IllegalArgumentException("graph: node name \"" + name + "\" is blank or reserved");
            }
            if (nodes.containsKey(name)) throw new IllegalArgumentException("graph: node name \"" + name + "\" is used twice");
            int n = inputs.length;
            if (n < layer.minInputs() || n > layer.maxInputs()) {
                throw new IllegalArgumentException("graph: node " + name + " (" + layer.type() + ") takes "
                        + (layer.minInputs() == layer.maxInputs() ? String.valueOf(layer.minInputs())
                        : layer.minInputs() + (layer.maxInputs() == Integer.MAX_VALUE ? " or more" : " to " + layer.maxInputs()))
                        + " inputs, got " + n + " " + Arrays.toString(inputs));
            }
            nodes.put(name, new NetNode(name, layer, List.of(inputs)));
            return this;
        }

        /** The node whose output is the graph's output (default: the last added). */
        public Builder output(String name) {
            this.output = name;
            return this;
        }

        public Graph build() {
            if (nodes.isEmpty()) throw new IllegalArgumentException("graph: no nodes");
            String out = output != null ? output : new ArrayList<>(nodes.keySet()).getLast();
            if (!nodes.containsKey(out)) {
                throw new IllegalArgumentException("graph: output \"" + out + "\" is not a node (nodes: " + String.join(", ", nodes.keySet()) + ")");
            }
            for (NetNode n : nodes.values()) {
                for (String i : n.inputs()) {
                    if (!i.equals(INPUT) && !nodes.containsKey(i)) {
                        throw new IllegalArgumentException("graph: node " + n.name() + " reads \"" + i + "\", which is not a node (nodes: input, "
                                + String.join(", ", nodes.keySet()) + ")");
                    }
                }
            }
            // Kahn's algorithm, taking ready nodes in insertion order so the order is stable.
            Map<String, Integer> pending = new HashMap<>();
            Map<String, List<String>> consumers = new HashMap<>();
            Map<Layer, String> owner = new java.util.IdentityHashMap<>();
            for (NetNode n : nodes.values()) owner.put(n.layer(), n.name());
            for (NetNode n : nodes.values()) {
                Set<String> distinct = new HashSet<>(n.inputs());
                distinct.remove(INPUT);
                // A layer that reads another's state (unpool -> pool) runs after that layer's node.
                for (Layer ref : n.layer().references()) {
                    String r = owner.get(ref);
                    if (r == null) {
                        throw new IllegalArgumentException("graph: node " + n.name() + " (" + n.layer().type()
                                + ") refers to a " + ref.type() + " layer that is not a node of this graph");
                    }
                    distinct.add(r);
                }
                pending.put(n.name(), distinct.size());
                for (String i : distinct) consumers.computeIfAbsent(i, k -> new ArrayList<>()).add(n.name());
            }
            List<NetNode> sorted = new ArrayList<>();
            Deque<String> ready = new ArrayDeque<>();
            for (NetNode n : nodes.values()) if (pending.get(n.name()) == 0) ready.add(n.name());
            while (!ready.isEmpty()) {
                String s = ready.poll();
                sorted.add(nodes.get(s));
                for (String c : consumers.getOrDefault(s, List.of())) {
                    if (pending.merge(c, -1, Integer::sum) == 0) ready.add(c);
                }
            }
            if (sorted.size() < nodes.size()) {
                List<String> cyclic = nodes.keySet().stream().filter(k -> pending.get(k) > 0).toList();
                throw new IllegalArgumentException("graph: cycle among nodes " + String.join(", ", cyclic));
            }
            // Every node must lead to the output: a dangling node is almost always a wiring mistake.
            Set<String> needed = new HashSet<>();
            Deque<String> todo = new ArrayDeque<>(List.of(out));
            while (!todo.isEmpty()) {
                String s = todo.poll();
                if (s.equals(INPUT) || !needed.add(s)) continue;
                todo.addAll(nodes.get(s).inputs());
            }
            for (String s : nodes.keySet()) {
                if (!needed.contains(s)) throw new IllegalArgumentException("graph: node " + s + " does not lead to the output " + out);
            }
            return new Graph(List.copyOf(sorted), out);
        }
    }

    @Override
    public List<NetNode> nodes() {
        return order;
    }

    @Override
    public String outputName() {
        return output;
    }

    @Override
    public String type() {
        return "graph";
    }

    /** Passed on to the nodes that read only the graph's input (a node that also reads others keeps computing it). */
    @Override
    public void setInputGradient(boolean needed) {
        super.setInputGradient(needed);
        for (NetNode n : order) {
            if (n.inputs().stream().allMatch(INPUT::equals)) n.layer().setInputGradient(needed);
        }
    }

    @Override
    public void setOps(Ops ops) {
        super.setOps(ops);
        for (NetNode n : order) n.layer().setOps(ops);
    }

    @Override
    public long[] outputShape(long[] in) {
        return Shapes.infer(this, in).get(output);
    }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        Map<String, Tensor> values = new HashMap<>();
        values.put(INPUT, in);
        for (NetNode n : order) {
            List<Tensor> ins = new ArrayList<>(n.inputs().size());
            for (String i : n.inputs()) ins.add(values.get(i));
            values.put(n.name(), n.layer().forward(ins, mode));
        }
        return values.get(output);
    }

    @Override
    public Tensor backward(Tensor dOut) {
        Map<String, Tensor> grads = new HashMap<>();
        grads.put(output, dOut);
        for (int k = order.size() - 1; k >= 0; k--) {
            NetNode n = order.get(k);
            Tensor g = grads.remove(n.name());
            if (g == null) continue; // no gradient reaches it (e.g. only integer inputs downstream)
            List<Tensor> dIns = n.layer().backwardAll(g);
            if (dIns.size() != n.inputs().size()) {
                throw error("node " + n.name() + " (" + n.layer().type() + ") returned " + dIns.size()
                        + " gradients for " + n.inputs().size() + " inputs");
            }
            for (int i = 0; i < dIns.size(); i++) {
                Tensor d = dIns.get(i);
                if (d == null) continue;
                // Fan-out: sum into a new tensor; never modify a gradient a layer handed out (Add shares one).
                grads.merge(n.inputs().get(i), d, (a, b) -> ops.add(a, b));
            }
        }
        return grads.get(INPUT);
    }
}
