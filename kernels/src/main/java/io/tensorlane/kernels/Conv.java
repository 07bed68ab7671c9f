package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Validating entry points of the convolution family ({@link ConvKernels}): NCHW float32, contiguous,
 * offsets in elements. Each checks the shapes against the descriptor, that every range lies inside its
 * segment and that no output shares memory with an input, before any memory is touched, then runs the
 * implementation {@link Kernels#get()} selected. Outputs are overwritten. Results are bit-identical for
 * any {@link Parallelism}.
 */
public final class Conv {
    private Conv() {
    }

    /**
     * The im2col matrices of n images: x (n, c, h, w) to cols (n, c*kh*kw, Ho*Wo), the layout of PyTorch's
     * {@code unfold}: {@code cols[img][(ci*kh+i)*kw+j][oh*Wo+ow] = xpad[img][ci][oh*sh+i*dh][ow*sw+j*dw]}.
     * The descriptor's groups are ignored.
     */
    public static void im2col(Conv2dDesc d, long n, long c, long h, long w, MemorySegment x, long xOff,
                              MemorySegment cols, long colsOff) {
        String op = "im2col";
        notNull(op, "desc", d);
        Checks.nonNegative(op, "n", n);
        ConvGeometry g = d.columns(op, c, h, w);
        long xImg = g.c() * g.plane(), cImg = Checks.multiply(op, "cols", g.colRows(), g.outPlane());
        long xLen = Checks.multiply(op, "x", n, xImg), cLen = Checks.multiply(op, "cols", n, cImg);
        Checks.floats(op, "x", x, xOff, xLen);
        Checks.floats(op, "cols", cols, colsOff, cLen);
        Checks.disjoint(op, "cols", cols, colsOff, cLen, Float.BYTES, "x", x, xOff, xLen, Float.BYTES);
        ConvKernels k = Kernels.get().conv();
        for (long i = 0; i < n; i++) k.im2col(g, x, xOff + i * xImg, cols, colsOff + i * cImg);
    }

    /**
     * The adjoint of {@link #im2col}, PyTorch's {@code fold}: cols (n, c*kh*kw, Ho*Wo) to x (n, c, h, w), where
     * overlapping windows add up, values in the padding are dropped and uncovered pixels are 0.
     */
    public static void col2im(Conv2dDesc d, long n, long c, long h, long w, MemorySegment cols, long colsOff,
                              MemorySegment x, long xOff) {
        String op = "col2im";
        notNull(op, "desc", d);
        Checks.nonNegative(op, "n", n);
        ConvGeometry g = d.columns(op, c, h, w);
        long xImg = g.c() * g.plane(), cImg = Checks.multiply(op, "cols", g.colRows(), g.outPlane());
        long xLen = Checks.multiply(op, "x", n, xImg), cLen = Checks.multiply(op, "cols", n, cImg);
        Checks.floats(op, "cols", cols, colsOff, cLen);
        Checks.floats(op, "x", x, xOff, xLen);
        Checks.disjoint(op, "x", x, xOff, xLen, Float.BYTES, "cols", cols, colsOff, cLen, Float.BYTES);
        ConvKernels k = Kernels.get().conv();
        for (long i = 0; i < n; i++) k.col2im(g, cols, colsOff + i * cImg, x, xOff + i * xImg);
    }

    /**
     * y (N, F, Ho, Wo) = conv2d(x (N, C, H, W), w (F, C/groups, kh, kw)) + b (F); {@code b == null}: no bias.
     *
     * @throws IllegalArgumentException e.g. {@code conv2d: x has 3 channels but w expects 4 (x=[8,3,32,32], w=[16,4,3,3])}
     */
    public static void conv2d(Conv2dDesc d, long[] xShape, MemorySegment x, long xOff, long[] wShape, MemorySegment w, long wOff,
                              MemorySegment b, long bOff, MemorySegment y, long yOff, Parallelism par) {
        String op = "conv2d";
        notNull(op, "desc", d);
        notNull(op, "par", par);
        ConvGeometry g = d.forward(xShape, wShape);
        forwardRanges(op, g, x, xOff, w, wOff, b, bOff, y, yOff, "y", g.ySize());
        Kernels.get().conv().conv2d(g, x, xOff, w, wOff, b, bOff, y, yOff, par);
    }

    /**
     * Gradients of {@code sum(conv2d(x, w, b) * dout)}: dx like x, dw like w, db (F); a null output segment is
     * not computed.
     */
    public static void conv2dBackward(Conv2dDesc d, long[] xShape, MemorySegment x, long xOff, long[] wShape,
                                      MemorySegment w, long wOff, MemorySegment dout, long dOff,
                                      MemorySegment dx, long dxOff, MemorySegment dw, long dwOff,
                                      MemorySegment db, long dbOff, Parallelism par) {
        String op = "conv2dBackward";
        notNull(op, "desc", d);
        notNull(op, "par", par);
        ConvGeometry g = d.forward(xShape, wShape);
        backwardRanges(op, g, x, xOff, g.xSize(), w, wOff, dout, dOff, g.ySize(), dx, dxOff, dw, dwOff, db, dbOff, g.f());
        ConvKernels k = Kernels.get().conv();
        if (dx != null) k.conv2dBackwardData(g, dout, dOff, w, wOff, dx, dxOff, par);
        if (dw != null) k.conv2dBackwardWeights(g, x, xOff, dout, dOff, dw, dwOff, par);
        if (db != null) k.biasGrad(g.n(), g.f(), g.outPlane(), dout, dOff, db, dbOff);
    }

    /**
     * y (N, Cout, Ho, Wo) = conv_transpose2d(x (N, Cin, H, W), w (Cin, Cout/groups, kh, kw)) + b (Cout), see
     * {@link ConvTranspose2dDesc}; {@code b == null}: no bias.
     */
    public static void convTranspose2d(ConvTranspose2dDesc d, long[] xShape, MemorySegment x, long xOff, long[] wShape,
                                       MemorySegment w, long wOff, MemorySegment b, long bOff,
                                       MemorySegment y, long yOff, Parallelism par) {
        String op = "conv_transpose2d";
        notNull(op, "desc", d);
        notNull(op, "par", par);
        ConvGeometry g = d.forward(xShape, wShape); // the equivalent conv: its input is y, its output x
        forwardRanges(op, g.n(), g.ySize(), g.wSize(), g.c(), x, xOff, w, wOff, b, bOff, y, yOff, g.xSize());
        ConvKernels k = Kernels.get().conv();
        k.conv2dBackwardData(g, x, xOff, w, wOff, y, yOff, par);
        if (b != null) k.addBias(g.n(), g.c(), g.plane(), b, bOff, y, yOff);
    }

    /** Gradients of {@code sum(conv_transpose2d(x, w, b) * dout)}; a null output segment is not computed. */
    public static void convTranspose2dBackward(ConvTranspose2dDesc d, long[] xShape, MemorySegment x, long xOff,
                                               long[] wShape, MemorySegment w, long wOff, MemorySegment dout, long dOff,
                                               MemorySegment dx, long dxOff, MemorySegment dw, long dwOff,
                                               MemorySegment db, long dbOff, Parallelism par) {
        String op = "convTranspose2dBackward";
        notNull(op, "desc", d);
        notNull(op, "par", par);
        ConvGeometry g = d.forward(xShape, wShape);
        backwardRanges(op, g, x, xOff, g.ySize(), w, wOff, dout, dOff, g.xSize(), dx, dxOff, dw, dwOff, db, dbOff, g.c());
        ConvKernels k = Kernels.get().conv();
        if (dx != null) k.conv2d(g, dout, dOff, w, wOff, null, 0, dx, dxOff, par);
        if (dw != null) k.conv2dBackwardWeights(g, dout, dOff, x, xOff, dw, dwOff, par);
        if (db != null) k.biasGrad(g.n(), g.c(), g.plane(), dout, dOff, db, dbOff);
    }

    /** out (n, m) = x (n, d) @ w (d, m) + b (m); {@code b == null}: no bias. */
    public static void affine(long n, long d, long m, MemorySegment x, long xOff, MemorySegment w, long wOff,
                              MemorySegment b, long bOff, MemorySegment out, long outOff, Parallelism par) {
        String op = "affine";
        notNull(op, "par", par);
        affineDims(op, n, d, m);
        Checks.floats(op, "x", x, xOff, n * d);
        Checks.floats(op, "w", w, wOff, d * m);
        if (b != null) Checks.floats(op, "b", b, bOff, m);
        Checks.floats(op, "out", out, outOff, n * m);
        Checks.disjoint(op, "out", out, outOff, n * m, Float.BYTES, "x", x, xOff, n * d, Float.BYTES);
        Checks.disjoint(op, "out", out, outOff, n * m, Float.BYTES, "w", w, wOff, d * m, Float.BYTES);
        if (b != null) Checks.disjoint(op, "out", out, outOff, n * m, Float.BYTES, "b", b, bOff, m, Float.BYTES);
        Kernels.get().conv().affine(n, d, m, x, xOff, w, wOff, b, bOff, out, outOff, par);
    }

    /** dx (n, d) = dout @ w^T, dw (d, m) = x^T @ dout, db (m) = sum over n of dout; a null output is not computed. */
    public static void affineBackward(long n, long d, long m, MemorySegment x, long xOff, MemorySegment w, long wOff,
                                      MemorySegment dout, long dOff, MemorySegment dx, long dxOff,
                                      MemorySegment dw, long dwOff, MemorySegment db, long dbOff, Parallelism par) {
        String op = "affineBackward";
        notNull(op, "par", par);
        affineDims(op, n, d, m);
        Checks.floats(op, "x", x, xOff, n * d);
        Checks.floats(op, "w", w, wOff, d * m);
        Checks.floats(op, "dout", dout, dOff, n * m);
        outputs(op, dx, dxOff, n * d, dw, dwOff, d * m, db, dbOff, m,
                new Object[] {"x", x, xOff, n * d, "w", w, wOff, d * m, "dout", dout, dOff, n * m});
        Kernels.get().conv().affineBackward(n, d, m, x, xOff, w, wOff, dout, dOff, dx, dxOff, dw, dwOff, db, dbOff, par);
    }

    // -------------------------------------------------------------------------------- checks

    private static void affineDims(String op, long n, long d, long m) {
        Checks.nonNegative(op, "n", n);
        Checks.nonNegative(op, "d", d);
        Checks.nonNegative(op, "m", m);
        if (n > Integer.MAX_VALUE || d > Integer.MAX_VALUE || m > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(op + ": n=" + n + ", d=" + d + ", m=" + m + " exceed GEMM's int dims");
        }
        Checks.numel(op, "x", n, d);
        Checks.numel(op, "w", d, m);
    }

    private static void forwardRanges(String op, ConvGeometry g, MemorySegment x, long xOff, MemorySegment w, long wOff,
                                      MemorySegment b, long bOff, MemorySegment y, long yOff, String yName, long yLen) {
        forwardRanges(op, g.n(), g.xSize(), g.wSize(), g.f(), x, xOff, w, wOff, b, bOff, y, yOff, yLen);
    }

    private static void forwardRanges(String op, long n, long xLen, long wLen, long bLen, MemorySegment x, long xOff,
                                      MemorySegment w, long wOff, MemorySegment b, long bOff,
                                      MemorySegment y, long yOff, long yLen) {
        Checks.floats(op, "x", x, xOff, xLen);
        Checks.floats(op, "w", w, wOff, wLen);
        if (b != null) Checks.floats(op, "b", b, bOff, bLen);
        Checks.floats(op, "y", y, yOff, yLen);
        Checks.disjoint(op, "y", y, yOff, yLen, Float.BYTES, "x", x, xOff, xLen, Float.BYTES);
        Checks.disjoint(op, "y", y, yOff, yLen, Float.BYTES, "w", w, wOff, wLen, Float.BYTES);
        if (b != null) Checks.disjoint(op, "y", y, yOff, yLen, Float.BYTES, "b", b, bOff, bLen, Float.BYTES);
    }

    private static void backwardRanges(String op, ConvGeometry g, MemorySegment x, long xOff, long xLen,
                                       MemorySegment w, long wOff, MemorySegment dout, long dOff, long dLen,
                                       MemorySegment dx, long dxOff, MemorySegment dw, long dwOff,
                                       MemorySegment db, long dbOff, long dbLen) {
        Checks.floats(op, "x", x, xOff, xLen);
        Checks.floats(op, "w", w, wOff, g.wSize());
        Checks.floats(op, "dout", dout, dOff, dLen);
        outputs(op, dx, dxOff, xLen, dw, dwOff, g.wSize(), db, dbOff, dbLen,
                new Object[] {"x", x, xOff, xLen, "w", w, wOff, g.wSize(), "dout", dout, dOff, dLen});
    }

    /** Each non-null output lies in its segment and shares memory with no input and no other output. */
    private static void outputs(String op, MemorySegment dx, long dxOff, long dxLen, MemorySegment dw, long dwOff, long dwLen,
                                MemorySegment db, long dbOff, long dbLen, Object[] inputs) {
        Object[] outs = {"dx", dx, dxOff, dxLen, "dw", dw, dwOff, dwLen, "db", db, dbOff, dbLen};
        for (int o = 0; o < outs.length; o += 4) {
            MemorySegment s = (MemorySegment) outs[o + 1];
            if (s == null) continue;
            String name = (String) outs[o];
            long off = (Long) outs[o + 2], len = (Long) outs[o + 3];
            Checks.floats(op, name, s, off, len);
            for (int i = 0; i < inputs.length; i += 4) {
                Checks.disjoint(op, name, s, off, len, Float.BYTES, (String) inputs[i], (MemorySegment) inputs[i + 1],
                        (Long) inputs[i + 2], (Long) inputs[i + 3], Float.BYTES);
            }
            for (int p = 0; p < o; p += 4) {
                MemorySegment t = (MemorySegment) outs[p + 1];
                if (t != null) {
                    Checks.disjoint(op, name, s, off, len, Float.BYTES, (String) outs[p], t, (Long) outs[p + 2],
                            (Long) outs[p + 3], Float.BYTES);
                }
            }
        }
    }

    private static void notNull(String op, String arg, Object o) {
        if (o == null) throw new IllegalArgumentException(op + ": " + arg + " is null");
    }
}
