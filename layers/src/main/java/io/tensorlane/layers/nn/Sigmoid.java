package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;

/** 1 / (1 + e^-x), any shape; backward uses the output. */
public final class Sigmoid extends AbstractLayer {
    private Tensor y;

    @Override
    public String type() { return "sigmoid"; }

    @Override
    public long[] outputShape(long[] in) { return in.clone(); }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        y = ops.sigmoid(in);
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(y);
        return ops.sigmoidBackward(y, dOut);
    }
}
