package io.tensorlane.kernels;

import java.util.Arrays;

/**
 * Geometry of a 2-D max or average pooling window over NCHW planes: kernel, stride and symmetric
 * zero padding, plus {@code countIncludePad} for average pooling (PyTorch's {@code count_include_pad}).
 * No dilation and no {@code ceil_mode}: the output size is {@code floor((H + 2*padH - kernelH) / strideH) + 1}
 * (same for W), so rows or columns left over at the bottom/right are ignored.
 *
 * <p>Padding follows PyTorch: padded positions are never selected by max pooling (as if -Infinity),
 * and the padding may be at most half the kernel ({@code pad <= kernel / 2}), so every window holds
 * at least one real element. Average pooling divides by {@code kernelH * kernelW} when
 * {@code countIncludePad} (the default, padded zeros count) and by the number of real elements in the
 * window otherwise. Without padding both agree (the golden corpus' rule: divisor kh*kw).
 *
 * <pre>{@code Pool2dDesc.of(2)                       // 2x2, stride 2
 * Pool2dDesc.of(3, 3).stride(2).pad(1)     // 3x3, stride 2, pad 1}</pre>
 */
public record Pool2dDesc(int kernelH, int kernelW, int strideH, int strideW, int padH, int padW,
                         boolean countIncludePad) {

    public Pool2dDesc {
        if (kernelH < 1 || kernelW < 1) {
            throw new IllegalArgumentException("Pool2dDesc: kernel must be >= 1, got " + kernelH + "x" + kernelW);
        }
        if (strideH < 1 || strideW < 1) {
            throw new IllegalArgumentException("Pool2dDesc: stride must be >= 1, got " + strideH + "x" + strideW);
        }
        if (padH < 0 || padW < 0) {
            throw new IllegalArgumentException("Pool2dDesc: pad must be >= 0, got " + padH + "x" + padW);
        }
    }

    /** kh x kw window, stride = kernel (PyTorch's default), no padding, countIncludePad. */
    public static Pool2dDesc of(int kernelH, int kernelW) {
        return new Pool2dDesc(kernelH, kernelW, kernelH, kernelW, 0, 0, true);
    }

    /** k x k window, stride k, no padding. */
    public static Pool2dDesc of(int kernel) {
        return of(kernel, kernel);
    }

    public Pool2dDesc stride(int sh, int sw) {
        return new Pool2dDesc(kernelH, kernelW, sh, sw, padH, padW, countIncludePad);
    }

    public Pool2dDesc stride(int s) {
        return stride(s, s);
    }

    public Pool2dDesc pad(int ph, int pw) {
        return new Pool2dDesc(kernelH, kernelW, strideH, strideW, ph, pw, countIncludePad);
    }

    public Pool2dDesc pad(int p) {
        return pad(p, p);
    }

    public Pool2dDesc countIncludePad(boolean include) {
        return new Pool2dDesc(kernelH, kernelW, strideH, strideW, padH, padW, include);
    }

    /** Output rows for {@code h} input rows; call {@link #outputShape} first to validate. */
    public long outH(long h) {
        return (h + 2L * padH - kernelH) / strideH + 1;
    }

    /** Output columns for {@code w} input columns. */
    public long outW(long w) {
        return (w + 2L * padW - kernelW) / strideW + 1;
    }

    /** True for the 2x2 stride-2 unpadded window, the case the SIMD kernels specialise. */
    public boolean isTwoByTwoStrideTwo() {
        return kernelH == 2 && kernelW == 2 && strideH == 2 && strideW == 2 && padH == 0 && padW == 0;
    }

    /**
     * Validates the window against an NCHW input of shape {@code xShape} and returns the output shape
     * {@code [N, C, Ho, Wo]}. Fails with {@code op}'s name, e.g.
     * {@code max_pool2d: kernel 5 larger than padded input 4 (x=[1,1,2,2])}. Planes must fit int32
     * flat indices ({@code H*W <= Integer.MAX_VALUE}), the convention of pooling indices.
     */
    public long[] outputShape(String op, long... xShape) {
        String xs = "(x=" + Arrays.toString(xShape).replace(" ", "") + ")";
        if (xShape == null || xShape.length != 4) {
            throw new IllegalArgumentException(op + ": x must be 4-D (N, C, H, W), got " + xs);
        }
        Checks.numel(op, "x", xShape);
        long h = xShape[2], w = xShape[3];
        if (2L * padH > kernelH || 2L * padW > kernelW) {
            throw new IllegalArgumentException(op + ": pad " + padH + "x" + padW + " must be at most half of kernel "
                    + kernelH + "x" + kernelW + " " + xs);
        }
        long ph = h + 2L * padH, pw = w + 2L * padW;
        if (kernelH > ph) {
            throw new IllegalArgumentException(op + ": kernel " + kernelH + " larger than padded input " + ph + " " + xs);
        }
        if (kernelW > pw) {
            throw new IllegalArgumentException(op + ": kernel " + kernelW + " larger than padded input " + pw + " " + xs);
        }
        if (Checks.multiply(op, "H*W " + xs, h, w) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": plane H*W = " + h * w + " exceeds the int32 index range " + xs);
        }
        long[] out = {xShape[0], xShape[1], outH(h), outW(w)};
        Checks.numel(op, "output", out);
        return out;
    }

    @Override
    public String toString() {
        return "Pool2dDesc[kernel " + kernelH + "x" + kernelW + ", stride " + strideH + "x" + strideW + ", pad "
                + padH + "x" + padW + (countIncludePad ? "" : ", exclude pad") + "]";
    }
}
