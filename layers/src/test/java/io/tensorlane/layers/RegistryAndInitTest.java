package io.tensorlane.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.layers.nn.Linear;
import io.tensorlane.runtime.Tensor;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RegistryAndInitTest {
    @Test
    void createsLayersByNameInferringInputSize() {
        Layer l = LayerRegistry.create("linear", Map.of("out", 3), new long[] {1, 2, 4}, new Random(1));
        assertTrue(l instanceof Linear);
        assertArrayEquals(new long[] {8, 3}, ((Linear) l).weight().value().shape());
        assertEquals(Map.of("out", 3), l.config());
    }

    @Test
    void unknownTypeListsKnownOnes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> LayerRegistry.create("lineer", Map.of(), new long[] {1, 2}, new Random(1)));
        assertTrue(e.getMessage().startsWith("lineer.type: unknown layer type \"lineer\" (known: add, avg_pool2d, batch_norm1d, batch_norm2d, concat, conv2d, "), e.getMessage());
        assertTrue(e.getMessage().contains("linear"), e.getMessage());
    }

    @Test
    void unknownOptionListsValidOnes() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> LayerRegistry.create(new LayerConfig("$.layers[2]", "linear", Map.of("outs", 3)), List.of(new long[] {1, 2}), new Random(1)));
        assertEquals("$.layers[2].outs: unknown option for linear (valid: bias, init, out)", e.getMessage());
        var t = assertThrows(IllegalArgumentException.class,
                () -> LayerRegistry.create(new LayerConfig("$.layers[0]", "linear", Map.of("out", "ten")), List.of(new long[] {1, 2}), new Random(1)));
        assertEquals("$.layers[0].out: expected an integer, got \"ten\"", t.getMessage());
        var m = assertThrows(IllegalArgumentException.class,
                () -> LayerRegistry.create(new LayerConfig("$.layers[0]", "linear", Map.of()), List.of(new long[] {1, 2}), new Random(1)));
        assertEquals("$.layers[0].out: required option of linear is missing", m.getMessage());
        var i = assertThrows(IllegalArgumentException.class,
                () -> LayerRegistry.create(new LayerConfig("$.layers[0]", "linear", Map.of("out", 2, "init", "glorot")), List.of(new long[] {1, 2}), new Random(1)));
        assertEquals("$.layers[0].init: unknown init \"glorot\" (valid: xavier_uniform, xavier_normal, he_normal, he_uniform, zeros)", i.getMessage());
    }

    @Test
    void initialisersHaveTheirScaleAndAreSeeded() {
        int fanIn = 200, fanOut = 100;
        double bound = Math.sqrt(6.0 / (fanIn + fanOut));
        Tensor w = Tensor.of(new float[fanIn * fanOut], fanIn, fanOut);
        Init.XAVIER_UNIFORM.fill(w, fanIn, fanOut, new Random(3));
        float[] v = w.toFloatArray();
        double max = 0, var = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
            var += x * x;
        }
        assertTrue(max <= bound && max > 0.99 * bound, "max " + max + " bound " + bound);
        assertEquals(bound * bound / 3, var / v.length, 0.05 * bound * bound / 3);

        Init.HE_NORMAL.fill(w, fanIn, fanOut, new Random(3));
        double s2 = 0;
        for (float x : w.toFloatArray()) s2 += x * x;
        assertEquals(2.0 / fanIn, s2 / v.length, 0.05 * 2.0 / fanIn);

        Tensor again = Tensor.of(new float[fanIn * fanOut], fanIn, fanOut);
        Init.HE_NORMAL.fill(again, fanIn, fanOut, new Random(3));
        assertArrayEquals(w.toFloatArray(), again.toFloatArray());
        Init.XAVIER_NORMAL.fill(again, fanIn, fanOut, new Random(3));
        s2 = 0;
        for (float x : again.toFloatArray()) s2 += x * x;
        assertEquals(2.0 / (fanIn + fanOut), s2 / v.length, 0.05 * 2.0 / (fanIn + fanOut));
    }
}
