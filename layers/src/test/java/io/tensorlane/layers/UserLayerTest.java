package io.tensorlane.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.tensorlane.layers.net.NetFile;
import io.tensorlane.runtime.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's "Adding a layer" example, verbatim: one class, one register line, usable from a net file. */
class UserLayerTest {
    public static final class Scale extends AbstractLayer {
        private final float factor;
        public Scale(float factor) { this.factor = factor; }
        @Override public String type() { return "scale"; }
        @Override public long[] outputShape(long[] in) { return in.clone(); }
        @Override public Tensor forward(Tensor in, Mode mode) { return ops.scale(in, factor); }
        @Override public Tensor backward(Tensor dOut) { return ops.scale(dOut, factor); }
        @Override public Map<String, Object> config() { return Map.of("factor", factor); }
    }

    @Test
    void aUserLayerWorksInNetFilesAndPassesTheGradientCheck() {
        LayerRegistry.register("scale", List.of("factor"), (cfg, inShapes, rng) -> new Scale(cfg.getFloat("factor", 1f)));
        var net = NetFile.parse("{\"input\": [3], \"layers\": [{\"type\": \"scale\", \"factor\": 2}]}", "user").net();
        assertArrayEquals(new float[] {2, 4, 6}, net.forward(Tensor.of(new float[] {1, 2, 3}, 1, 3), Mode.EVAL).toFloatArray());
        for (var r : GradientCheck.layer(new Scale(-3f), Tensor.of(new float[] {0.5f, -1, 2, 0.25f}, 2, 2), 1)) r.requireBelow(1e-3);
    }
}
