package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.Tensor;

/** max(x, 0), any shape. */
public final class ReLU extends AbstractLayer {
    private Tensor x;

    @Override
    public String type() { return "relu"; }

    @Override
    public long[] outputShape(long[] in) { return in.clone(); }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        x = in;
        Tensor y = buffer(0, in.shape());
        ops.relu(in, y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(x);
        Tensor dx = buffer(1, x.shape());
        ops.reluBackward(x, dOut, dx);
        return dx;
    }
}
