package io.tensorlane.kernels;

import java.util.Arrays;

/**
 * The hyper-parameters of a 2-D convolution (cross-correlation, NCHW; the kernel is not flipped):
 * kernel size, stride, symmetric zero padding, dilation and groups. Input sizes come from the tensors:
 * {@link #forward(long[], long[])} validates x (N, C, H, W) against w (F, C/groups, kh, kw) and resolves
 * the output size
 * <pre>Ho = floor((H + 2*padH - dilationH*(kh-1) - 1) / strideH) + 1</pre>
 * (likewise Wo; rows and columns left over at the bottom/right are ignored, as in PyTorch).
 *
 * <pre>{@code Conv2dDesc d = Conv2dDesc.of(3, 3).stride(2).pad(1).groups(4);}</pre>
 * Immutable: each wither returns a copy. A 1-D convolution is H = 1 with kh = 1.
 */
public record Conv2dDesc(int kh, int kw, int strideH, int strideW, int padH, int padW,
                         int dilationH, int dilationW, int groups) {
    public Conv2dDesc {
        check("kh", kh, 1);
        check("kw", kw, 1);
        check("strideH", strideH, 1);
        check("strideW", strideW, 1);
        check("padH", padH, 0);
        check("padW", padW, 0);
        check("dilationH", dilationH, 1);
        check("dilationW", dilationW, 1);
        check("groups", groups, 1);
    }

    static void check(String name, int v, int min) {
        if (v < min) throw new IllegalArgumentException("Conv2dDesc: " + name + " must be >= " + min + ", got " + v);
    }

    /** A kh x kw kernel, stride 1, no padding, no dilation, one group. */
    public static Conv2dDesc of(int kh, int kw) {
        return new Conv2dDesc(kh, kw, 1, 1, 0, 0, 1, 1, 1);
    }

    /** A square k x k kernel, stride 1, no padding, no dilation, one group. */
    public static Conv2dDesc of(int k) {
        return of(k, k);
    }

    public Conv2dDesc stride(int s) {
        return stride(s, s);
    }

    public Conv2dDesc stride(int sh, int sw) {
        return new Conv2dDesc(kh, kw, sh, sw, padH, padW, dilationH, dilationW, groups);
    }

    public Conv2dDesc pad(int p) {
        return pad(p, p);
    }

    public Conv2dDesc pad(int ph, int pw) {
        return new Conv2dDesc(kh, kw, strideH, strideW, ph, pw, dilationH, dilationW, groups);
    }

    public Conv2dDesc dilation(int d) {
        return dilation(d, d);
    }

    public Conv2dDesc dilation(int dh, int dw) {
        return new Conv2dDesc(kh, kw, strideH, strideW, padH, padW, dh, dw, groups);
    }

    public Conv2dDesc groups(int g) {
        return new Conv2dDesc(kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, g);
    }

    /** Output height for an input of height h; 0 when the (dilated) kernel does not fit the padded input. */
    public long outH(long h) {
        return ConvGeometry.outSize(h, kh, strideH, padH, dilationH);
    }

    /** Output width for an input of width w; 0 when the (dilated) kernel does not fit the padded input. */
    public long outW(long w) {
        return ConvGeometry.outSize(w, kw, strideW, padW, dilationW);
    }

    /**
     * Validates conv2d's x (N, C, H, W) and w (F, C/groups, kh, kw) against this descriptor and returns the
     * resolved geometry.
     *
     * @throws IllegalArgumentException naming "conv2d", the argument and both shapes
     */
    public ConvGeometry forward(long[] xShape, long[] wShape) {
        return forward("conv2d", xShape, wShape);
    }

    ConvGeometry forward(String op, long[] xShape, long[] wShape) {
        String both = " (x=" + str(xShape) + ", w=" + str(wShape) + ")";
        rank4(op, "x", "(N,C,H,W)", xShape);
        rank4(op, "w", "(F,C/groups,kh,kw)", wShape);
        long n = xShape[0], c = xShape[1], h = xShape[2], w = xShape[3];
        long f = wShape[0];
        if (wShape[2] != kh || wShape[3] != kw) {
            throw new IllegalArgumentException(op + ": w has a " + wShape[2] + "x" + wShape[3] + " kernel but the descriptor says "
                    + kh + "x" + kw + both);
        }
        if (c % groups != 0) {
            throw new IllegalArgumentException(op + ": groups=" + groups + " does not divide the " + c + " channels of x" + both);
        }
        if (f % groups != 0) {
            throw new IllegalArgumentException(op + ": groups=" + groups + " does not divide the " + f + " filters of w" + both);
        }
        if (wShape[1] * groups != c) {
            throw new IllegalArgumentException(op + ": x has " + c + " channels but w expects " + wShape[1] * groups
                    + (groups > 1 ? " (" + wShape[1] + " per group x " + groups + " groups)" : "") + both);
        }
        if (c == 0 || h == 0 || w == 0 || f == 0) {
            throw new IllegalArgumentException(op + ": x and w need non-empty channel, filter and spatial dims" + both);
        }
        return resolve(op, n, c, h, w, f, both);
    }

    /**
     * The geometry of im2col/col2im on images of c x h x w (groups ignored; f = 1).
     *
     * @throws IllegalArgumentException naming {@code op} when the kernel does not fit the padded input
     */
    public ConvGeometry columns(String op, long c, long h, long w) {
        String shape = " (x=" + str(new long[] {c, h, w}) + ")";
        if (c <= 0 || h <= 0 || w <= 0) {
            throw new IllegalArgumentException(op + ": image dims must be > 0" + shape);
        }
        return new Conv2dDesc(kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, 1)
                .resolve(op, 1, c, h, w, 1, shape);
    }

    private ConvGeometry resolve(String op, long n, long c, long h, long w, long f, String shapes) {
        long ho = outH(h), wo = outW(w);
        if (ho == 0 || wo == 0) {
            long eh = (long) dilationH * (kh - 1) + 1, ew = (long) dilationW * (kw - 1) + 1;
            throw new IllegalArgumentException(op + ": kernel " + kh + "x" + kw
                    + (dilationH > 1 || dilationW > 1 ? " (dilated to " + eh + "x" + ew + ")" : "")
                    + " is larger than the padded input " + (h + 2L * padH) + "x" + (w + 2L * padW) + shapes);
        }
        try {
            return new ConvGeometry(n, c, h, w, f, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, groups, ho, wo);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": " + e.getMessage() + shapes, e);
        }
    }

    static void rank4(String op, String arg, String layout, long[] shape) {
        if (shape == null) throw new IllegalArgumentException(op + ": " + arg + " shape is null");
        if (shape.length != 4) {
            throw new IllegalArgumentException(op + ": " + arg + " must be 4-D " + layout + ", got " + arg + "=" + str(shape));
        }
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException(op + ": " + arg + " has a negative dim " + str(shape));
        }
    }

    /** [8,3,32,32] */
    static String str(long[] shape) {
        return Arrays.toString(shape).replace(" ", "");
    }
}
