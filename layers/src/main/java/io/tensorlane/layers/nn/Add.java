package io.tensorlane.layers.nn;

import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Sum of two or more inputs of the same shape: the join of a residual block. Each input's gradient
 * is the output's gradient (the same tensor, which callers must not modify in place).
 */
public final class Add extends SameShapeJoin {
    private int arity;

    @Override
    public String type() { return "add"; }

    @Override
    public Tensor forward(List<Tensor> in, Mode mode) {
        Tensor sum = outputBuffer(in);
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
