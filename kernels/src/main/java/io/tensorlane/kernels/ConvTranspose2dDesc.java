package io.tensorlane.kernels;

/**
 * The hyper-parameters of a 2-D transposed convolution ("deconvolution", the gradient of conv2d with
 * respect to its input), PyTorch's ConvTranspose2d semantics: x (N, Cin, H, W), w (Cin, Cout/groups, kh, kw),
 * output (N, Cout, Ho, Wo) with
 * <pre>Ho = (H - 1)*strideH - 2*padH + dilationH*(kh - 1) + outPadH + 1</pre>
 * (likewise Wo). The output padding only adds rows/columns at the bottom/right and must be smaller than
 * the stride (rejected by {@link #forward}, so the withers may be called in any order).
 */
public record ConvTranspose2dDesc(int kh, int kw, int strideH, int strideW, int padH, int padW,
                                  int dilationH, int dilationW, int groups, int outPadH, int outPadW) {
    public ConvTranspose2dDesc {
        Conv2dDesc.check("kh", kh, 1);
        Conv2dDesc.check("kw", kw, 1);
        Conv2dDesc.check("strideH", strideH, 1);
        Conv2dDesc.check("strideW", strideW, 1);
        Conv2dDesc.check("padH", padH, 0);
        Conv2dDesc.check("padW", padW, 0);
        Conv2dDesc.check("dilationH", dilationH, 1);
        Conv2dDesc.check("dilationW", dilationW, 1);
        Conv2dDesc.check("groups", groups, 1);
        Conv2dDesc.check("outPadH", outPadH, 0);
        Conv2dDesc.check("outPadW", outPadW, 0);
    }

    public static ConvTranspose2dDesc of(int kh, int kw) {
        return new ConvTranspose2dDesc(kh, kw, 1, 1, 0, 0, 1, 1, 1, 0, 0);
    }

    public static ConvTranspose2dDesc of(int k) {
        return of(k, k);
    }

    public ConvTranspose2dDesc stride(int s) {
        return stride(s, s);
    }

    public ConvTranspose2dDesc stride(int sh, int sw) {
        return new ConvTranspose2dDesc(kh, kw, sh, sw, padH, padW, dilationH, dilationW, groups, outPadH, outPadW);
    }

    public ConvTranspose2dDesc pad(int p) {
        return pad(p, p);
    }

    public ConvTranspose2dDesc pad(int ph, int pw) {
        return new ConvTranspose2dDesc(kh, kw, strideH, strideW, ph, pw, dilationH, dilationW, groups, outPadH, outPadW);
    }

    public ConvTranspose2dDesc dilation(int d) {
        return dilation(d, d);
    }

    public ConvTranspose2dDesc dilation(int dh, int dw) {
        return new ConvTranspose2dDesc(kh, kw, strideH, strideW, padH, padW, dh, dw, groups, outPadH, outPadW);
    }

    public ConvTranspose2dDesc groups(int g) {
        return new ConvTranspose2dDesc(kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, g, outPadH, outPadW);
    }

    public ConvTranspose2dDesc outputPadding(int p) {
        return outputPadding(p, p);
    }

    public ConvTranspose2dDesc outputPadding(int ph, int pw) {
        return new ConvTranspose2dDesc(kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, groups, ph, pw);
    }

    /** The conv2d this is the input-gradient of (same kernel, stride, padding, dilation, groups). */
    public Conv2dDesc asConv() {
        return new Conv2dDesc(kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, groups);
    }

    /**
     * Validates x (N, Cin, H, W) and w (Cin, Cout/groups, kh, kw) and returns the geometry of the
     * <em>equivalent convolution</em>: its input is this op's output (n, Cout, Ho, Wo), its output this op's
     * input (ho = H, wo = W), its weights (F = Cin, Cout/groups, kh, kw) are w as stored. So this op's forward
     * is that conv's backward-data, its dx that conv's forward and its dw that conv's backward-weights with
     * the roles of x and dout swapped.
     *
     * @throws IllegalArgumentException naming "conv_transpose2d", the argument and both shapes
     */
    public ConvGeometry forward(long[] xShape, long[] wShape) {
        String op = "conv_transpose2d";
        String both = " (x=" + Conv2dDesc.str(xShape) + ", w=" + Conv2dDesc.str(wShape) + ")";
        Conv2dDesc.rank4(op, "x", "(N,Cin,H,W)", xShape);
        Conv2dDesc.rank4(op, "w", "(Cin,Cout/groups,kh,kw)", wShape);
        long n = xShape[0], cin = xShape[1], h = xShape[2], w = xShape[3];
        if (wShape[2] != kh || wShape[3] != kw) {
            throw new IllegalArgumentException(op + ": w has a " + wShape[2] + "x" + wShape[3] + " kernel but the descriptor says "
                    + kh + "x" + kw + both);
        }
        if (cin != wShape[0]) {
            throw new IllegalArgumentException(op + ": x has " + cin + " channels but w expects " + wShape[0] + both);
        }
        if (cin % groups != 0) {
            throw new IllegalArgumentException(op + ": groups=" + groups + " does not divide the " + cin + " channels of x" + both);
        }
        if (outPadH >= strideH || outPadW >= strideW) {
            throw new IllegalArgumentException(op + ": output padding " + outPadH + "x" + outPadW
                    + " must be smaller than the stride " + strideH + "x" + strideW + both);
        }
        if (cin == 0 || h == 0 || w == 0 || wShape[1] == 0) {
            throw new IllegalArgumentException(op + ": x and w need non-empty channel and spatial dims" + both);
        }
        long cout = Checks.multiply(op, "Cout", wShape[1], groups);
        long ho = outSize(op, h, strideH, padH, dilationH, kh, outPadH, both);
        long wo = outSize(op, w, strideW, padW, dilationW, kw, outPadW, both);
        try {
            return new ConvGeometry(n, cout, ho, wo, cin, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW,
                    groups, h, w);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(op + ": " + e.getMessage() + both, e);
        }
    }

    private static long outSize(String op, long in, int s, int p, int d, int k, int op2, String both) {
        long o;
        try {
            o = Math.addExact(Math.subtractExact(Math.multiplyExact(in - 1, (long) s), 2L * p), (long) d * (k - 1) + op2 + 1);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(op + ": output size overflows a long" + both);
        }
        if (o <= 0) {
            throw new IllegalArgumentException(op + ": padding " + p + " leaves no output (size " + o + ")" + both);
        }
        return o;
    }
}
