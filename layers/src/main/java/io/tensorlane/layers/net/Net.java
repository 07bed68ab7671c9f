package io.tensorlane.layers.net;

import io.tensorlane.layers.Layer;
import io.tensorlane.layers.Param;
import io.tensorlane.runtime.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A net: layers wired as named nodes ({@link Sequential}: a chain; {@link Graph}: a DAG) with one
 * input (the node name {@value #INPUT}) and one output. A net is itself a layer, so nets nest.
 */
public interface Net extends Layer {
    /** The name the net's input has among the nodes' inputs. */
    String INPUT = "input";

    /** The nodes in execution (topological) order. */
    List<NetNode> nodes();

    /** The name of the node whose output is the net's output. */
    String outputName();

    /** Every parameter, named {@code <node>.<param>} (e.g. {@code conv1.weight}), in node order. */
    default Map<String, Param> namedParams() {
        Map<String, Param> m = new LinkedHashMap<>();
        for (NetNode n : nodes()) {
            if (n.layer() instanceof Net inner) {
                inner.namedParams().forEach((k, p) -> m.put(n.name() + "." + k, p));
            } else {
                for (Param p : n.layer().params()) m.put(n.name() + "." + p.name(), p);
            }
        }
        return m;
    }

    /**
     * Every non-learned state tensor ({@link Layer#state()}, e.g. batch norm's running statistics),
     * named {@code <node>.<name>} (e.g. {@code bn1.running_mean}), in node order.
     */
    default Map<String, Tensor> namedState() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        for (NetNode n : nodes()) {
            if (n.layer() instanceof Net inner) {
                inner.namedState().forEach((k, t) -> m.put(n.name() + "." + k, t));
            } else {
                n.layer().state().forEach((k, t) -> m.put(n.name() + "." + k, t));
            }
        }
        return m;
    }

    @Override
    default Map<String, Tensor> state() {
        return namedState();
    }

    @Override
    default List<Param> params() {
        return new ArrayList<>(namedParams().values());
    }

    /** Zeroes every parameter gradient (before a training step). */
    default void zeroGrad() {
        for (Param p : params()) p.zeroGrad();
    }

    /** Number of learnable scalars. */
    default long paramCount() {
        long n = 0;
        for (Param p : params()) n += p.numel();
        return n;
    }

    /** A table of node, type, output shape and parameter count for samples of {@code sampleShape} (no batch dim). */
    default String summary(long... sampleShape) {
        return NetSummary.of(this, sampleShape);
    }

    /** The net as a Graphviz DOT digraph; with a sample shape, nodes show their output shapes. */
    default String toDot(long... sampleShape) {
        return DotExport.of(this, sampleShape);
    }
}
