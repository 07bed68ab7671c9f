package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Convolution family, NCHW float32, offsets in elements, every tensor contiguous. Unchecked: callers pass
 * a {@link ConvGeometry} from {@link Conv2dDesc#forward} / {@link ConvTranspose2dDesc#forward} and segments
 * that hold the ranges it implies; see {@link Conv} for the validating entry points.
 *
 * <p>Outputs are overwritten (never accumulated into) and must not overlap inputs. Results are
 * bit-identical for any {@link Parallelism}. Worker threads can only read segments of shared, global or
 * automatic arenas (and heap segments): with a confined segment, a call runs on the calling thread alone.
 */
public interface ConvKernels {
    /**
     * cols (c*kh*kw, ho*wo) of one image x (c, h, w): {@code cols[(ci*kh+i)*kw+j][oh*wo+ow] =
     * xpad[ci][oh*sh + i*dh][ow*sw + j*dw]} (zero where that falls into the padding). Uses g.c/h/w/kernel/
     * stride/pad/dilation; ignores n, f and groups.
     */
    void im2col(ConvGeometry g, MemorySegment x, long xOff, MemorySegment cols, long colsOff);

    /** The adjoint of {@link #im2col}: x (c, h, w) = sum of the cols entries that im2col would have read from each pixel. */
    void col2im(ConvGeometry g, MemorySegment cols, long colsOff, MemorySegment x, long xOff);

    /** y (n, f, ho, wo) = conv2d(x (n, c, h, w), w (f, c/groups, kh, kw)) + b (f); {@code b == null}: no bias. */
    void conv2d(ConvGeometry g, MemorySegment x, long xOff, MemorySegment w, long wOff,
                MemorySegment b, long bOff, MemorySegment y, long yOff, Parallelism par);

    /** dx (n, c, h, w) = gradient of sum(y * dout) with respect to x, for dout (n, f, ho, wo). */
    void conv2dBackwardData(ConvGeometry g, MemorySegment dout, long dOff, MemorySegment w, long wOff,
                            MemorySegment dx, long dxOff, Parallelism par);

    /** dw (f, c/groups, kh, kw) = gradient of sum(y * dout) with respect to w. */
    void conv2dBackwardWeights(ConvGeometry g, MemorySegment x, long xOff, MemorySegment dout, long dOff,
                               MemorySegment dw, long dwOff, Parallelism par);

    /** db[ch] = sum over n and the plane of dout (n, channels, plane). */
    void biasGrad(long n, long channels, long plane, MemorySegment dout, long dOff, MemorySegment db, long dbOff);

    /** y[i, ch, p] += b[ch] over y (n, channels, plane). */
    void addBias(long n, long channels, long plane, MemorySegment b, long bOff, MemorySegment y, long yOff);

    /** out (n, m) = x (n, d) @ w (d, m) + b (m); {@code b == null}: no bias. */
    void affine(long n, long d, long m, MemorySegment x, long xOff, MemorySegment w, long wOff,
                MemorySegment b, long bOff, MemorySegment out, long outOff, Parallelism par);

    /**
     * dx (n, d) = dout @ w^T, dw (d, m) = x^T @ dout, db (m) = column sums of dout (n, m); a null output
     * segment is not computed.
     */
    void affineBackward(long n, long d, long m, MemorySegment x, long xOff, MemorySegment w, long wOff,
                        MemorySegment dout, long dOff, MemorySegment dx, long dxOff, MemorySegment dw, long dwOff,
                        MemorySegment db, long dbOff, Parallelism par);
}
