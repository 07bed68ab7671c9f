package io.tensorlane.layers.nn;

import io.tensorlane.layers.LayerConfig;
import io.tensorlane.runtime.LstmOutput;
import io.tensorlane.runtime.Tensor;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * LSTM over a sequence (gates i|f|o|g, zero initial h and c): x (N, T, D) to the hidden states
 * (N, T, H) (or (N, H), the last step). Xavier-uniform weights; the forget gate's bias starts at 1
 * (Jozefowicz et al. 2015) so that early training keeps the cell state, the others at 0.
 */
public final class LSTM extends Recurrent {
    private LstmOutput fwd;

    public LSTM(int in, int hidden, boolean returnSequences, RandomGenerator rng) {
        super(in, hidden, returnSequences, 4, rng);
        for (int j = hidden; j < 2 * hidden; j++) b.value().setFloat(1f, j);
    }

    /** Builds it from net-file options (see {@link Recurrent#OPTIONS}). */
    public static LSTM create(LayerConfig c, List<long[]> shapes, RandomGenerator rng) {
        return new LSTM(inputSize(c, shapes.get(0)), c.getPositiveInt("hidden"), c.getBool("return_sequences", true), rng);
    }

    @Override
    public String type() { return "lstm"; }

    @Override
    Tensor run(Tensor x, Tensor h0) {
        long n = x.dim(0), t = x.dim(1);
        Tensor h = buffer(0, n, t, hidden), c = buffer(1, n, t, hidden), gates = buffer(2, n, t, 4L * hidden);
        ops.lstmSeq(x, h0, null, wx.value(), wh.value(), b.value(), h, c, gates);
        fwd = new LstmOutput(h, c, gates);
        return h;
    }

    @Override
    void runBackward(Tensor x, Tensor h0, Tensor dh, Tensor dx, Tensor dh0) {
        // The Ops out-form accumulates into the weight gradients (Caffe-style), as Param.grad wants.
        ops.lstmSeqBackward(x, h0, null, wx.value(), wh.value(), fwd, dh, null, dx, dh0, null, wx.grad(), wh.grad(), b.grad());
    }
}
