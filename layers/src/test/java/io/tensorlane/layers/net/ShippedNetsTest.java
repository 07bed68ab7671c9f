package io.tensorlane.layers.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.layers.Mode;
import io.tensorlane.layers.Param;
import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Tensor;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every net file shipped in the resources: loads, runs forward + loss + backward on a tiny batch,
 * gives the declared output shape, a gradient for every parameter, a summary whose total matches,
 * and survives a toJson round trip.
 */
class ShippedNetsTest {
    @ParameterizedTest
    @CsvSource({
        "nets/digits_cnn.json,      10, 62506",
        "nets/lenet5.json,          10, 61706",
        "nets/resnet_small.json,    10, -1",
        "nets/inception_small.json, 10, -1",
        "nets/fcn_small.json,       -1, -1",
        "nets/char_lstm.json,       32, -1",
        "nets/autoencoder.json,     64, -1",
    })
    void loadsRunsAndSummarizes(String resource, int outWidth, long params) {
        NetFile.Spec spec = NetFile.resource(resource);
        Net net = spec.net();
        assertNotNull(spec.loss(), resource + " names its loss");
        int n = 2;
        long[] batch = Shapes.withBatch(spec.inputShape());
        batch[0] = n;
        Random rng = new Random(9);
        boolean indices = net.nodes().getFirst().layer().type().equals("embedding");
        Tensor x;
        if (indices) {
            int[] v = new int[Math.toIntExact(numel(batch))];
            for (int i = 0; i < v.length; i++) v[i] = rng.nextInt(32);
            x = Tensor.ofInts(v, batch);
        } else {
            x = random(rng, batch);
        }
        long[] expected = net.outputShape(batch);
        Tensor y = net.forward(x, Mode.TRAIN);
        assertArrayEquals(expected, y.shape(), resource);
        if (outWidth > 0) assertEquals(outWidth, expected[expected.length - 1], resource);
        else assertArrayEquals(batch, expected, resource + ": a segmentation map of the input's size");

        Tensor target;
        if (spec.loss().classification()) {
            target = Tensor.ofInts(new int[] {1, 7}, n);
        } else {
            target = random(rng, expected);
            float[] t = target.toFloatArray();
            for (int i = 0; i < t.length; i++) t[i] = t[i] > 0 ? 1 : 0; // 0/1 masks and pixel values alike
            target = Tensor.of(t, expected);
        }
        LossResult r = spec.loss().forward(y, target);
        assertTrue(Double.isFinite(r.loss()), resource + " loss " + r.loss());
        net.zeroGrad();
        Tensor dx = net.backward(r.grad());
        if (indices) assertEquals(null, dx);
        else assertArrayEquals(batch, dx.shape(), resource);
        for (Map.Entry<String, Param> e : net.namedParams().entrySet()) {
            float[] g = e.getValue().grad().toFloatArray();
            boolean nonzero = false;
            for (float v : g) {
                assertTrue(Float.isFinite(v), resource + " " + e.getKey());
                nonzero |= v != 0;
            }
            // an embedding sees only the rows of this batch, every other parameter gets some gradient
            assertTrue(nonzero, resource + ": no gradient reached " + e.getKey());
        }

        String summary = net.summary(spec.inputShape());
        assertTrue(summary.contains(String.format("Total params: %,d", net.paramCount())), summary);
        if (params > 0) assertEquals(params, net.paramCount(), resource);
        for (NetNode node : net.nodes()) assertTrue(summary.contains(node.name() + " (" + node.layer().type() + ")"), summary);

        String json = NetFile.toJson(spec.name(), spec.inputShape(), spec.seed(), net, spec.loss());
        NetFile.Spec again = NetFile.parse(json, resource + " (round trip)");
        assertEquals(summary, again.net().summary(spec.inputShape()));
        assertEquals(net.namedState().keySet(), again.net().namedState().keySet());
    }

    static long numel(long[] s) {
        long n = 1;
        for (long d : s) n *= d;
        return n;
    }

    static Tensor random(Random rng, long[] shape) {
        float[] v = new float[Math.toIntExact(numel(shape))];
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
        return Tensor.of(v, shape);
    }
}
