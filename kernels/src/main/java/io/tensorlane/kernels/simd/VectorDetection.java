package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.DetectionKernels;
import io.tensorlane.kernels.ref.ScalarDetection;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * Vector API version of {@link DetectionKernels}. Boxes arrive as rows (x1, y1, x2, y2); the IoU and NMS
 * loops run over the second set of boxes, which is first transposed into one array per coordinate
 * (O(m) work against the O(n m) pairs), so every lane holds one candidate box. The IoU lanes do the
 * very float operations of {@link ScalarDetection#iou} (no fused multiply-add), so an IoU of exactly
 * 0.5 stays exactly 0.5 and NMS keeps the same boxes as the scalar twin.
 *
 * <p>Box encode/decode run the scalar twin's loop: they are a handful of operations plus a log or exp
 * per box on a 4-float row layout, memory-light next to the detector that feeds them; a lane-per-box
 * version needs gathers and a vector log that this library does not have yet.
 */
public final class VectorDetection implements DetectionKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ScalarDetection SCALAR = new ScalarDetection();

    /** Box coordinates in structure-of-arrays form, with areas. */
    private record Columns(float[] x1, float[] y1, float[] x2, float[] y2, float[] area) {
        static Columns of(int m, MemorySegment b, long bOff, int[] order) {
            Columns c = new Columns(new float[m], new float[m], new float[m], new float[m], new float[m]);
            for (int j = 0; j < m; j++) {
                long o = bOff + 4L * (order == null ? j : order[j]);
                c.x1[j] = b.getAtIndex(JAVA_FLOAT, o);
                c.y1[j] = b.getAtIndex(JAVA_FLOAT, o + 1);
                c.x2[j] = b.getAtIndex(JAVA_FLOAT, o + 2);
                c.y2[j] = b.getAtIndex(JAVA_FLOAT, o + 3);
                c.area[j] = (c.x2[j] - c.x1[j]) * (c.y2[j] - c.y1[j]);
            }
            return c;
        }
    }

    @Override
    public void iou(int n, int m, MemorySegment a, long aOff, MemorySegment b, long bOff, MemorySegment out, long outOff) {
        Columns cb = Columns.of(m, b, bOff, null);
        int bound = S.loopBound(m);
        for (int i = 0; i < n; i++) {
            long ai = aOff + 4L * i;
            float ax1 = a.getAtIndex(JAVA_FLOAT, ai), ay1 = a.getAtIndex(JAVA_FLOAT, ai + 1);
            float ax2 = a.getAtIndex(JAVA_FLOAT, ai + 2), ay2 = a.getAtIndex(JAVA_FLOAT, ai + 3);
            float areaA = (ax2 - ax1) * (ay2 - ay1);
            long row = outOff + (long) i * m;
            for (int j = 0; j < bound; j += L) {
                iouLanes(ax1, ay1, ax2, ay2, areaA, cb, j).intoMemorySegment(out, (row + j) * Float.BYTES, NATIVE);
            }
            for (int j = bound; j < m; j++) {
                out.setAtIndex(JAVA_FLOAT, row + j, ScalarDetection.iou(ax1, ay1, ax2, ay2, areaA,
                        cb.x1[j], cb.y1[j], cb.x2[j], cb.y2[j], cb.area[j]));
            }
        }
    }

    /** IoU of box a with the L boxes of {@code cb} from j on. */
    private static FloatVector iouLanes(float ax1, float ay1, float ax2, float ay2, float areaA, Columns cb, int j) {
        FloatVector iw = FloatVector.fromArray(S, cb.x2, j).min(ax2).sub(FloatVector.fromArray(S, cb.x1, j).max(ax1));
        FloatVector ih = FloatVector.fromArray(S, cb.y2, j).min(ay2).sub(FloatVector.fromArray(S, cb.y1, j).max(ay1));
        FloatVector zero = FloatVector.zero(S);
        iw = zero.blend(iw, iw.compare(VectorOperators.GT, 0f));
        ih = zero.blend(ih, ih.compare(VectorOperators.GT, 0f));
        FloatVector inter = iw.mul(ih);
        FloatVector union = FloatVector.fromArray(S, cb.area, j).add(areaA).sub(inter);
        return zero.blend(inter.div(union), union.compare(VectorOperators.GT, 0f));
    }

    @Override
    public int nms(int n, MemorySegment boxes, long bOff, MemorySegment scores, long sOff, float threshold,
                   MemorySegment keep, long keepOff) {
        int[] order = ScalarDetection.visitingOrder(n, scores, sOff);
        Columns cb = Columns.of(n, boxes, bOff, order);
        boolean[] suppressed = new boolean[n];
        int kept = 0;
        for (int p = 0; p < n; p++) {
            if (suppressed[p]) continue;
            keep.setAtIndex(JAVA_INT, keepOff + kept++, order[p]);
            float ax1 = cb.x1[p], ay1 = cb.y1[p], ax2 = cb.x2[p], ay2 = cb.y2[p], areaA = cb.area[p];
            int q = p + 1;
            for (; q <= n - L; q += L) {
                VectorMask<Float> over = iouLanes(ax1, ay1, ax2, ay2, areaA, cb, q).compare(VectorOperators.GT, threshold);
                over.or(VectorMask.fromArray(S, suppressed, q)).intoArray(suppressed, q);
            }
            for (; q < n; q++) {
                if (!suppressed[q] && ScalarDetection.iou(ax1, ay1, ax2, ay2, areaA,
                        cb.x1[q], cb.y1[q], cb.x2[q], cb.y2[q], cb.area[q]) > threshold) {
                    suppressed[q] = true;
                }
            }
        }
        return kept;
    }

    @Override
    public void encodeBoxes(int n, float centerVariance, float sizeVariance, MemorySegment anchors, long aOff,
                            MemorySegment boxes, long bOff, MemorySegment deltas, long dOff) {
        SCALAR.encodeBoxes(n, centerVariance, sizeVariance, anchors, aOff, boxes, bOff, deltas, dOff);
    }

    @Override
    public void decodeBoxes(int n, float centerVariance, float sizeVariance, MemorySegment anchors, long aOff,
                            MemorySegment deltas, long dOff, MemorySegment boxes, long bOff) {
        SCALAR.decodeBoxes(n, centerVariance, sizeVariance, anchors, aOff, deltas, dOff, boxes, bOff);
    }

    /** Loss lanes summed in float per block of {@link #BLOCK} elements, blocks summed in double. */
    @Override
    public double smoothL1(long n, float beta, MemorySegment pred, long pOff, MemorySegment target, long tOff,
                           MemorySegment grad, long gOff) {
        float invN = (float) (1.0 / n);
        float halfBeta = 0.5f * beta;
        float invBeta = beta > 0f ? 1f / beta : 0f;
        double sum = 0;
        FloatVector zero = FloatVector.zero(S), one = FloatVector.broadcast(S, 1f);
        for (long start = 0; start < n; start += BLOCK) {
            long end = Math.min(n, start + BLOCK);
            FloatVector acc = zero;
            for (long i = start; i < end; i += L) {
                VectorMask<Float> m = S.indexInRange(i, end);
                FloatVector d = FloatVector.fromMemorySegment(S, pred, (pOff + i) * Float.BYTES, NATIVE, m)
                        .sub(FloatVector.fromMemorySegment(S, target, (tOff + i) * Float.BYTES, NATIVE, m));
                FloatVector ad = d.abs();
                VectorMask<Float> quad = ad.compare(VectorOperators.LT, beta);
                FloatVector loss = ad.sub(halfBeta).blend(d.mul(d).mul(0.5f * invBeta), quad);
                acc = acc.add(zero.blend(loss, m));
                if (grad != null) {
                    FloatVector sign = one.blend(-1f, d.compare(VectorOperators.LT, 0f))
                            .blend(0f, d.compare(VectorOperators.EQ, 0f));
                    sign.blend(d.mul(invBeta), quad).mul(invN)
                            .intoMemorySegment(grad, (gOff + i) * Float.BYTES, NATIVE, m);
                }
            }
            sum += VectorMath.sumLanes(acc);
        }
        return sum / n;
    }

    static final int BLOCK = 1024;
}
