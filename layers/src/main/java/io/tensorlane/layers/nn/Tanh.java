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
        y = buffer(0, in.shape());
        ops.tanh(in, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(y);
        Tensor dx = buffer(1, y.shape());
        ops.tanhBackward(y, dOut, dx);
        return dx;
    }
}
