package io.tensorlane.layers.nn;

import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.Init;
import io.tensorlane.layers.Mode;
import io.tensorlane.layers.Param;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * What {@link Conv2d} and {@link ConvTranspose2d} share: a weight of four dims and an optional bias,
 * initialised from their fan-in/fan-out; forward through one Ops call into a reused buffer; backward
 * into scratch dw/db (the Ops backward overwrites them) that are then added to the parameter
 * gradients (Caffe-style accumulation); the net-file options they have in common.
 */
abstract sealed class ConvLayer extends AbstractLayer permits Conv2d, ConvTranspose2d {
    /** Kernel, stride, padding, dilation (each h, w) and groups: the descriptor fields both layers have. */
    record Geometry(int kh, int kw, int strideH, int strideW, int padH, int padW, int dilationH, int dilationW, int groups) { }

    protected final int in;
    protected final int out;
    protected final Init init;
    protected final Param weight;
    protected final Param bias;
    private Tensor x;

    /**
     * @param op          the layer's type, for messages
     * @param weightShape the weight's four dims
     * @param fanIn       products summed per output (for the initialiser)
     * @param fanOut      outputs each input reaches (for the initialiser)
     */
    ConvLayer(String op, int in, int out, int groups, long[] weightShape, long fanIn, long fanOut, boolean bias,
              Init init, RandomGenerator rng) {
        if (in < 1 || out < 1) throw new IllegalArgumentException(op + ": in and out channels must be >= 1, got " + in + ", " + out);
        if (in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException(op + ": groups=" + groups + " must divide in=" + in + " and out=" + out);
        }
        this.in = in;
        this.out = out;
        this.init = init;
        this.weight = Param.zeros("weight", weightShape);
        init.fill(weight.value(), fanIn, fanOut, rng);
        this.bias = bias ? Param.zeros("bias", out) : null;
    }

    /** The output's spatial size (h, w) for an input (N, C, H, W) already checked to be rank 4. */
    abstract long[] outputSize(long[] s);

    /** y = op(x, w, b) into the contiguous y. */
    abstract void forwardInto(Tensor x, Tensor w, Tensor b, Tensor y);

    /** The gradients into dx (null: not needed), dw, db (null without bias), overwriting them. */
    abstract void backwardInto(Tensor x, Tensor w, Tensor dOut, Tensor dx, Tensor dw, Tensor db);

    abstract Geometry geometry();

    public Param weight() { return weight; }

    /** The bias, or null when built without one. */
    public Param bias() { return bias; }

    @Override
    public List<Param> params() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }

    @Override
    public long[] outputShape(long[] s) {
        requireRank(s, 4, "(N, C, H, W)");
        long[] hw = outputSize(s);
        return new long[] {s[0], out, hw[0], hw[1]};
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        Tensor y = buffer(0, outputShape(x.shape()));
        forwardInto(x, weight.value(), bias == null ? null : bias.value(), y);
        this.x = x;
        return y;
    }

    @Override
    public Tensor backward(Tensor dOut) {
        requireForward(x);
        long[] want = outputShape(x.shape());
        if (!Arrays.equals(dOut.shape(), want)) {
            throw error("dOut has shape " + Arrays.toString(dOut.shape()) + " but the output was " + Arrays.toString(want));
        }
        Tensor dx = inputGradient ? buffer(1, x.shape()) : null;
        Tensor dw = buffer(2, weight.value().shape());
        Tensor db = bias == null ? null : buffer(3, out);
        backwardInto(x, weight.value(), dOut, dx, dw, db);
        ops.axpy(1f, dw, weight.grad());
        if (bias != null) ops.axpy(1f, db, bias.grad());
        return dx;
    }

    /** The shared options; a subclass adds its own after them. */
    @Override
    public Map<String, Object> config() {
        Geometry g = geometry();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("out", out);
        m.put("kernel", ConvOptions.pair(g.kh(), g.kw()));
        if (g.strideH() != 1 || g.strideW() != 1) m.put("stride", ConvOptions.pair(g.strideH(), g.strideW()));
        if (g.padH() != 0 || g.padW() != 0) m.put("pad", ConvOptions.pair(g.padH(), g.padW()));
        if (g.dilationH() != 1 || g.dilationW() != 1) m.put("dilation", ConvOptions.pair(g.dilationH(), g.dilationW()));
        if (g.groups() != 1) m.put("groups", g.groups());
        if (bias == null) m.put("bias", false);
        if (init != Init.HE_NORMAL) m.put("init", init.id());
        return m;
    }
}
