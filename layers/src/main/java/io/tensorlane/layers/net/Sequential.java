package io.tensorlane.layers.net;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.Layer;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Layers applied one after another; backward runs them in reverse. */
public final class Sequential extends AbstractLayer implements Net {
    private final List<NetNode> nodes = new ArrayList<>();
    private final Set<String> names = new HashSet<>();
    private final Map<String, Integer> counters = new HashMap<>();

    /** An empty net; {@link #add} layers. */
    public Sequential() {
    }

    /** A chain of these layers, named after their types: linear1, relu1, linear2, ... */
    public Sequential(Layer... layers) {
        for (Layer l : layers) add(l);
    }

    /** Appends a layer named {@code <type><k>} (k counts layers of that type from 1). */
    public Sequential add(Layer layer) {
        String name;
        do {
            int k = counters.merge(layer.type(), 1, Integer::sum);
            name = layer.type() + k;
        } while (names.contains(name));
        return add(name, layer);
    }

    /** Appends a named layer; names are unique and not {@code "input"}. */
    public Sequential add(String name, Layer layer) {
        if (name == null || name.isBlank() || name.equals(INPUT) || !names.add(name)) {
            throw new IllegalArgumentException("sequential: node name \"" + name + "\" is blank, reserved or already used");
        }
        if (layer.minInputs() > 1) throw new IllegalArgumentException("sequential: " + layer.type() + " needs "
                + layer.minInputs() + " inputs; use a Graph");
        for (Layer ref : layer.references()) {
            if (nodes.stream().noneMatch(n -> n.layer() == ref)) {
                throw new IllegalArgumentException("sequential: " + name + " (" + layer.type() + ") refers to a " + ref.type()
                        + " layer that is not an earlier node");
            }
        }
        layer.setOps(ops);
        if (nodes.isEmpty()) layer.setInputGradient(inputGradient);
        nodes.add(new NetNode(name, layer, List.of(nodes.isEmpty() ? INPUT : nodes.getLast().name())));
        return this;
    }

    /** The layers in order. */
    public List<Layer> layers() {
        return nodes.stream().map(NetNode::layer).toList();
    }

    @Override
    public List<NetNode> nodes() {
        return List.copyOf(nodes);
    }

    @Override
    public String outputName() {
        return nodes.isEmpty() ? INPUT : nodes.getLast().name();
    }

    @Override
    public String type() {
        return "sequential";
    }

    /** Passed on to the first layer, the only one that reads the net's input. */
    @Override
    public void setInputGradient(boolean needed) {
        super.setInputGradient(needed);
        if (!nodes.isEmpty()) nodes.getFirst().layer().setInputGradient(needed);
    }

    @Override
    public void setOps(Ops ops) {
        super.setOps(ops);
        for (NetNode n : nodes) n.layer().setOps(ops);
    }

    @Override
    public long[] outputShape(long[] in) {
        return Shapes.infer(this, in).get(outputName());
    }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        Tensor x = in;
        for (NetNode n : nodes) x = n.layer().forward(x, mode);
        return x;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        Tensor d = dOut;
        for (int i = nodes.size() - 1; i >= 0 && d != null; i--) d = nodes.get(i).layer().backward(d);
        return d;
    }
}
