package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;

/** tanh(x), any shape; backward uses the output. */
public final class Tanh extends AbstractLayer {
    private Tensor y;

    @Override
    public String type() { return "tanh"; }

    @Override
    public long[] outputShape(long[] in) { return in.clone(); }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        y = ops.tanh(in);
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(y);
        return ops.tanhBackward(y, dOut);
    }
}
