package io.tensorlane.kernels;

/**
 * The resolved sizes of one 2-D convolution, NCHW: input x (n, c, h, w), weights (f, c/groups, kh, kw),
 * output (n, f, ho, wo). Produced by {@link Conv2dDesc#forward} (and, for the equivalent convolution of a
 * transposed one, by {@link ConvTranspose2dDesc#forward}), which validate the shapes first; the kernel
 * families take this record and trust it.
 *
 * <p>The per-image matrices the im2col + GEMM algorithms use must fit GEMM's {@code int} dims: the
 * constructor checks {@code ho*wo}, {@code c*kh*kw} and {@code f}.
 */
public record ConvGeometry(long n, long c, long h, long w, long f, int kh, int kw,
                           int strideH, int strideW, int padH, int padW, int dilationH, int dilationW,
                           int groups, long ho, long wo) {
    public ConvGeometry {
        String op = "ConvGeometry";
        Checks.nonNegative(op, "n", n);
        Checks.positive(op, "c", c);
        Checks.positive(op, "h", h);
        Checks.positive(op, "w", w);
        Checks.positive(op, "f", f);
        Checks.positive(op, "kh", kh);
        Checks.positive(op, "kw", kw);
        Checks.positive(op, "strideH", strideH);
        Checks.positive(op, "strideW", strideW);
        Checks.nonNegative(op, "padH", padH);
        Checks.nonNegative(op, "padW", padW);
        Checks.positive(op, "dilationH", dilationH);
        Checks.positive(op, "dilationW", dilationW);
        Checks.positive(op, "groups", groups);
        Checks.positive(op, "ho", ho);
        Checks.positive(op, "wo", wo);
        if (c % groups != 0 || f % groups != 0) {
            throw new IllegalArgumentException(op + ": groups=" + groups + " must divide c=" + c + " and f=" + f);
        }
        long cols = Checks.numel(op, "c*kh*kw", c, kh, kw);
        long plane = Checks.numel(op, "ho*wo", ho, wo);
        if (cols > Integer.MAX_VALUE || plane > Integer.MAX_VALUE || f > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": per-image sizes exceed GEMM's int dims (c*kh*kw=" + cols
                    + ", ho*wo=" + plane + ", f=" + f + ")");
        }
        Checks.numel(op, "x", n, c, h, w);
        Checks.numel(op, "out", n, f, ho, wo);
    }

    /** Input channels per group. */
    public long cg() {
        return c / groups;
    }

    /** Filters (output channels) per group. */
    public long fg() {
        return f / groups;
    }

    /** h * w: one input plane. */
    public long plane() {
        return h * w;
    }

    /** ho * wo: one output plane, the columns of the im2col matrix. */
    public long outPlane() {
        return ho * wo;
    }

    /** c * kh * kw: the rows of the im2col matrix of one image. */
    public long colRows() {
        return c * kh * kw;
    }

    /** Elements of x: n*c*h*w. */
    public long xSize() {
        return n * c * h * w;
    }

    /** Elements of the output: n*f*ho*wo. */
    public long ySize() {
        return n * f * ho * wo;
    }

    /** Elements of the weights: f * (c/groups) * kh * kw. */
    public long wSize() {
        return f * cg() * kh * kw;
    }

    /** A 1x1 kernel at stride 1 without padding: the im2col matrix is the image itself. */
    public boolean pointwise() {
        return kh == 1 && kw == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0;
    }

    /** Output size of a window op along one axis: floor((in + 2p - d(k-1) - 1) / s) + 1, or 0 when none fits. */
    static long outSize(long in, int k, int s, int p, int d) {
        long span = (long) d * (k - 1) + 1;
        long padded = in + 2L * p;
        return padded < span ? 0 : (padded - span) / s + 1;
    }

    @Override
    public String toString() {
        return "x=[" + n + "," + c + "," + h + "," + w + "] f=" + f + " k=" + kh + "x" + kw + " s=" + strideH + "x" + strideW
                + " p=" + padH + "x" + padW + " d=" + dilationH + "x" + dilationW + " g=" + groups + " out=" + ho + "x" + wo;
    }
}
