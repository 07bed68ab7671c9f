package io.tensorlane.layers.io;

import static org.junit.jupiter.api.Assertions.*;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.LayerRegistry;
import io.tensorlane.layers.Mode;
import io.tensorlane.layers.Param;
import io.tensorlane.layers.loss.SoftmaxCrossEntropy;
import io.tensorlane.layers.net.Net;
import io.tensorlane.layers.net.NetFile;
import io.tensorlane.layers.optim.Optimizer;
import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NetModelsTest {
    static final String MLP = """
            { "name": "mlp", "input": [2, 3], "seed": 7, "loss": "softmax_cross_entropy",
              "layers": [ {"type": "flatten"}, {"name": "fc1", "type": "linear", "out": 5, "init": "he_normal"},
                          {"type": "test_shift"}, {"type": "leaky_relu", "slope": 0.2}, {"type": "linear", "out": 3, "bias": false} ] }
            """;

    static final String RESIDUAL = """
            { "name": "res", "input": [4],
              "nodes": [ {"name": "fc1", "type": "linear", "out": 4, "inputs": ["input"]},
                         {"name": "act", "type": "relu"},
                         {"name": "sum", "type": "add", "inputs": ["act", "input"]},
                         {"name": "head", "type": "linear", "out": 2} ],
              "output": "head" }
            """;

    @TempDir
    Path dir;

    /** A layer with a buffer (like batch norm's running mean): adds it in EVAL mode; TRAIN mode moves it towards the batch mean. */
    static final class Shift extends AbstractLayer {
        final Tensor running;

        Shift(long features) {
            running = Tensor.of(new float[(int) features], features);
        }

        @Override public String type() { return "test_shift"; }

        @Override public long[] outputShape(long[] in) { return in.clone(); }

        @Override public Map<String, Tensor> state() { return Map.of("running", running); }

        @Override
        public Tensor forward(Tensor in, Mode mode) {
            float[] x = in.contiguous().toFloatArray();
            int d = (int) running.numel(), n = x.length / d;
            for (int j = 0; j < d; j++) {
                if (mode == Mode.TRAIN) {
                    float mean = 0;
                    for (int i = 0; i < n; i++) mean += x[i * d + j] / n;
                    running.setFloat(0.5f * running.getFloat(j) + 0.5f * mean, j);
                } else {
                    for (int i = 0; i < n; i++) x[i * d + j] += running.getFloat(j);
                }
            }
            return Tensor.of(x, in.shape());
        }

        @Override public Tensor backward(Tensor dOut) { return dOut; }
    }

    @BeforeAll
    static void registerShift() {
        LayerRegistry.register("test_shift", List.of(), (c, in, r) -> new Shift(in.get(0)[1]));
    }

    static Tensor random(Random r, long... shape) {
        long n = 1;
        for (long d : shape) n *= d;
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Tensor.of(v, shape);
    }

    /** A few Adam steps, so parameters, buffers and optimizer state are all away from their initial values. */
    static Optimizer train(NetFile.Spec spec, int steps) {
        Optimizer opt = Optimizer.create("adam", Map.of("lr", 0.01, "beta1", 0.8));
        Random r = new Random(3);
        for (int s = 0; s < steps; s++) step(spec, opt, r);
        return opt;
    }

    static void step(NetFile.Spec spec, Optimizer opt, Random r) {
        Net net = spec.net();
        long[] xs = new long[spec.inputShape().length + 1];
        xs[0] = 8;
        System.arraycopy(spec.inputShape(), 0, xs, 1, spec.inputShape().length);
        Tensor x = random(r, xs);
        int[] y = new int[8];
        for (int i = 0; i < 8; i++) y[i] = r.nextInt((int) net.outputShape(xs)[1]);
        net.zeroGrad();
        LossResult l = new SoftmaxCrossEntropy().forward(net.forward(x, Mode.TRAIN), Tensor.ofInts(y, 8));
        net.backward(l.grad());
        opt.step(net.params());
    }

    static void assertSameNet(Net a, Net b) {
        assertEquals(List.copyOf(a.namedParams().keySet()), List.copyOf(b.namedParams().keySet()));
        a.namedParams().forEach((k, p) -> assertArrayEquals(p.value().toFloatArray(), b.namedParams().get(k).value().toFloatArray(), k));
        a.namedState().forEach((k, t) -> assertArrayEquals(t.toFloatArray(), b.namedState().get(k).toFloatArray(), k));
    }

    @Test
    void roundTripGivesIdenticalOutputsAndContinuesTrainingIdentically() throws IOException {
        NetFile.Spec spec = NetFile.parse(MLP, "mlp.json");
        Optimizer opt = train(spec, 5);
        assertNotEquals(0f, spec.net().namedState().get("test_shift1.running").getFloat(0));
        Path f = dir.resolve("mlp.tlm");
        NetModels.save(f, spec, opt);
        NetModels.Loaded back = NetModels.load(f);

        assertEquals("mlp", back.spec().name());
        assertArrayEquals(new long[] {2, 3}, back.spec().inputShape());
        assertEquals("softmax_cross_entropy", back.spec().loss().type());
        assertSameNet(spec.net(), back.net());
        Tensor x = random(new Random(9), 16, 2, 3);
        assertArrayEquals(spec.net().forward(x, Mode.EVAL).toFloatArray(), back.net().forward(x, Mode.EVAL).toFloatArray());

        Optimizer o2 = back.optimizer();
        assertEquals("adam", o2.name());
        assertEquals(5, o2.steps());
        assertEquals(opt.learningRate(), o2.learningRate());
        assertEquals(0.8, ((Number) o2.options().get("beta1")).doubleValue(), 1e-7);
        // The optimizer state came back: one more identical step on both keeps them bit-identical.
        step(spec, opt, new Random(11));
        step(back.spec(), o2, new Random(11));
        assertSameNet(spec.net(), back.net());
    }

    @Test
    void graphNetWithoutOptimizerRoundTrips() throws IOException {
        NetFile.Spec spec = NetFile.parse(RESIDUAL, "res.json");
        train(spec, 2);
        Path f = dir.resolve("res.tlm");
        NetModels.save(f, spec, null);
        NetModels.Loaded back = NetModels.load(f);
        assertNull(back.optimizer());
        assertEquals("head", back.net().outputName());
        assertSameNet(spec.net(), back.net());
        Tensor x = random(new Random(2), 5, 4);
        assertArrayEquals(spec.net().forward(x, Mode.EVAL).toFloatArray(), back.net().forward(x, Mode.EVAL).toFloatArray());
    }

    @Test
    void aPlainNetFileAsTheJsonLoadsWithoutOptimizer() throws IOException {
        NetFile.Spec spec = NetFile.parse(RESIDUAL, "res.json");
        Map<String, Tensor> t = new LinkedHashMap<>();
        spec.net().namedParams().forEach((k, p) -> t.put(k, p.value()));
        Path f = dir.resolve("plain.tlm");
        new ModelFile(RESIDUAL, t).write(f);
        NetModels.Loaded back = NetModels.load(f);
        assertNull(back.optimizer());
        assertSameNet(spec.net(), back.net());
    }

    /** Rewrites a saved file with its tensors changed by {@code edit}. */
    Path edited(java.util.function.Consumer<Map<String, Tensor>> editTensors, java.util.function.Consumer<Map<String, Tensor>> editExtras)
            throws IOException {
        NetFile.Spec spec = NetFile.parse(MLP, "mlp.json");
        Optimizer opt = train(spec, 1);
        Path f = dir.resolve("ok.tlm");
        NetModels.save(f, spec, opt);
        ModelFile mf = ModelFile.read(f);
        Map<String, Tensor> t = new LinkedHashMap<>(mf.tensors()), e = new LinkedHashMap<>(mf.extras());
        editTensors.accept(t);
        editExtras.accept(e);
        Path g = dir.resolve("edited.tlm");
        new ModelFile(mf.netJson(), t, e).write(g);
        return g;
    }

    String loadError(Path f) {
        return assertThrows(ModelFileException.class, () -> NetModels.load(f)).getMessage();
    }

    @Test
    void missingParameterIsRejected() throws IOException {
        String m = loadError(edited(t -> t.remove("fc1.bias"), e -> { }));
        assertTrue(m.contains("missing tensor(s) fc1.bias"), m);
    }

    @Test
    void missingBufferIsRejected() throws IOException {
        String m = loadError(edited(t -> t.remove("test_shift1.running"), e -> { }));
        assertTrue(m.contains("missing tensor(s) test_shift1.running"), m);
    }

    @Test
    void extraParameterIsRejected() throws IOException {
        String m = loadError(edited(t -> t.put("fc9.weight", Tensor.of(new float[2], 2)), e -> { }));
        assertTrue(m.contains("unexpected tensor(s) fc9.weight (not in the net)"), m);
    }

    @Test
    void misshapenParameterIsRejected() throws IOException {
        String m = loadError(edited(t -> t.put("fc1.weight", Tensor.of(new float[30], 5, 6)), e -> { }));
        assertTrue(m.contains("tensor fc1.weight has shape [5, 6] in the file but [6, 5] in the net"), m);
    }

    @Test
    void everyProblemIsListedInOneMessage() throws IOException {
        String m = loadError(edited(t -> {
            t.remove("fc1.bias");
            t.put("linear1.weight", Tensor.of(new float[3], 3));
            t.put("zzz", Tensor.of(new float[1], 1));
        }, e -> { }));
        assertTrue(m.contains("missing tensor(s) fc1.bias") && m.contains("unexpected tensor(s) zzz")
                && m.contains("tensor linear1.weight has shape [3]"), m);
    }

    @Test
    void optimizerStateIsValidatedToo() throws IOException {
        String m = loadError(edited(t -> { }, e -> e.remove("optimizer/fc1.weight/1")));
        assertTrue(m.contains("missing optimizer state tensor(s) optimizer/fc1.weight/1"), m);
        m = loadError(edited(t -> { }, e -> e.put("optimizer/fc1.weight/0", Tensor.of(new float[1], 1))));
        assertTrue(m.contains("optimizer state tensor optimizer/fc1.weight/0 has shape [1] in the file but [6, 5]"), m);
    }

    @Test
    void badJsonAndFormatAreRejected() throws IOException {
        Path f = dir.resolve("bad.tlm");
        new ModelFile("{\"format\": \"other\"}", Map.of()).write(f);
        assertTrue(loadError(f).contains("format \"other\""));
        new ModelFile("[1, 2]", Map.of()).write(f);
        assertTrue(loadError(f).contains("not an object"));
        new ModelFile("{\"format\": \"tensorlane-model\", \"net\": {\"input\": [3], \"layers\": [{\"type\": \"nope\"}]}}", Map.of()).write(f);
        String m = loadError(f);
        assertTrue(m.contains("unknown layer type \"nope\""), m);
        new ModelFile("{\"format\": \"tensorlane-model\", \"net\": {\"input\": [3], \"layers\": [{\"type\": \"relu\"}]},"
                + " \"optimizer\": {\"type\": \"adam\", \"options\": {\"lr\": 0.1, \"bogus\": 1}, \"lr\": 0.1, \"steps\": 3}}", Map.of()).write(f);
        m = loadError(f);
        assertTrue(m.contains("bad optimizer") && m.contains("bogus"), m);
    }

    @Test
    void unusedParamsStillGetOptimizerState() throws IOException {
        // A fresh optimizer that never stepped saves zero state for every parameter, and it loads.
        NetFile.Spec spec = NetFile.parse(MLP, "mlp.json");
        Optimizer opt = Optimizer.create("momentum", Map.of("lr", 0.1));
        Path f = dir.resolve("fresh.tlm");
        NetModels.save(f, spec, opt);
        NetModels.Loaded back = NetModels.load(f);
        assertEquals(0, back.optimizer().steps());
        for (Param p : back.net().params()) assertEquals(1, back.optimizer().state(p).size());
    }
}
