package io.tensorlane.layers.nn;

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
 * Inverted dropout, any shape: in {@link Mode#TRAIN} each element is dropped with probability
 * {@code p} and the kept ones are scaled by {@code 1/(1-p)}; in {@link Mode#EVAL} it is the
 * identity. The mask of the k-th TRAIN forward depends only on (seed, k) and the element's index, so
 * a seeded run is reproducible for any thread count.
 */
public final class Dropout extends AbstractLayer {
    /** Net-file options: {@code p} (drop probability in [0, 1), default 0.5) and {@code seed} (default 0). */
    public static final List<String> OPTIONS = List.of("p", "seed");

    private final float p;
    private final long seed;
    private long calls;
    private boolean repeatMask;
    private Tensor mask;     // of the last TRAIN forward; null after an EVAL forward
    private long[] inShape;

    public Dropout(float p, long seed) {
        if (!(p >= 0 && p < 1)) throw new IllegalArgumentException("dropout: p (drop probability) must be in [0, 1), got " + p);
        this.p = p;
        this.seed = seed;
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static Dropout create(LayerConfig c, List<long[]> in, RandomGenerator rng) {
        float p = c.getFloat("p", 0.5f);
        if (p < 0 || p >= 1) throw c.error("p", "the drop probability must be in [0, 1), got " + p);
        return new Dropout(p, c.has("seed") ? c.getInt("seed") : 0);
    }

    @Override
    public String type() { return "dropout"; }

    public float p() { return p; }

    /**
     * When true, every TRAIN forward draws the mask of the current step again instead of a new one,
     * so the layer is a fixed function (what a finite-difference gradient check needs).
     */
    public Dropout repeatMask(boolean repeat) {
        this.repeatMask = repeat;
        return this;
    }

    @Override
    public long[] outputShape(long[] in) {
        if (in.length < 1) throw error("input must have a batch dim, got " + Arrays.toString(in));
        return in.clone();
    }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        inShape = outputShape(in.shape());
        if (mode == Mode.EVAL || p == 0f) {
            mask = null;
            return in;
        }
        // A new mask per step: mix the step count into the seed (golden-ratio increment, as SplitMix does).
        long stepSeed = seed + (repeatMask ? Math.max(calls - 1, 0) : calls) * 0x9E3779B97F4A7C15L;
        if (!repeatMask || calls == 0) calls++;
        Tensor out = buffer(0, inShape);
        mask = buffer(1, inShape);
        ops.dropout(in, p, stepSeed, out, mask);
        return out;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(inShape);
        if (!Arrays.equals(dOut.shape(), inShape)) {
            throw error("dOut has shape " + Arrays.toString(dOut.shape()) + " but the output was " + Arrays.toString(inShape));
        }
        if (mask == null) return dOut; // identity forward
        Tensor dx = buffer(2, inShape);
        ops.dropoutBackward(dOut, mask, p, dx);
        return dx;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("p", p);
        if (seed != 0) m.put("seed", seed);
        return m;
    }
}
