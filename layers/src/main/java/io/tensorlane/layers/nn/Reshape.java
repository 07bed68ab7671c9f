package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/** (N, ...) to (N, shape...), the batch dim kept; one entry of shape may be -1 (inferred). */
public final class Reshape extends AbstractLayer {
    /** Net-file option: {@code shape}, the per-sample shape (required). */
    public static final List<String> OPTIONS = List.of("shape");

    private final long[] shape;
    private long[] inShape;

    public Reshape(long... shape) {
        int unknown = 0;
        for (long d : shape) {
            if (d == -1) unknown++;
            else if (d < 0) throw new IllegalArgumentException("reshape: negative dim in shape " + Arrays.toString(shape));
        }
        if (unknown > 1) throw new IllegalArgumentException("reshape: more than one -1 in shape " + Arrays.toString(shape));
        this.shape = shape.clone();
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static Reshape create(LayerConfig c, List<long[]> in, RandomGenerator rng) {
        try {
            return new Reshape(c.getLongs("shape"));
        } catch (IllegalArgumentException e) {
            throw c.error("shape", e.getMessage());
        }
    }

    @Override
    public String type() { return "reshape"; }

    @Override
    public long[] outputShape(long[] in) {
        if (in.length < 1) throw error("input must have a batch dim, got a scalar");
        long total = 1;
        for (int i = 1; i < in.length; i++) total = Math.multiplyExact(total, in[i]);
        long known = 1;
        int free = -1;
        long[] out = new long[shape.length + 1];
        out[0] = in[0];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] == -1) free = i;
            else known = Math.multiplyExact(known, shape[i]);
            out[i + 1] = shape[i];
        }
        if (free >= 0) {
            if (known == 0 || total % known != 0) throw error("cannot infer -1 in " + Arrays.toString(shape) + " from input " + Arrays.toString(in));
            out[free + 1] = total / known;
        } else if (known != total) {
            throw error("input " + Arrays.toString(in) + " has " + total + " elements per sample, shape "
                    + Arrays.toString(shape) + " holds " + known);
        }
        return out;
    }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        inShape = in.shape();
        return in.contiguous().reshape(outputShape(inShape));
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(inShape);
        return dOut.contiguous().reshape(inShape);
    }

    @Override
    public Map<String, Object> config() {
        return Map.of("shape", LayerConfig.list(shape));
    }
}
