package io.tensorlane.layers.nn;

import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.kernels.ConvTranspose2dDesc;
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
 * Transposed 2-D convolution (learned upsampling, PyTorch's ConvTranspose2d): x (N, Cin, H, W) to
 * (N, Cout, Ho, Wo), {@code Ho = (H-1)s - 2p + d(kh-1) + outputPadding + 1}, weight
 * (Cin, Cout/groups, kh, kw), bias (Cout).
 */
public final class ConvTranspose2d extends AbstractLayer {
    /**
     * Net-file options: {@code out} (Cout, required), {@code kernel} (required), {@code stride} (1),
     * {@code pad} (0), {@code dilation} (1), {@code output_padding} (0) (each an integer or [h, w]),
     * {@code groups} (1), {@code bias} (true), {@code init} (he_normal).
     */
    public static final List<String> OPTIONS = List.of("out", "kernel", "stride", "pad", "dilation", "output_padding", "groups",
            "bias", "init");

    private final int in;
    private final int out;
    private final ConvTranspose2dDesc desc;
    private final Init init;
    private final Param weight;
    private final Param bias;
    private Tensor x;

    public ConvTranspose2d(int in, int out, ConvTranspose2dDesc desc, boolean bias, Init init, RandomGenerator rng) {
        if (in < 1 || out < 1) throw new IllegalArgumentException("conv_transpose2d: in and out channels must be >= 1, got " + in + ", " + out);
        if (in % desc.groups() != 0 || out % desc.groups() != 0) {
            throw new IllegalArgumentException("conv_transpose2d: groups=" + desc.groups() + " must divide in=" + in + " and out=" + out);
        }
        if (desc.outPadH() >= desc.strideH() || desc.outPadW() >= desc.strideW()) {
            throw new IllegalArgumentException("conv_transpose2d: output padding " + desc.outPadH() + "x" + desc.outPadW()
                    + " must be smaller than the stride " + desc.strideH() + "x" + desc.strideW());
        }
        this.in = in;
        this.out = out;
        this.desc = desc;
        this.init = init;
        int og = out / desc.groups();
        long taps = (long) desc.kh() * desc.kw();
        this.weight = Param.zeros("weight", in, og, desc.kh(), desc.kw());
        // Each output sums (Cin/groups) * taps / stride^2 products on average; Cin/groups * taps is the usual fan-in.
        init.fill(weight.value(), in / desc.groups() * taps, og * taps, rng);
        this.bias = bias ? Param.zeros("bias", out) : null;
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static ConvTranspose2d create(LayerConfig c, List<long[]> shapes, RandomGenerator rng) {
        long[] s = shapes.get(0);
        if (s.length != 4) throw c.error("input must be (N, C, H, W), got " + Arrays.toString(s));
        int[] k = ConvOptions.requiredPair(c, "kernel", 1);
        int[] st = ConvOptions.pair(c, "stride", 1, 1), p = ConvOptions.pair(c, "pad", 0, 0), dl = ConvOptions.pair(c, "dilation", 1, 1);
        int[] op = ConvOptions.pair(c, "output_padding", 0, 0);
        if (op[0] >= st[0] || op[1] >= st[1]) throw c.error("output_padding", "must be smaller than the stride");
        ConvTranspose2dDesc d = new ConvTranspose2dDesc(k[0], k[1], st[0], st[1], p[0], p[1], dl[0], dl[1], c.getInt("groups", 1, 1),
                op[0], op[1]);
        Init init = ConvOptions.init(c, "he_normal");
        if (s[1] > Integer.MAX_VALUE) throw c.error("input has " + s[1] + " channels");
        try {
            return new ConvTranspose2d((int) s[1], c.getPositiveInt("out"), d, c.getBool("bias", true), init, rng);
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith("$")) throw e;
            throw c.error(e.getMessage());
        }
    }

    @Override
    public String type() { return "conv_transpose2d"; }

    public ConvTranspose2dDesc desc() { return desc; }

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
        return new long[] {s[0], out, g.h(), g.w()};
    }

    @Override
    public Tensor forward(Tensor x, Mode mode) {
        Tensor y = buffer(0, outputShape(x.shape()));
        ops.convTranspose2d(x, weight.value(), bias == null ? null : bias.value(), desc, y);
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
        ops.convTranspose2dBackward(x, weight.value(), dOut, desc, dx, dw, db);
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
        if (desc.outPadH() != 0 || desc.outPadW() != 0) m.put("output_padding", ConvOptions.pair(desc.outPadH(), desc.outPadW()));
        if (desc.groups() != 1) m.put("groups", desc.groups());
        if (bias == null) m.put("bias", false);
        if (init != Init.HE_NORMAL) m.put("init", init.id());
        return m;
    }
}
