package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Joins inputs along one dim (default 1, the channels of NCHW: the join of an inception block); the
 * other dims must agree. Backward splits the gradient back into the inputs' slices.
 */
public final class Concat extends AbstractLayer {
    /** Net-file option: {@code dim} (default 1; 0 is the batch and is not allowed). */
    public static final List<String> OPTIONS = List.of("dim");

    private final int dim;
    private long[] sizes; // of each input along dim, from the last forward

    public Concat(int dim) {
        if (dim < 1) throw new IllegalArgumentException("concat: dim must be >= 1 (0 is the batch), got " + dim);
        this.dim = dim;
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static Concat create(LayerConfig c, List<long[]> in, RandomGenerator rng) {
        return new Concat(c.getInt("dim", 1, 1));
    }

    @Override
    public String type() { return "concat"; }

    @Override
    public int maxInputs() { return Integer.MAX_VALUE; }

    @Override
    public long[] outputShape(long[] in) {
        return outputShape(List.of(in));
    }

    @Override
    public long[] outputShape(List<long[]> in) {
        if (in.isEmpty()) throw error("needs at least one input");
        long[] first = in.get(0);
        if (dim >= first.length) throw error("dim " + dim + " out of range for input 0 " + Arrays.toString(first));
        long[] out = first.clone();
        for (int i = 1; i < in.size(); i++) {
            long[] s = in.get(i);
            boolean ok = s.length == first.length;
            for (int d = 0; ok && d < s.length; d++) ok = d == dim || s[d] == first[d];
            if (!ok) {
                throw error("input " + i + " has shape " + Arrays.toString(s) + " but input 0 has " + Arrays.toString(first)
                        + " (only dim " + dim + " may differ)");
            }
            out[dim] = Math.addExact(out[dim], s[dim]);
        }
        return out;
    }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        return forward(List.of(in), mode);
    }

    @Override
    public Tensor forward(List<Tensor> in, Mode mode) {
        List<long[]> shapes = new ArrayList<>();
        for (Tensor t : in) shapes.add(t.shape());
        long[] outShape = outputShape(shapes);
        long outer = 1, inner = 1;
        for (int d = 0; d < dim; d++) outer *= outShape[d];
        for (int d = dim + 1; d < outShape.length; d++) inner *= outShape[d];
        Tensor out = buffer(0, outShape);
        // Each input fills one contiguous run of every outer row: copy row by row.
        Tensor out2 = out.reshape(outer, outShape[dim] * inner);
        sizes = new long[in.size()];
        long at = 0;
        for (int i = 0; i < in.size(); i++) {
            Tensor x = in.get(i);
            long len = x.dim(dim) * inner;
            sizes[i] = x.dim(dim);
            Tensor x2 = x.contiguous().reshape(outer, len);
            for (long o = 0; o < outer && len > 0; o++) {
                ops.copy(x2.slice(0, o, o + 1), out2.slice(0, o, o + 1).slice(1, at, at + len));
            }
            at += len;
        }
        return out;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        return backwardAll(dOut).get(0);
    }

    @Override
    public List<Tensor> backwardAll(Tensor dOut) {
        requireForward(sizes);
        List<Tensor> d = new ArrayList<>(sizes.length);
        long at = 0;
        for (long s : sizes) {
            Tensor part = dOut.slice(dim, at, at + s);
            Tensor g = buffer(1 + d.size(), part.shape());
            ops.copy(part, g);
            d.add(g);
            at += s;
        }
        return d;
    }

    @Override
    public Map<String, Object> config() {
        return dim == 1 ? Map.of() : Map.of("dim", dim);
    }
}
