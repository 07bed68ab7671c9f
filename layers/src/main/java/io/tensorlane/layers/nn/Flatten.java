package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;

/** (N, d1, ..., dk) to (N, d1*...*dk); a view when the input is contiguous. */
public final class Flatten extends AbstractLayer {
    private long[] inShape;

    @Override
    public String type() { return "flatten"; }

    @Override
    public long[] outputShape(long[] in) {
        if (in.length < 1) throw error("input must have a batch dim, got a scalar");
        long d = 1;
        for (int i = 1; i < in.length; i++) d = Math.multiplyExact(d, in[i]);
        return new long[] {in[0], d};
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
}
