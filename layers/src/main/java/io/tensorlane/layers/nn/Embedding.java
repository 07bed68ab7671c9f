package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.Mode;
import io.tensorlane.layers.Param;
import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Lookup table: I32 indices (N) or (N, T) in [0, vocab) to rows of the weight (vocab, dim), giving
 * (N, dim) or (N, T, dim). Weights start N(0, 1) (PyTorch's default). The indices get no gradient
 * (backward returns null); the rows used accumulate theirs.
 */
public final class Embedding extends AbstractLayer {
    /** Net-file options: {@code vocab} and {@code dim} (both required). */
    public static final List<String> OPTIONS = List.of("vocab", "dim");

    private final int vocab;
    private final int dim;
    private final Param weight;
    private int[] indices;

    public Embedding(int vocab, int dim, RandomGenerator rng) {
        if (vocab < 1 || dim < 1) throw new IllegalArgumentException("embedding: vocab and dim must be >= 1, got " + vocab + ", " + dim);
        this.vocab = vocab;
        this.dim = dim;
        float[] w = new float[Math.multiplyExact(vocab, dim)];
        for (int i = 0; i < w.length; i++) w[i] = (float) rng.nextGaussian();
        // native like every other parameter: the optimizer's SIMD update must not see a heap segment (see Tensor)
        Tensor value = Tensor.allocate(Arena.ofAuto(), DType.F32, vocab, dim);
        value.segment().copyFrom(MemorySegment.ofArray(w));
        this.weight = Param.of("weight", value);
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static Embedding create(LayerConfig c, List<long[]> in, RandomGenerator rng) {
        return new Embedding(c.getPositiveInt("vocab"), c.getPositiveInt("dim"), rng);
    }

    @Override
    public String type() { return "embedding"; }

    public Param weight() { return weight; }

    @Override
    public List<Param> params() { return List.of(weight); }

    @Override
    public long[] outputShape(long[] in) {
        if (in.length < 1 || in.length > 2) throw error("indices must be (N) or (N, T), got " + Arrays.toString(in));
        long[] out = Arrays.copyOf(in, in.length + 1);
        out[in.length] = dim;
        return out;
    }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        if (in.dtype() != DType.I32) throw error("indices must be I32, got " + in.dtype() + " " + Arrays.toString(in.shape()));
        long[] outShape = outputShape(in.shape());
        int[] idx = in.contiguous().toIntArray();
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= vocab) {
                throw error("index " + idx[i] + " at flat position " + i + " is outside [0, " + vocab + ") (indices="
                        + Arrays.toString(in.shape()) + ")");
            }
        }
        Tensor out = buffer(0, outShape);
        Tensor rows = out.reshape(idx.length, dim);
        Tensor w = weight.value();
        for (int i = 0; i < idx.length; i++) ops.copy(w.slice(0, idx[i], idx[i] + 1), rows.slice(0, i, i + 1));
        indices = idx;
        return out;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(indices);
        if (dOut.numel() != (long) indices.length * dim) {
            throw error("dOut has shape " + Arrays.toString(dOut.shape()) + " but the output had " + indices.length + " x " + dim);
        }
        Tensor d = dOut.contiguous().reshape(indices.length, dim);
        Tensor g = weight.grad();
        for (int i = 0; i < indices.length; i++) ops.axpy(1f, d.slice(0, i, i + 1), g.slice(0, indices[i], indices[i] + 1));
        return null;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("vocab", vocab);
        m.put("dim", dim);
        return m;
    }
}
