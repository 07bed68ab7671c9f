package io.tensorlane.layers.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.layers.GradientCheck;
import io.tensorlane.layers.Init;
import io.tensorlane.layers.Mode;
import io.tensorlane.layers.nn.Add;
import io.tensorlane.layers.nn.Concat;
import io.tensorlane.layers.nn.Linear;
import io.tensorlane.layers.nn.ReLU;
import io.tensorlane.layers.nn.Tanh;
import io.tensorlane.runtime.Tensor;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NetTest {
    static Tensor input(long seed, long... shape) {
        Random r = new Random(seed);
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat() * 2 - 1;
        return Tensor.of(v, shape);
    }

    static void check(Net net, Tensor x) {
        for (var r : GradientCheck.layer(net, List.of(x), Mode.TRAIN, 3, GradientCheck.DEFAULT_STEP)) r.requireBelow(2e-3);
    }

    @Test
    void sequentialNamesLayersAndChecksGradients() {
        Random rng = new Random(1);
        Sequential net = new Sequential(new Linear(4, 5, rng), new Tanh(), new Linear(5, 3, rng));
        assertEquals(List.of("linear1", "tanh1", "linear2"), net.nodes().stream().map(NetNode::name).toList());
        assertEquals(List.of("linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"), List.copyOf(net.namedParams().keySet()));
        assertEquals(4 * 5 + 5 + 5 * 3 + 3, net.paramCount());
        check(net, input(2, 6, 4));
        assertArrayEquals(new long[] {7, 3}, net.outputShape(new long[] {7, 4}));
    }

    /** a feeds two branches and the sum: its gradient is the sum of three paths. */
    static Graph fanOut(Random rng) {
        return Graph.builder()
                .add("a", new Linear(3, 4, rng), "input")
                .add("b", new Linear(4, 4, rng), "a")
                .add("c", new Tanh(), "a")
                .add("cat", new Concat(1), "b", "c")
                .add("d", new Linear(8, 4, rng), "cat")
                .add("sum", new Add(), "d", "a")
                .output("sum")
                .build();
    }

    @Test
    void graphAccumulatesGradientsAtFanOut() {
        Graph g = fanOut(new Random(5));
        check(g, input(6, 5, 3));
        assertArrayEquals(new long[] {5, 4}, g.outputShape(new long[] {5, 3}));
    }

    @Test
    void theSameNodeReadTwiceGetsBothGradients() {
        Linear lin = new Linear(2, 2, true, Init.XAVIER_UNIFORM, new Random(1));
        Graph g = Graph.builder().add("lin", lin, "input").add("twice", new Add(), "lin", "lin").build();
        Tensor x = input(1, 3, 2);
        Tensor y = g.forward(x, Mode.TRAIN);
        Tensor once = lin.forward(x, Mode.TRAIN);
        for (int i = 0; i < 6; i++) assertEquals(2 * once.toFloatArray()[i], y.toFloatArray()[i], 1e-6);
        g.forward(x, Mode.TRAIN);
        Tensor ones = Tensor.of(new float[] {1, 1, 1, 1, 1, 1}, 3, 2);
        g.zeroGrad();
        g.backward(ones);
        // d sum / d bias = 2 per row, 3 rows
        assertArrayEquals(new float[] {6, 6}, lin.bias().grad().toFloatArray());
        check(g, input(2, 3, 2));
    }

    @Test
    void graphWiringErrors() {
        Random rng = new Random(1);
        var cycle = assertThrows(IllegalArgumentException.class, () -> Graph.builder()
                .add("a", new ReLU(), "b").add("b", new ReLU(), "a").add("out", new Add(), "input", "b").build());
        assertEquals("graph: cycle among nodes a, b, out", cycle.getMessage());
        var unknown = assertThrows(IllegalArgumentException.class, () -> Graph.builder().add("a", new ReLU(), "x").build());
        assertEquals("graph: node a reads \"x\", which is not a node (nodes: input, a)", unknown.getMessage());
        var dangling = assertThrows(IllegalArgumentException.class, () -> Graph.builder()
                .add("a", new ReLU(), "input").add("b", new Tanh(), "input").output("a").build());
        assertEquals("graph: node b does not lead to the output a", dangling.getMessage());
        var arity = assertThrows(IllegalArgumentException.class, () -> Graph.builder().add("s", new Add(), "input"));
        assertEquals("graph: node s (add) takes 2 or more inputs, got 1 [input]", arity.getMessage());
        var dup = assertThrows(IllegalArgumentException.class, () -> Graph.builder().add("a", new ReLU(), "input").add("a", new ReLU(), "a"));
        assertEquals("graph: node name \"a\" is used twice", dup.getMessage());
        var seq = assertThrows(IllegalArgumentException.class, () -> new Sequential().add(new Add()));
        assertEquals("sequential: add needs 2 inputs; use a Graph", seq.getMessage());
    }

    @Test
    void summaryAndDot() {
        Graph g = fanOut(new Random(5));
        String s = g.summary(3);
        assertTrue(s.contains("cat (concat)"), s);
        assertTrue(s.contains("[N, 8]"), s);
        assertTrue(s.contains("Total params: " + g.paramCount()), s);
        String dot = g.toDot(3);
        assertTrue(dot.startsWith("digraph net {"), dot);
        assertTrue(dot.contains("\"a\" -> \"b\";") && dot.contains("\"a\" -> \"sum\";") && dot.contains("\"input\" -> \"a\";"), dot);
        assertTrue(dot.contains("[N, 4]"), dot);
        assertTrue(dot.trim().endsWith("}"));
    }
}
