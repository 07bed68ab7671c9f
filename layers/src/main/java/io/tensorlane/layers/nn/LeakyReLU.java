package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/** x for x > 0, slope * x otherwise; any shape. */
public final class LeakyReLU extends AbstractLayer {
    /** Net-file option: {@code slope} (default 0.01, PyTorch's). */
    public static final List<String> OPTIONS = List.of("slope");

    private final float slope;
    private Tensor x;

    public LeakyReLU(float slope) {
        if (!Float.isFinite(slope)) throw new IllegalArgumentException("leaky_relu: slope must be finite, got " + slope);
        this.slope = slope;
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static LeakyReLU create(LayerConfig c, List<long[]> in, RandomGenerator rng) {
        return new LeakyReLU(c.getFloat("slope", 0.01f));
    }

    @Override
    public String type() { return "leaky_relu"; }

    @Override
    public long[] outputShape(long[] in) { return in.clone(); }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        x = in;
        Tensor y = buffer(0, in.shape());
        ops.leakyRelu(in, slope, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(x);
        Tensor dx = buffer(1, x.shape());
        ops.leakyReluBackward(x, dOut, slope, dx);
        return dx;
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("slope", slope);
    }
}
