package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sum of two or more inputs of the same shape: the join of a residual block. Each input's gradient
 * is the output's gradient (the same tensor, which callers must not modify in place).
 */
public final class Add extends AbstractLayer {
    private int arity;

    @Override
    public String type() { return "add"; }

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

    @Override
    public Tensor forward(List<Tensor> in, Mode mode) {
        List<long[]> shapes = new ArrayList<>();
        for (Tensor t : in) shapes.add(t.shape());
        Tensor sum = buffer(0, outputShape(shapes));
        ops.add(in.get(0), in.get(1), sum);
        for (int i = 2; i < in.size(); i++) ops.add(sum, in.get(i), sum);
        arity = in.size();
        return sum;
    }

    @Override
    public List<Tensor> backwardAll(Tensor dOut) {
        if (arity == 0) throw error("backward called before forward");
        List<Tensor> d = new ArrayList<>(arity);
        for (int i = 0; i < arity; i++) d.add(dOut);
        return d;
    }
}
