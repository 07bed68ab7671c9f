package io.tensorlane.layers.nn;

import io.tensorlane.layers.LayerConfig;
import io.tensorlane.runtime.Tensor;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Vanilla tanh RNN over a sequence: {@code h_t = tanh(x_t Wx + h_{t-1} Wh + b)}, h_0 = 0; x (N, T, D)
 * to (N, T, H) (or (N, H), the last step). Xavier-uniform weights, zero bias.
 */
public final class RNN extends Recurrent {
    private Tensor h;

    public RNN(int in, int hidden, boolean returnSequences, RandomGenerator rng) {
        super(in, hidden, returnSequences, 1, rng);
    }

    /** Builds it from net-file options (see {@link Recurrent#OPTIONS}). */
    public static RNN create(LayerConfig c, List<long[]> shapes, RandomGenerator rng) {
        return new RNN(inputSize(c, shapes.get(0)), c.getPositiveInt("hidden"), c.getBool("return_sequences", true), rng);
    }

    @Override
    public String type() { return "rnn"; }

    @Override
    Tensor run(Tensor x, Tensor h0) {
        h = buffer(0, x.dim(0), x.dim(1), hidden);
        ops.rnnSeq(x, h0, wx.value(), wh.value(), b.value(), h);
        return h;
    }

    @Override
    void runBackward(Tensor x, Tensor h0, Tensor dh, Tensor dx, Tensor dh0) {
        // The Ops out-form accumulates into the weight gradients (Caffe-style), as Param.grad wants.
        ops.rnnSeqBackward(x, h0, wx.value(), wh.value(), h, dh, dx, dh0, wx.grad(), wh.grad(), b.grad());
    }
}
