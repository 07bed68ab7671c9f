package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Mean of each channel's plane: x (N, C, H, W) to (N, C), or (N, C, 1, 1) with {@code keep_dims}
 * (the head of a ResNet or GoogLeNet, before the classifier).
 */
public final class GlobalAvgPool extends AbstractLayer {
    /** Net-file option: {@code keep_dims} (default false). */
    public static final List<String> OPTIONS = List.of("keep_dims");

    private final boolean keepDims;
    private long[] inShape;

    public GlobalAvgPool(boolean keepDims) {
        this.keepDims = keepDims;
    }

    /** Output (N, C). */
    public GlobalAvgPool() {
        this(false);
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static GlobalAvgPool create(LayerConfig c, List<long[]> in, RandomGenerator rng) {
        return new GlobalAvgPool(c.getBool("keep_dims", false));
    }

    @Override
    public String type() { return "global_avg_pool"; }

    @Override
    public long[] outputShape(long[] in) {
        requireRank(in, 4, "(N, C, H, W)");
        return keepDims ? new long[] {in[0], in[1], 1, 1} : new long[] {in[0], in[1]};
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        Tensor out = buffer(0, outputShape(x.shape()));
        ops.globalAvgPool(x, out);
        inShape = x.shape();
        return out;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(inShape);
        long[] want = outputShape(inShape);
        if (!Arrays.equals(dOut.shape(), want)) {
            throw error("dOut has shape " + Arrays.toString(dOut.shape()) + " but the output was " + Arrays.toString(want));
        }
        Tensor dx = buffer(1, inShape);
        ops.globalAvgPoolBackward(dOut, dx);
        return dx;
    }

    @Override
    public Map<String, Object> config() {
        return keepDims ? Map.of("keep_dims", true) : Map.of();
    }
}
