package io.tensorlane.layers.nn;

import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.kernels.ConvTranspose2dDesc;
import io.tensorlane.layers.Init;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Transposed 2-D convolution (learned upsampling, PyTorch's ConvTranspose2d): x (N, Cin, H, W) to
 * (N, Cout, Ho, Wo), {@code Ho = (H-1)s - 2p + d(kh-1) + outputPadding + 1}, weight
 * (Cin, Cout/groups, kh, kw), bias (Cout).
 */
public final class ConvTranspose2d extends ConvLayer {
    /**
     * Net-file options: {@code out} (Cout, required), {@code kernel} (required), {@code stride} (1),
     * {@code pad} (0), {@code dilation} (1), {@code output_padding} (0) (each an integer or [h, w]),
     * {@code groups} (1), {@code bias} (true), {@code init} (he_normal).
     */
    public static final List<String> OPTIONS = List.of("out", "kernel", "stride", "pad", "dilation", "output_padding", "groups",
            "bias", "init");

    private final ConvTranspose2dDesc desc;

    public ConvTranspose2d(int in, int out, ConvTranspose2dDesc desc, boolean bias, Init init, RandomGenerator rng) {
        // Each output sums (Cin/groups) * taps / stride^2 products on average; Cin/groups * taps is the usual fan-in.
        super("conv_transpose2d", in, out, desc.groups(), new long[] {in, out / Math.max(1, desc.groups()), desc.kh(), desc.kw()},
                (long) in / Math.max(1, desc.groups()) * desc.kh() * desc.kw(),
                (long) out / Math.max(1, desc.groups()) * desc.kh() * desc.kw(), bias, init, rng);
        if (desc.outPadH() >= desc.strideH() || desc.outPadW() >= desc.strideW()) {
            throw new IllegalArgumentException("conv_transpose2d: output padding " + desc.outPadH() + "x" + desc.outPadW()
                    + " must be smaller than the stride " + desc.strideH() + "x" + desc.strideW());
        }
        this.desc = desc;
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

    @Override
    long[] outputSize(long[] s) {
        ConvGeometry g = desc.forward(s, weight.value().shape());
        return new long[] {g.h(), g.w()};
    }

    @Override
    void forwardInto(Tensor x, Tensor w, Tensor b, Tensor y) {
        ops.convTranspose2d(x, w, b, desc, y);
    }

    @Override
    void backwardInto(Tensor x, Tensor w, Tensor dOut, Tensor dx, Tensor dw, Tensor db) {
        ops.convTranspose2dBackward(x, w, dOut, desc, dx, dw, db);
    }

    @Override
    Geometry geometry() {
        return new Geometry(desc.kh(), desc.kw(), desc.strideH(), desc.strideW(), desc.padH(), desc.padW(),
                desc.dilationH(), desc.dilationW(), desc.groups());
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = super.config();
        if (desc.outPadH() != 0 || desc.outPadW() != 0) m.put("output_padding", ConvOptions.pair(desc.outPadH(), desc.outPadW()));
        return m;
    }
}
