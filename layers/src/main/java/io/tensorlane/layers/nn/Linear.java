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
 * Fully connected (affine) layer: x (N, d1..dk) is read as (N, D), D = d1*...*dk;
 * out (N, M) = x W + b with weight W (D, M) and bias b (M).
 */
public final class Linear extends AbstractLayer {
    /** Net-file options: {@code out} (M, required), {@code bias} (default true), {@code init} (default xavier_uniform). */
    public static final List<String> OPTIONS = List.of("out", "bias", "init");

    private final int in;
    private final int out;
    private final Init init;
    private final Param weight;
    private final Param bias; // null without bias
    private Tensor x;         // the last input
    private long[] inShape;

    /** A layer D -> M with Xavier-uniform weights from {@code rng} and a zero bias. */
    public Linear(int in, int out, RandomGenerator rng) {
        this(in, out, true, Init.XAVIER_UNIFORM, rng);
    }

    public Linear(int in, int out, boolean bias, Init init, RandomGenerator rng) {
        if (in < 1 || out < 1) throw new IllegalArgumentException("linear: in and out must be >= 1, got " + in + ", " + out);
        this.in = in;
        this.out = out;
        this.init = init;
        this.weight = Param.zeros("weight", in, out);
        init.fill(weight.value(), in, out, rng);
        this.bias = bias ? Param.zeros("bias", out) : null;
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static Linear create(LayerConfig c, List<long[]> shapes, RandomGenerator rng) {
        long d = features(shapes.get(0));
        if (d > Integer.MAX_VALUE) throw c.error("input has " + d + " features, more than " + Integer.MAX_VALUE);
        Init init;
        try {
            init = Init.parse(c.getString("init", "xavier_uniform"));
        } catch (IllegalArgumentException e) {
            throw c.error("init", e.getMessage());
        }
        return new Linear((int) d, c.getPositiveInt("out"), c.getBool("bias", true), init, rng);
    }

    private static long features(long[] shape) {
        long d = 1;
        for (int i = 1; i < shape.length; i++) d = Math.multiplyExact(d, shape[i]);
        return d;
    }

    @Override
    public String type() { return "linear"; }

    public Param weight() { return weight; }

    /** The bias, or null when built without one. */
    public Param bias() { return bias; }

    @Override
    public List<Param> params() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }

    @Override
    public long[] outputShape(long[] s) {
        if (s.length < 2 || features(s) != in) {
            throw error("input " + Arrays.toString(s) + " must be (N, ...) with " + in + " features per sample");
        }
        return new long[] {s[0], out};
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        long[] outShape = outputShape(x.shape());
        inShape = x.shape();
        this.x = x;
        Tensor y = buffer(0, outShape);
        ops.affine(x, weight.value(), bias == null ? null : bias.value(), y);
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(x);
        long n = inShape[0];
        if (!Arrays.equals(dOut.shape(), new long[] {n, out})) {
            throw error("dOut has shape " + Arrays.toString(dOut.shape()) + " but the output was [" + n + ", " + out + "]");
        }
        // affineBackward overwrites dw/db: compute into scratch, then accumulate (Caffe-style grads).
        Tensor dx = inputGradient ? buffer(1, inShape) : null;
        Tensor dw = buffer(2, in, out);
        Tensor db = bias == null ? null : buffer(3, out);
        ops.affineBackward(x, weight.value(), dOut, dx, dw, db);
        ops.axpy(1f, dw, weight.grad());
        if (bias != null) ops.axpy(1f, db, bias.grad());
        return dx;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("out", out);
        if (bias == null) m.put("bias", false);
        if (init != Init.XAVIER_UNIFORM) m.put("init", init.id());
        return m;
    }
}
