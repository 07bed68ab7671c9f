package io.tensorlane.layers.nn;

import io.tensorlane.kernels.Pool2dDesc;
import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Max pooling over NCHW planes: x (N, C, H, W) to (N, C, Ho, Wo), {@code Ho = floor((H + 2p - k)/s) + 1};
 * padding is never selected; ties pick the first element. The indices of the last forward (I32
 * {@code h*W + w} per plane) are kept for backward and for a {@link MaxUnpool2d} that refers to this
 * layer.
 */
public final class MaxPool2d extends AbstractLayer {
    /** Net-file options: {@code kernel} (required), {@code stride} (default = kernel), {@code pad} (0). */
    public static final List<String> OPTIONS = List.of("kernel", "stride", "pad");

    private final Pool2dDesc desc;
    private Tensor indices;
    private long[] inShape;

    public MaxPool2d(Pool2dDesc desc) {
        this.desc = java.util.Objects.requireNonNull(desc, "desc");
    }

    /** A k x k window with stride k. */
    public MaxPool2d(int k) {
        this(Pool2dDesc.of(k));
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static MaxPool2d create(LayerConfig c, List<long[]> in, RandomGenerator rng) {
        return new MaxPool2d(PoolOptions.desc(c));
    }

    @Override
    public String type() { return "max_pool2d"; }

    public Pool2dDesc desc() { return desc; }

    /** The argmax indices of the last forward (N, C, Ho, Wo), I32; null before the first. */
    public Tensor indices() { return indices; }

    /** The input shape of the last forward; null before the first. */
    public long[] inputShape() { return inShape == null ? null : inShape.clone(); }

    @Override
    public long[] outputShape(long[] in) {
        return desc.outputShape(type(), in);
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        long[] s = outputShape(x.shape());
        Tensor out = buffer(0, s);
        Tensor idx = workspace.get(ops, 1, DType.I32, s);
        ops.maxPool2d(x, desc, out, idx);
        indices = idx;
        inShape = x.shape();
        return out;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(indices);
        if (!Arrays.equals(dOut.shape(), indices.shape())) {
            throw error("dOut has shape " + Arrays.toString(dOut.shape()) + " but the output was " + Arrays.toString(indices.shape()));
        }
        Tensor dx = buffer(2, inShape);
        ops.maxPool2dBackward(dOut, indices, desc, dx);
        return dx;
    }

    @Override
    public Map<String, Object> config() {
        return PoolOptions.config(desc, new LinkedHashMap<>(), false);
    }
}
