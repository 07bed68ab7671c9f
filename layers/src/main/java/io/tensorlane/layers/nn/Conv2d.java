package io.tensorlane.layers.nn;

import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.ConvGeometry;
import io.tensorlane.layers.Init;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * 2-D convolution (cross-correlation, NCHW): x (N, C, H, W) to (N, F, Ho, Wo) with weight
 * (F, C/groups, kh, kw) and bias (F), stride, zero padding, dilation and groups as in
 * {@link Conv2dDesc}; {@code Ho = floor((H + 2p - d(kh-1) - 1)/s) + 1}.
 */
public final class Conv2d extends ConvLayer {
    /**
     * Net-file options: {@code out} (F, required), {@code kernel} (required), {@code stride} (1),
     * {@code pad} (0), {@code dilation} (1) (each an integer or [h, w]), {@code groups} (1),
     * {@code bias} (true), {@code init} (he_normal).
     */
    public static final List<String> OPTIONS = List.of("out", "kernel", "stride", "pad", "dilation", "groups", "bias", "init");

    private final Conv2dDesc desc;

    /**
     * @param in   input channels C
     * @param out  filters F
     * @param desc kernel size, stride, padding, dilation, groups (C and F divisible by groups)
     */
    public Conv2d(int in, int out, Conv2dDesc desc, boolean bias, Init init, RandomGenerator rng) {
        super("conv2d", in, out, desc.groups(), new long[] {out, in / Math.max(1, desc.groups()), desc.kh(), desc.kw()},
                (long) in / Math.max(1, desc.groups()) * desc.kh() * desc.kw(),
                (long) out / Math.max(1, desc.groups()) * desc.kh() * desc.kw(), bias, init, rng);
        this.desc = desc;
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

    @Override
    long[] outputSize(long[] s) {
        ConvGeometry g = desc.forward(s, weight.value().shape());
        return new long[] {g.ho(), g.wo()};
    }

    @Override
    void forwardInto(Tensor x, Tensor w, Tensor b, Tensor y) {
        ops.conv2d(x, w, b, desc, y);
    }

    @Override
    void backwardInto(Tensor x, Tensor w, Tensor dOut, Tensor dx, Tensor dw, Tensor db) {
        ops.conv2dBackward(x, w, dOut, desc, dx, dw, db);
    }

    @Override
    Geometry geometry() {
        return new Geometry(desc.kh(), desc.kw(), desc.strideH(), desc.strideW(), desc.padH(), desc.padW(),
                desc.dilationH(), desc.dilationW(), desc.groups());
    }
}
