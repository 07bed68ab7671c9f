package io.tensorlane.layers.nn;

import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.ConvGeometry;
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
 * 2-D convolution (cross-correlation, NCHW): x (N, C, H, W) to (N, F, Ho, Wo) with weight
 * (F, C/groups, kh, kw) and bias (F), stride, zero padding, dilation and groups as in
 * {@link Conv2dDesc}; {@code Ho = floor((H + 2p - d(kh-1) - 1)/s) + 1}.
 */
public final class Conv2d extends AbstractLayer {
    /**
     * Net-file options: {@code out} (F, required), {@code kernel} (required), {@code stride} (1),
     * {@code pad} (0), {@code dilation} (1) (each an integer or [h, w]), {@code groups} (1),
     * {@code bias} (true), {@code init} (he_normal).
     */
    public static final List<String> OPTIONS = List.of("out", "kernel", "stride", "pad", "dilation", "groups", "bias", "init");

    private final int in;
    private final int out;
    private final Conv2dDesc desc;
    private final Init init;
    private final Param weight;
    private final Param bias;
    private Tensor x;

    /**
     * @param in   input channels C
     * @param out  filters F
     * @param desc kernel size, stride, padding, dilation, groups (C and F divisible by groups)
     */
    public Conv2d(int in, int out, Conv2dDesc desc, boolean bias, Init init, RandomGenerator rng) {
        if (in < 1 || out < 1) throw new IllegalArgumentException("conv2d: in and out channels must be >= 1, got " + in + ", " + out);
        if (in % desc.groups() != 0 || out % desc.groups() != 0) {
            throw new IllegalArgumentException("conv2d: groups=" + desc.groups() + " must divide in=" + in + " and out=" + out);
        }
        this.in = in;
        this.out = out;
        this.desc = desc;
        this.init = init;
        int cg = in / desc.groups();
        long taps = (long) desc.kh() * desc.kw();
        this.weight = Param.zeros("weight", out, cg, desc.kh(), desc.kw());
        init.fill(weight.value(), cg * taps, out / desc.groups() * taps, rng);
        this.bias = bias ? Param.zeros("bias", out) : null;
    }

    /** A k x k convolution with stride 1, padding {@code pad}, bias and He-normal weights. */
    public Conv2d(int in, int out, int k, int pad, RandomGenerator rng) {
        this(in, out, Conv2dDesc.of(k).pad(pad), true, Init.HE_NORMAL, rng);
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static Conv2d create(LayerConfig c, List<long[]> shapes, RandomGenerator rng) {
        long[] s = shapes.get(0);
        if (s.length != 4) throw c.error("input must be (N, C, H, W), got " + Arrays.toString(s));
        int[] k = ConvOptions.requiredPair(c, "kernel", 1);
        int[] st = ConvOptions.pair(c, "stride", 1, 1), p = ConvOptions.pair(c, "pad", 0, 0), dl = ConvOptions.pair(c, "dilation", 1, 1);
        Conv2dDesc d = new Conv2dDesc(k[0], k[1], st[0], st[1], p[0], p[1], dl[0], dl[1], c.getInt("groups", 1, 1));
        Init init = ConvOptions.init(c, "he_normal");
        if (s[1] > Integer.MAX_VALUE) throw c.error("input has " + s[1] + " channels");
        try {
            return new Conv2d((int) s[1], c.getPositiveInt("out"), d, c.getBool("bias", true), init, rng);
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith("$")) throw e;
            throw c.error(e.getMessage());
        }
    }

    @Override
    public String type() { return "conv2d"; }

    public Conv2dDesc desc() { return desc; }

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
        ConvGeometry g = desc.forward(s, weight.value().shape());
        return new long[] {s[0], out, g.ho(), g.wo()};
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        Tensor y = buffer(0, outputShape(x.shape()));
        ops.conv2d(x, weight.value(), bias == null ? null : bias.value(), desc, y);
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
        // The Ops backward overwrites dw/db: compute into scratch, then accumulate (Caffe-style grads).
        Tensor dx = inputGradient ? buffer(1, x.shape()) : null;
        Tensor dw = buffer(2, weight.value().shape());
        Tensor db = bias == null ? null : buffer(3, out);
        ops.conv2dBackward(x, weight.value(), dOut, desc, dx, dw, db);
        ops.axpy(1f, dw, weight.grad());
        if (bias != null) ops.axpy(1f, db, bias.grad());
        return dx;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("out", out);
        m.put("kernel", ConvOptions.pair(desc.kh(), desc.kw()));
        if (desc.strideH() != 1 || desc.strideW() != 1) m.put("stride", ConvOptions.pair(desc.strideH(), desc.strideW()));
        if (desc.padH() != 0 || desc.padW() != 0) m.put("pad", ConvOptions.pair(desc.padH(), desc.padW()));
        if (desc.dilationH() != 1 || desc.dilationW() != 1) m.put("dilation", ConvOptions.pair(desc.dilationH(), desc.dilationW()));
        if (desc.groups() != 1) m.put("groups", desc.groups());
        if (bias == null) m.put("bias", false);
        if (init != Init.HE_NORMAL) m.put("init", init.id());
        return m;
    }
}
