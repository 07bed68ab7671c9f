package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

/**
 * Fast R-CNN max ROI pooling (Caffe's {@code ROIPoolingLayer}, torchvision's {@code roi_pool}): each
 * ROI row {@code [batch_idx, x1, y1, x2, y2]} (float32, input-image pixel coordinates, inclusive
 * corners) is scaled by {@code spatialScale} onto the feature map and divided into
 * {@code pooledH x pooledW} bins, each reduced by max.
 *
 * <p>Bin arithmetic is float32 exactly as in Caffe (the golden corpus' rule):
 * <pre>
 * rsw = round(x1*scale), rsh = round(y1*scale), rew = round(x2*scale), reh = round(y2*scale)   // C round(): halves away from 0
 * roiW = max(rew - rsw + 1, 1), roiH = max(reh - rsh + 1, 1)
 * binH = (float) roiH / pooledH, binW = (float) roiW / pooledW
 * hstart = clamp(floor(ph*binH) + rsh, 0, H), hend = clamp(ceil((ph+1)*binH) + rsh, 0, H)   // likewise w
 * </pre>
 * <b>ROIs partly outside the image</b> are clipped: every bin is intersected with the feature map, and
 * a bin left empty gives 0 with argmax -1 (no gradient flows through it). An ROI entirely outside gives
 * only empty bins.
 *
 * <p><b>Malformed ROIs</b> ({@code x2 < x1} or {@code y2 < y1}) are rejected unless
 * {@link #clampMalformed()} is set; with it they become one pixel wide/high at (rsw, rsh), Caffe's and
 * torchvision's behaviour, which the golden corpus exercises. Batch indices must be integral and in
 * {@code [0, N)}, coordinates finite with {@code |coord * scale| < 2^30}; these are always checked.
 */
public record RoiPoolDesc(int pooledH, int pooledW, float spatialScale, boolean clampMalformed) {
    private static final double COORD_LIMIT = 1 << 30;

    public RoiPoolDesc {
        if (pooledH < 1 || pooledW < 1) {
            throw new IllegalArgumentException("RoiPoolDesc: output size must be >= 1, got " + pooledH + "x" + pooledW);
        }
        if (!(spatialScale > 0) || Float.isInfinite(spatialScale)) {
            throw new IllegalArgumentException("RoiPoolDesc: spatialScale must be finite and > 0, got " + spatialScale);
        }
    }

    /** Strict: malformed ROIs (x2 &lt; x1 or y2 &lt; y1) are rejected. */
    public static RoiPoolDesc of(int pooledH, int pooledW, float spatialScale) {
        return new RoiPoolDesc(pooledH, pooledW, spatialScale, false);
    }

    /** true: malformed ROIs become one pixel (Caffe / torchvision); false: they are rejected. */
    public RoiPoolDesc clampMalformed(boolean clamp) {
        return new RoiPoolDesc(pooledH, pooledW, spatialScale, clamp);
    }

    /** C {@code round()} of {@code coord * spatialScale} (product in float32): halves go away from zero. */
    public long scaled(float coord) {
        float v = coord * spatialScale;
        // in double, |v| + 0.5 is exact for every float below 2^52, so this is C round() exactly
        return (long) Math.copySign(Math.floor(Math.abs((double) v) + 0.5), v);
    }

    /** ROI extent in feature-map pixels from its rounded corners: at least one pixel. */
    public static long extent(long start, long end) {
        return Math.max(end - start + 1, 1);
    }

    /** Bin size (float32, as Caffe) for an ROI extent split into {@code pooled} bins. */
    public static float binSize(long extent, int pooled) {
        return (float) extent / (float) pooled;
    }

    /** First row/column of bin {@code p}, clipped to [0, limit]. */
    public static long binStart(int p, float bin, long origin, long limit) {
        long s = (long) Math.floor((float) p * bin) + origin;
        return Math.min(Math.max(s, 0), limit);
    }

    /** One past the last row/column of bin {@code p}, clipped to [0, limit]. */
    public static long binEnd(int p, float bin, long origin, long limit) {
        long e = (long) Math.ceil((float) (p + 1) * bin) + origin;
        return Math.min(Math.max(e, 0), limit);
    }

    /**
     * Validates {@code rois} ({@code [r, 5]} float32 at element offset {@code off}) against a feature
     * map of {@code n} images: integral batch indices in [0, n), finite coordinates, and (unless
     * {@link #clampMalformed}) {@code x2 >= x1}, {@code y2 >= y1}. Reads the ROIs; writes nothing.
     */
    public void checkRois(String op, MemorySegment rois, long off, long r, long n) {
        Checks.floats(op, "rois", rois, off, Checks.multiply(op, "rois size", r, 5));
        for (long i = 0; i < r; i++) {
            long o = off + i * 5;
            float b = rois.getAtIndex(JAVA_FLOAT, o);
            if (!(b >= 0) || b >= n || b != Math.floor(b)) {
                throw new IllegalArgumentException(op + ": ROI " + i + " has batch index " + b
                        + ", expected an integer in [0, " + n + ") (rois=[" + r + ", 5])");
            }
            float x1 = rois.getAtIndex(JAVA_FLOAT, o + 1), y1 = rois.getAtIndex(JAVA_FLOAT, o + 2);
            float x2 = rois.getAtIndex(JAVA_FLOAT, o + 3), y2 = rois.getAtIndex(JAVA_FLOAT, o + 4);
            for (float c : new float[] {x1, y1, x2, y2}) {
                if (!(Math.abs((double) c * spatialScale) < COORD_LIMIT)) {
                    throw new IllegalArgumentException(op + ": ROI " + i + " has coordinate " + c
                            + " (scaled by " + spatialScale + ") that is not finite or beyond 2^30 (rois=[" + r + ", 5])");
                }
            }
            if (!clampMalformed && (x2 < x1 || y2 < y1)) {
                throw new IllegalArgumentException(op + ": ROI " + i + " [" + x1 + ", " + y1 + ", " + x2 + ", " + y2
                        + "] has " + (x2 < x1 ? "x2 " + x2 + " < x1 " + x1 : "y2 " + y2 + " < y1 " + y1)
                        + " (rois=[" + r + ", 5]); use RoiPoolDesc.clampMalformed(true) for Caffe's one-pixel rule");
            }
        }
    }
}
