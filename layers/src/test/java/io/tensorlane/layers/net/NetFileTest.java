package io.tensorlane.layers.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.layers.Mode;
import io.tensorlane.layers.Param;
import io.tensorlane.runtime.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class NetFileTest {
    static final String MLP = """
            { "name": "mlp", "input": [2, 3], "seed": 7, "loss": "softmax_cross_entropy",
              "layers": [ {"type": "flatten"}, {"name": "fc1", "type": "linear", "out": 5, "init": "he_normal"},
                          {"type": "leaky_relu", "slope": 0.2}, {"type": "linear", "out": 3, "bias": false} ] }
            """;

    static final String RESIDUAL = """
            { "name": "res", "input": [4],
              "nodes": [ {"name": "fc1", "type": "linear", "out": 4, "inputs": ["input"]},
                         {"name": "act", "type": "relu"},
                         {"name": "sum", "type": "add", "inputs": ["act", "input"]},
                         {"name": "head", "type": "linear", "out": 2} ],
              "output": "head" }
            """;

    @Test
    void buildsASequentialNet() {
        NetFile.Spec spec = NetFile.parse(MLP, "mlp.json");
        assertEquals("mlp", spec.name());
        assertArrayEquals(new long[] {2, 3}, spec.inputShape());
        assertTrue(spec.net() instanceof Sequential);
        assertEquals("softmax_cross_entropy", spec.loss().type());
        assertEquals(List.of("flatten1", "fc1", "leaky_relu1", "linear1"), spec.net().nodes().stream().map(NetNode::name).toList());
        assertArrayEquals(new long[] {6, 5}, spec.net().namedParams().get("fc1.weight").value().shape());
        assertNull(spec.net().namedParams().get("linear1.bias"));
        Tensor y = spec.net().forward(Tensor.of(new float[24], 4, 2, 3), Mode.EVAL);
        assertArrayEquals(new long[] {4, 3}, y.shape());
    }

    @Test
    void seedFixesWeightsAndJsonRoundTrips() {
        NetFile.Spec a = NetFile.parse(MLP, "a"), b = NetFile.parse(MLP, "b");
        String json = NetFile.toJson(a.name(), a.inputShape(), a.seed(), a.net(), a.loss());
        NetFile.Spec c = NetFile.parse(json, "round trip");
        for (var e : a.net().namedParams().entrySet()) {
            Param pb = b.net().namedParams().get(e.getKey()), pc = c.net().namedParams().get(e.getKey());
            assertArrayEquals(e.getValue().value().toFloatArray(), pb.value().toFloatArray(), e.getKey());
            assertArrayEquals(e.getValue().value().toFloatArray(), pc.value().toFloatArray(), e.getKey());
        }
        assertEquals(json, NetFile.toJson(c.name(), c.inputShape(), c.seed(), c.net(), c.loss()));
    }

    @Test
    void buildsAGraph() {
        NetFile.Spec spec = NetFile.parse(RESIDUAL, "res.json");
        Graph g = (Graph) spec.net();
        assertEquals("head", g.outputName());
        assertEquals(List.of("input"), g.nodes().get(0).inputs());
        assertEquals(List.of("fc1"), g.nodes().get(1).inputs()); // defaults to the previous node
        assertNull(spec.loss());
        String json = NetFile.toJson(spec.name(), spec.inputShape(), spec.seed(), g, null);
        assertEquals(4, NetFile.parse(json, "again").net().nodes().size());
    }

    static String error(String json) {
        return assertThrows(IllegalArgumentException.class, () -> NetFile.parse(json, "bad.json")).getMessage();
    }

    @Test
    void badFilesNameThePlace() {
        assertTrue(error("{ \"input\": [4], \"layers\": [ {\"type\": \"linear\", \"out\": 3}, ]")
                .startsWith("bad.json: invalid JSON at line 1, column "), error("{ \"input\": [4], \"layers\": [ ]"));
        assertEquals("bad.json: $.layres: unknown key (valid: input, layers, loss, name, nodes, output, seed)",
                error("{\"input\": [4], \"layres\": []}"));
        assertEquals("bad.json: $.input: missing (the sample shape without the batch dim, e.g. [1, 28, 28])",
                error("{\"layers\": [{\"type\": \"relu\"}]}"));
        assertEquals("bad.json: $.input[1]: expected an integer, got \"8\"", error("{\"input\": [1, \"8\"], \"layers\": [{\"type\": \"relu\"}]}"));
        assertEquals("bad.json: $: needs exactly one of \"layers\" (a chain) or \"nodes\" (a graph)", error("{\"input\": [4]}"));
        assertTrue(error("{\"input\": [4], \"layers\": [{\"type\": \"relu\"}, {\"type\": \"conv\"}]}")
                .startsWith("bad.json: $.layers[1].type: unknown layer type \"conv\" (known: add, avg_pool2d, batch_norm1d, batch_norm2d, concat, conv2d, "));
        assertEquals("bad.json: $.layers[0].out: expected an integer, got 2.5",
                error("{\"input\": [4], \"layers\": [{\"type\": \"linear\", \"out\": 2.5}]}"));
        assertEquals("bad.json: $.layers[0].kernel: unknown option for linear (valid: bias, init, out)",
                error("{\"input\": [4], \"layers\": [{\"type\": \"linear\", \"out\": 2, \"kernel\": 3}]}"));
        assertEquals("bad.json: $.layers[1] (reshape): reshape: input [1, 4] has 4 elements per sample, shape [3] holds 3",
                error("{\"input\": [4], \"layers\": [{\"type\": \"relu\"}, {\"type\": \"reshape\", \"shape\": [3]}]}"));
        assertTrue(error("{\"input\": [4], \"loss\": \"l2\", \"layers\": [{\"type\": \"relu\"}]}")
                .startsWith("bad.json: $.loss: unknown loss \"l2\" (known: "));
        assertEquals("bad.json: $.nodes[1].inputs[0]: unknown node \"fc9\" (nodes defined before: input, fc1)",
                error("{\"input\": [4], \"nodes\": [{\"name\": \"fc1\", \"type\": \"relu\"}, {\"name\": \"x\", \"type\": \"relu\", \"inputs\": [\"fc9\"]}]}"));
        assertEquals("bad.json: $.nodes[1] (add): add: input 1 has shape [1, 3] but input 0 has [1, 4]",
                error("{\"input\": [4], \"nodes\": [{\"name\": \"fc1\", \"type\": \"linear\", \"out\": 3}, "
                        + "{\"name\": \"s\", \"type\": \"add\", \"inputs\": [\"input\", \"fc1\"]}]}"));
        assertEquals("bad.json: $.nodes[1].name: \"a\" is used twice",
                error("{\"input\": [4], \"nodes\": [{\"name\": \"a\", \"type\": \"relu\"}, {\"name\": \"a\", \"type\": \"relu\"}]}"));
        assertEquals("bad.json: $.nodes: graph: node a does not lead to the output b",
                error("{\"input\": [4], \"nodes\": [{\"name\": \"a\", \"type\": \"relu\"}, {\"name\": \"b\", \"type\": \"tanh\", \"inputs\": [\"input\"]}]}"));
        assertEquals("bad.json: $.layers[0].inputs: only graph nodes have inputs",
                error("{\"input\": [4], \"layers\": [{\"type\": \"relu\", \"inputs\": [\"input\"]}]}"));
        assertTrue(error("{\"input\": [4], \"input\": [5], \"layers\": [{\"type\": \"relu\"}]}").contains("Duplicate field 'input'"));
    }
}
