package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A graph node that joins two or more inputs of one shape elementwise ({@link Add}, {@link Mul}):
 * the input-count and shape checks and the rejection of single-input use live here; subclasses
 * compute {@code forward(List)} and {@code backwardAll}.
 */
abstract sealed class SameShapeJoin extends AbstractLayer permits Add, Mul {
    @Override
    public int minInputs() { return 2; }

    @Override
    public int maxInputs() { return Integer.MAX_VALUE; }

    @Override
    public long[] outputShape(long[] in) {
        throw error("takes 2 or more inputs (use it as a graph node), got 1");
    }

    @Override
    public long[] outputShape(List<long[]> in) {
        if (in.size() < 2) throw error("takes 2 or more inputs, got " + in.size());
        for (int i = 1; i < in.size(); i++) {
            if (!Arrays.equals(in.get(i), in.get(0))) {
                throw error("input " + i + " has shape " + Arrays.toString(in.get(i)) + " but input 0 has " + Arrays.toString(in.get(0)));
            }
        }
        return in.get(0).clone();
    }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        throw error("takes 2 or more inputs (use it as a graph node), got 1");
    }

    @Override
    public Tensor backward(Tensor dOut) {
        throw error("takes 2 or more inputs: use backwardAll");
    }

    /** The reused output buffer for these inputs, after checking their count and shapes. */
    protected Tensor outputBuffer(List<Tensor> in) {
        List<long[]> shapes = new ArrayList<>(in.size());
        for (Tensor t : in) shapes.add(t.shape());
        return buffer(0, outputShape(shapes));
    }
}
