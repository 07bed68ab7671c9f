package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.Init;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.Mode;
import io.tensorlane.layers.Param;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * What {@link RNN} and {@link LSTM} share: a sequence x (N, T, D) in, the hidden states (N, T, H) out
 * (or only the last one, (N, H), with {@code return_sequences: false}); zero initial state; weights
 * Wx (D, G*H), Wh (H, G*H) and bias b (G*H) with G gates (1 for RNN, 4 for LSTM, order i|f|o|g).
 */
public abstract sealed class Recurrent extends AbstractLayer permits RNN, LSTM {
    /** Net-file options: {@code hidden} (H, required), {@code return_sequences} (default true). */
    public static final List<String> OPTIONS = List.of("hidden", "return_sequences");

    final int in;
    final int hidden;
    final boolean sequences;
    final Param wx;
    final Param wh;
    final Param b;
    Tensor x;

    Recurrent(int in, int hidden, boolean sequences, int gates, RandomGenerator rng) {
        if (in < 1 || hidden < 1) throw new IllegalArgumentException(type() + ": input size and hidden size must be >= 1, got " + in + ", " + hidden);
        this.in = in;
        this.hidden = hidden;
        this.sequences = sequences;
        int g = Math.multiplyExact(gates, hidden);
        this.wx = Param.zeros("wx", in, g);
        this.wh = Param.zeros("wh", hidden, g);
        this.b = Param.zeros("b", g);
        Init.XAVIER_UNIFORM.fill(wx.value(), in, hidden, rng);
        Init.XAVIER_UNIFORM.fill(wh.value(), hidden, hidden, rng);
    }

    static int inputSize(LayerConfig c, long[] s) {
        if (s.length != 3) throw c.error("input must be a sequence (N, T, D), got " + Arrays.toString(s));
        if (s[2] > Integer.MAX_VALUE) throw c.error("input has " + s[2] + " features");
        return (int) s[2];
    }

    public int hidden() { return hidden; }

    /** True when the output is every step's hidden state (N, T, H), false for the last only (N, H). */
    public boolean returnSequences() { return sequences; }

    public Param wx() { return wx; }

    public Param wh() { return wh; }

    public Param b() { return b; }

    @Override
    public List<Param> params() { return List.of(wx, wh, b); }

    @Override
    public long[] outputShape(long[] s) {
        if (s.length != 3 || s[2] != in) throw error("input must be (N, T, " + in + "), got " + Arrays.toString(s));
        if (s[1] < 1) throw error("sequence length must be >= 1, got " + Arrays.toString(s));
        return sequences ? new long[] {s[0], s[1], hidden} : new long[] {s[0], hidden};
    }

    /** Runs the sequence; returns h (N, T, H). */
    abstract Tensor run(Tensor x, Tensor h0);

    /** Back through time from dh (N, T, H) into dx and dh0 (overwritten), accumulating the weight gradients. */
    abstract void runBackward(Tensor x, Tensor h0, Tensor dh, Tensor dx, Tensor dh0);

    /** Slots 0..2 are the subclasses' forward buffers. */
    static final int H0 = 3, DH = 4, DX = 5, DH0 = 6, LAST = 7;

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        outputShape(in.shape());
        long n = in.dim(0), t = in.dim(1);
        Tensor h0 = buffer(H0, n, hidden);
        ops.fill(h0, 0f);
        Tensor h = run(in, h0);
        this.x = in;
        if (sequences) return h;
        Tensor last = buffer(LAST, n, hidden);
        ops.copy(h.slice(1, t - 1, t), last.reshape(n, 1, hidden));
        return last;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(x);
        long[] want = outputShape(x.shape());
        if (!Arrays.equals(dOut.shape(), want)) {
            throw error("dOut has shape " + Arrays.toString(dOut.shape()) + " but the output was " + Arrays.toString(want));
        }
        long n = x.dim(0), t = x.dim(1);
        Tensor dh = dOut;
        if (!sequences) {
            // Only the last step was output: the earlier ones get gradient through the recurrence alone.
            dh = buffer(DH, n, t, hidden);
            ops.fill(dh, 0f);
            Tensor d = dOut.contiguous();
            for (long i = 0; i < n; i++) ops.copy(d.slice(0, i, i + 1).reshape(1, 1, hidden), dh.slice(0, i, i + 1).slice(1, t - 1, t));
        }
        Tensor dx = buffer(DX, x.shape());
        runBackward(x, buffer(H0, n, hidden), dh, dx, buffer(DH0, n, hidden));
        return dx;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hidden", hidden);
        if (!sequences) m.put("return_sequences", false);
        return m;
    }
}
