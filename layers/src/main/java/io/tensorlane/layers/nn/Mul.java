package io.tensorlane.layers.nn;

import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Elementwise product of two or more inputs of the same shape (gates, attention masks, the course's
 * staged-backprop examples). The gradient of input i is dOut times the product of the others; the
 * same node may feed several inputs ({@code inputs: ["h", "h"]} squares h; a graph sums the two
 * gradients).
 */
public final class Mul extends SameShapeJoin {
    private List<Tensor> in;

    @Override
    public String type() { return "mul"; }

    @Override
    public Tensor forward(List<Tensor> in, Mode mode) {
        Tensor out = outputBuffer(in);
        ops.mul(in.get(0), in.get(1), out);
        for (int i = 2; i < in.size(); i++) ops.mul(out, in.get(i), out);
        this.in = List.copyOf(in);
        return out;
    }

    @Override
    public List<Tensor> backwardAll(Tensor dOut) {
        requireForward(in);
        long[] s = in.get(0).shape();
        if (!Arrays.equals(dOut.shape(), s)) {
            throw error("dOut has shape " + Arrays.toString(dOut.shape()) + " but the output was " + Arrays.toString(s));
        }
        List<Tensor> d = new ArrayList<>(in.size());
        for (int i = 0; i < in.size(); i++) {
            // Products of the others, not out / x_i: exact, and no division by zero.
            Tensor g = buffer(1 + i, s);
            ops.copy(dOut, g);
            for (int j = 0; j < in.size(); j++) if (j != i) ops.mul(g, in.get(j), g);
            d.add(g);
        }
        return d;
    }
}
