package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.Mode;
import io.tensorlane.layers.Param;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Batch normalization over the batch (and spatial) dims, per feature or channel:
 * {@code out = gamma * (x - mean) / sqrt(var + eps) + beta}. In {@link Mode#TRAIN} mean and var are
 * the batch's (biased var) and the running statistics move towards them,
 * {@code running = momentum * running + (1 - momentum) * batch} (momentum 0.9 keeps 90% of the old
 * value: PyTorch's {@code momentum=0.1}); in {@link Mode#EVAL} the running statistics are used and not
 * changed. The running statistics are {@link #state()} (saved with the parameters), not parameters.
 *
 * <p>Concrete layers: {@link BatchNorm1d} for (N, D), {@link BatchNorm2d} for (N, C, H, W).
 */
public abstract sealed class BatchNorm extends AbstractLayer permits BatchNorm1d, BatchNorm2d {
    /** Net-file options: {@code momentum} (0.9, in [0, 1]) and {@code eps} (1e-5, > 0). */
    public static final List<String> OPTIONS = List.of("momentum", "eps");

    private final int features;
    private final float momentum;
    private final float eps;
    private final Param gamma;
    private final Param beta;
    private final Tensor runningMean;
    private final Tensor runningVar;
    private Tensor x;
    private Mode mode;

    BatchNorm(int features, float momentum, float eps) {
        if (features < 1) throw new IllegalArgumentException(type() + ": features must be >= 1, got " + features);
        if (!(momentum >= 0 && momentum <= 1)) throw new IllegalArgumentException(type() + ": momentum must be in [0, 1], got " + momentum);
        if (!(eps > 0) || Float.isInfinite(eps)) throw new IllegalArgumentException(type() + ": eps must be > 0 and finite, got " + eps);
        this.features = features;
        this.momentum = momentum;
        this.eps = eps;
        this.gamma = Param.zeros("gamma", features);
        this.beta = Param.zeros("beta", features);
        this.runningMean = Tensor.allocate(java.lang.foreign.Arena.ofAuto(), io.tensorlane.runtime.DType.F32, features);
        this.runningVar = Tensor.allocate(java.lang.foreign.Arena.ofAuto(), io.tensorlane.runtime.DType.F32, features);
        for (int i = 0; i < features; i++) {
            gamma.value().setFloat(1f, i);
            runningVar.setFloat(1f, i);
        }
    }

    static float momentum(LayerConfig c) {
        float m = c.getFloat("momentum", 0.9f);
        if (m < 0 || m > 1) throw c.error("momentum", "must be in [0, 1] (the fraction of the running value kept), got " + m);
        return m;
    }

    static float eps(LayerConfig c) {
        float e = c.getFloat("eps", 1e-5f);
        if (!(e > 0)) throw c.error("eps", "must be > 0, got " + e);
        return e;
    }

    static int channels(LayerConfig c, long[] s, int rank, String layout) {
        if (s.length != rank) throw c.error("input must be " + layout + ", got " + Arrays.toString(s));
        if (s[1] > Integer.MAX_VALUE) throw c.error("input has " + s[1] + " features");
        return (int) s[1];
    }

    /** The input rank: 2 or 4. */
    abstract int rank();

    abstract String layout();

    public int features() { return features; }

    public float momentum() { return momentum; }

    public float eps() { return eps; }

    public Param gamma() { return gamma; }

    public Param beta() { return beta; }

    /** Running mean (C), updated in place by TRAIN forwards. */
    public Tensor runningMean() { return runningMean; }

    /** Running (biased) variance (C), updated in place by TRAIN forwards. */
    public Tensor runningVar() { return runningVar; }

    @Override
    public List<Param> params() { return List.of(gamma, beta); }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("running_mean", runningMean);
        m.put("running_var", runningVar);
        return m;
    }

    @Override
    public long[] outputShape(long[] s) {
        if (s.length != rank() || s[1] != features) {
            throw error("input must be " + layout() + " with " + features + " " + (rank() == 2 ? "features" : "channels")
                    + ", got " + Arrays.toString(s));
        }
        return s.clone();
    }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        long[] s = outputShape(in.shape());
        Tensor out = buffer(0, s);
        if (mode == Mode.TRAIN) {
            ops.batchNormTrain(in, gamma.value(), beta.value(), runningMean, runningVar, momentum, eps, out,
                    buffer(1, features), buffer(2, features));
        } else {
            ops.batchNormEval(in, gamma.value(), beta.value(), runningMean, runningVar, eps, out);
        }
        this.x = in;
        this.mode = mode;
        return out;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(x);
        if (!Arrays.equals(dOut.shape(), x.shape())) {
            throw error("dOut has shape " + Arrays.toString(dOut.shape()) + " but the output was " + Arrays.toString(x.shape()));
        }
        Tensor dx = buffer(3, x.shape()), dg = buffer(4, features), db = buffer(5, features);
        if (mode == Mode.TRAIN) {
            ops.batchNormBackward(x, dOut, gamma.value(), buffer(1, features), buffer(2, features), eps, dx, dg, db);
        } else {
            // Running statistics are constants of the EVAL forward.
            ops.batchNormEvalBackward(x, dOut, gamma.value(), runningMean, runningVar, eps, dx, dg, db);
        }
        ops.axpy(1f, dg, gamma.grad());
        ops.axpy(1f, db, beta.grad());
        return dx;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        if (momentum != 0.9f) m.put("momentum", momentum);
        if (eps != 1e-5f) m.put("eps", eps);
        return m;
    }
}
