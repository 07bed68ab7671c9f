package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.Layer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * The partial inverse of a {@link MaxPool2d} (SegNet's decoder): x, shaped like that pool's output,
 * goes back to the pool's input shape, each value to the position its max came from, zeros elsewhere.
 * The unpool layer refers to its pool layer (in a net file: {@code "pool": "<max_pool2d node>"}) and
 * reads the indices of the pool's most recent forward, so a graph runs the pool first
 * ({@link #references()}).
 */
public final class MaxUnpool2d extends AbstractLayer {
    /**
     * Net-file options: {@code pool}, the name of an earlier max_pool2d node (required), and
     * {@code output_size} [H, W] (default: the inverse of the pool's geometry, {@code (h-1)*s - 2p + k}).
     */
    public static final List<String> OPTIONS = List.of("pool", "output_size");

    private final String poolName;
    private final MaxPool2d pool;
    private final long outH;  // -1: from the pool's geometry
    private final long outW;
    private Tensor indices;

    /**
     * Unpools to the size given by the inverse of the pool's geometry (PyTorch's default); when the
     * pool dropped rows or columns (odd sizes), use the constructor with the output size.
     *
     * @param poolName the pool's node name (what the net file says; {@link #config()} writes it back)
     * @param pool     the max-pool layer whose indices this unpools with
     */
    public MaxUnpool2d(String poolName, MaxPool2d pool) {
        this(poolName, pool, -1, -1);
    }

    /** Unpools to planes of outH x outW: the pool's input size. */
    public MaxUnpool2d(String poolName, MaxPool2d pool, long outH, long outW) {
        this.poolName = java.util.Objects.requireNonNull(poolName, "poolName");
        this.pool = java.util.Objects.requireNonNull(pool, "pool");
        if ((outH < 1 || outW < 1) && !(outH == -1 && outW == -1)) {
            throw new IllegalArgumentException("max_unpool2d: output size must be >= 1, got " + outH + "x" + outW);
        }
        this.outH = outH;
        this.outW = outW;
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static MaxUnpool2d create(LayerConfig c, List<long[]> in, RandomGenerator rng) {
        MaxPool2d pool = c.getNode("pool", MaxPool2d.class);
        String name = (String) c.options().get("pool");
        if (!c.has("output_size")) return new MaxUnpool2d(name, pool);
        long[] s = c.getLongs("output_size");
        if (s.length != 2 || s[0] < 1 || s[1] < 1) throw c.error("output_size", "expected [H, W], each >= 1");
        return new MaxUnpool2d(name, pool, s[0], s[1]);
    }

    @Override
    public String type() { return "max_unpool2d"; }

    public MaxPool2d pool() { return pool; }

    @Override
    public List<Layer> references() { return List.of(pool); }

    @Override
    public long[] outputShape(long[] in) {
        requireRank(in, 4, "(N, C, h, w)");
        if (outH > 0) return new long[] {in[0], in[1], outH, outW};
        var d = pool.desc();
        long h = (in[2] - 1) * d.strideH() - 2L * d.padH() + d.kernelH();
        long w = (in[3] - 1) * d.strideW() - 2L * d.padW() + d.kernelW();
        return new long[] {in[0], in[1], h, w};
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        Tensor idx = pool.indices();
        if (idx == null) throw error("max_pool2d " + poolName + " has not run yet (no indices)");
        if (!Arrays.equals(idx.shape(), x.shape())) {
            throw error("x has shape " + Arrays.toString(x.shape()) + " but the indices of " + poolName + " are "
                    + Arrays.toString(idx.shape()));
        }
        long[] s = outputShape(x.shape());
        long[] poolIn = pool.inputShape();
        if (poolIn[2] != s[2] || poolIn[3] != s[3]) {
            // The indices are flat positions in the pool's input planes: another plane size would misplace them.
            throw error("output " + Arrays.toString(s) + " differs from the input " + Arrays.toString(poolIn) + " of max_pool2d "
                    + poolName + " (set output_size to [" + poolIn[2] + ", " + poolIn[3] + "])");
        }
        Tensor out = buffer(0, s);
        ops.maxUnpool2d(x, idx, out);
        indices = idx;
        return out;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(indices);
        Tensor dx = buffer(1, indices.shape());
        ops.maxUnpool2dBackward(dOut, indices, dx);
        return dx;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("pool", poolName);
        if (outH > 0) m.put("output_size", io.tensorlane.layers.LayerConfig.list(outH, outW));
        return m;
    }
}
