package io.tensorlane.layers.nn;

import io.tensorlane.kernels.Pool2dDesc;
import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Average pooling over NCHW planes: x (N, C, H, W) to (N, C, Ho, Wo); the divisor is kh*kw, or with
 * {@code count_include_pad: false} the number of real (unpadded) elements in the window.
 */
public final class AvgPool2d extends AbstractLayer {
    /** Net-file options: {@code kernel} (required), {@code stride} (= kernel), {@code pad} (0), {@code count_include_pad} (true). */
    public static final List<String> OPTIONS = List.of("kernel", "stride", "pad", "count_include_pad");

    private final Pool2dDesc desc;
    private long[] inShape;

    public AvgPool2d(Pool2dDesc desc) {
        this.desc = java.util.Objects.requireNonNull(desc, "desc");
    }

    /** A k x k window with stride k. */
    public AvgPool2d(int k) {
        this(Pool2dDesc.of(k));
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static AvgPool2d create(LayerConfig c, List<long[]> in, RandomGenerator rng) {
        return new AvgPool2d(PoolOptions.desc(c).countIncludePad(c.getBool("count_include_pad", true)));
    }

    @Override
    public String type() { return "avg_pool2d"; }

    public Pool2dDesc desc() { return desc; }

    @Override
    public long[] outputShape(long[] in) {
        return desc.outputShape(type(), in);
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        Tensor out = buffer(0, outputShape(x.shape()));
        ops.avgPool2d(x, desc, out);
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
        ops.avgPool2dBackward(dOut, desc, dx);
        return dx;
    }

    @Override
    public Map<String, Object> config() {
        return PoolOptions.config(desc, new LinkedHashMap<>(), true);
    }
}
