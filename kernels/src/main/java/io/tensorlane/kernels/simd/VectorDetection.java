package io.tensorlane.kernels.simd;

import io.tensorlane.kernels.DetectionKernels;
import io.tensorlane.kernels.ref.ScalarDetection;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
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
 * <p>Box encode/decode work lane per box on chunks of {@link #CHUNK} boxes: the 4-float rows of the two
 * inputs are de-interleaved into columns of a small heap array (two rounds of two-input stride-2
 * shuffles, 8 per L boxes: no gathers, which AVX2 only has for loads and Zen 3 runs slowly), the
 * arithmetic runs down the columns in short loops (one for the plain operations, one for the log or
 * exp, one for the corners; only arrays cross their calls, and the log/exp pass comes first in the
 * chunk loop so that C2 inlines it whole: see {@link #logColumns}), and the result
 * columns are interleaved back with the inverse shuffles. Every operation is the scalar twin's, in its
 * order, except the transcendental: {@link VectorMath#log} (encode) and {@link VectorMath#exp} (decode)
 * in float where the twin rounds a double log/exp, so encode's dx, dy are bit-identical to the twin
 * and dw, dh, and decode's corners, differ by the bounds BoxCodingSimdTest derives (a few 1e-7
 * relative). The boxes left over after the last full vector run the same float operations one at a
 * time (the scalar replicas of log and exp), so a box codes to the same bits wherever it falls. The
 * output range of the chunk, not yet written, is the log/exp scratch; the inputs are read into the
 * columns first, so out == in (allowed by the entry point) is safe.
 */
public final class VectorDetection implements DetectionKernels {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int L = S.length();
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();

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

    /** Boxes per chunk of encode/decode: 8 de-interleaved columns of CHUNK floats (8 KiB) stay in L1. */
    static final int CHUNK = 256;
    private static final float CLIP = ScalarDetection.SIZE_CLIP;
    // stride-2 picks from a pair of vectors (an index >= L takes lane index - L of the second one)...
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);
    // ...and their inverses: the low (high) halves of two vectors, lane by lane alternately
    private static final VectorShuffle<Float> ZIP_LO = VectorShuffle.fromOp(S, i -> (i % 2 == 0 ? 0 : L) + i / 2);
    private static final VectorShuffle<Float> ZIP_HI = VectorShuffle.fromOp(S, i -> (i % 2 == 0 ? 0 : L) + L / 2 + i / 2);

    @Override
    public void encodeBoxes(int n, float centerVariance, float sizeVariance, MemorySegment anchors, long aOff,
                            MemorySegment boxes, long bOff, MemorySegment deltas, long dOff) {
        int bound = n / L * L;
        float[] col = new float[8 * CHUNK]; // anchors' x1, y1, x2, y2 | the boxes', overwritten by the deltas
        // each pass finishes the previous chunk, then reads the next: the log comes first in the loop (see logColumns)
        for (int c = 0, prev = 0, prevCount = 0; c < bound + CHUNK; prev = c, c += CHUNK) {
            if (prevCount > 0) {
                // columns 6 and 7 as one range (with the unused tail of column 6 when count < CHUNK); the
                // chunk's deltas, not yet written (its boxes are already in col), are log's scratch
                logColumns(6 * CHUNK, CHUNK + prevCount, sizeVariance, col, deltas, (dOff + 4L * prev) * Float.BYTES);
                interleave(col, 4 * CHUNK, prevCount, deltas, dOff + 4L * prev);
            }
            prevCount = Math.min(CHUNK, bound - c); // <= 0 past the end
            if (prevCount > 0) {
                for (int k = 0; k < 2; k++) { // one call site for both inputs (fewer nodes to inline)
                    deinterleave(k == 0 ? anchors : boxes, (k == 0 ? aOff : bOff) + 4L * c, prevCount, col, 4 * CHUNK * k);
                }
                encodeColumns(prevCount, centerVariance, col);
            }
        }
        for (int i = bound; i < n; i++) {
            encodeOne(centerVariance, sizeVariance, anchors, aOff + 4L * i, boxes, bOff + 4L * i, deltas, dOff + 4L * i);
        }
    }

    /** Deltas x, y into columns 4, 5 and the size ratios gw/aw, gh/ah into 6, 7, in the twin's float operations. */
    private static void encodeColumns(int count, float cv, float[] col) {
        for (int j = 0; j < count; j += L) {
            FloatVector ax1 = FloatVector.fromArray(S, col, j), ay1 = FloatVector.fromArray(S, col, CHUNK + j);
            FloatVector aw = FloatVector.fromArray(S, col, 2 * CHUNK + j).sub(ax1);
            FloatVector ah = FloatVector.fromArray(S, col, 3 * CHUNK + j).sub(ay1);
            FloatVector gx1 = FloatVector.fromArray(S, col, 4 * CHUNK + j), gy1 = FloatVector.fromArray(S, col, 5 * CHUNK + j);
            FloatVector gw = FloatVector.fromArray(S, col, 6 * CHUNK + j).sub(gx1);
            FloatVector gh = FloatVector.fromArray(S, col, 7 * CHUNK + j).sub(gy1);
            FloatVector acx = ax1.add(aw.mul(0.5f)), acy = ay1.add(ah.mul(0.5f));
            FloatVector gcx = gx1.add(gw.mul(0.5f)), gcy = gy1.add(gh.mul(0.5f));
            gcx.sub(acx).div(aw).div(cv).intoArray(col, 4 * CHUNK + j);
            gcy.sub(acy).div(ah).div(cv).intoArray(col, 5 * CHUNK + j);
            gw.div(aw).intoArray(col, 6 * CHUNK + j);
            gh.div(ah).intoArray(col, 7 * CHUNK + j);
        }
    }

    /**
     * {@code col[from, from + count) := log(col) / sv}. C2 inlines the chunk's phases into the caller's
     * loop; when the log came after the shuffle network there (or twice), that compilation hit
     * NodeCountInliningCutoff part way into the log, whose vectors then crossed real calls and were
     * boxed (PrintInlining; 3-5x slower). So the caller has one call site of it, parsed first in its
     * loop body; the API's own methods are force-inlined, past the cutoff, so the phases after it are safe.
     */
    private static void logColumns(int from, int count, float sv, float[] col, MemorySegment scratch, long scratchByte) {
        for (int j = from; j < from + count; j += L) {
            VectorMath.log(FloatVector.fromArray(S, col, j), scratch, scratchByte).div(sv).intoArray(col, j);
        }
    }

    /** One box as the lanes do it: the twin's operations, with {@link VectorMath#log(float)}. */
    private static void encodeOne(float cv, float sv, MemorySegment anchors, long a, MemorySegment boxes, long b,
                                  MemorySegment deltas, long d) {
        float ax1 = anchors.getAtIndex(JAVA_FLOAT, a), ay1 = anchors.getAtIndex(JAVA_FLOAT, a + 1);
        float aw = anchors.getAtIndex(JAVA_FLOAT, a + 2) - ax1, ah = anchors.getAtIndex(JAVA_FLOAT, a + 3) - ay1;
        float gx1 = boxes.getAtIndex(JAVA_FLOAT, b), gy1 = boxes.getAtIndex(JAVA_FLOAT, b + 1);
        float gw = boxes.getAtIndex(JAVA_FLOAT, b + 2) - gx1, gh = boxes.getAtIndex(JAVA_FLOAT, b + 3) - gy1;
        float acx = ax1 + 0.5f * aw, acy = ay1 + 0.5f * ah;
        float gcx = gx1 + 0.5f * gw, gcy = gy1 + 0.5f * gh;
        deltas.setAtIndex(JAVA_FLOAT, d, (gcx - acx) / aw / cv);
        deltas.setAtIndex(JAVA_FLOAT, d + 1, (gcy - acy) / ah / cv);
        deltas.setAtIndex(JAVA_FLOAT, d + 2, VectorMath.log(gw / aw) / sv);
        deltas.setAtIndex(JAVA_FLOAT, d + 3, VectorMath.log(gh / ah) / sv);
    }

    @Override
    public void decodeBoxes(int n, float centerVariance, float sizeVariance, MemorySegment anchors, long aOff,
                            MemorySegment deltas, long dOff, MemorySegment boxes, long bOff) {
        int bound = n / L * L;
        float[] col = new float[8 * CHUNK]; // anchors' x1, y1, x2, y2 | the deltas, overwritten by the boxes
        // each pass finishes the previous chunk, then reads the next: the exp comes first in the loop (see logColumns)
        for (int c = 0, prev = 0, prevCount = 0; c < bound + CHUNK; prev = c, c += CHUNK) {
            if (prevCount > 0) {
                // columns 6, 7 against 2, 3 as one range; the chunk's boxes, not yet written (its deltas
                // are already in col), are exp's scratch
                expColumns(6 * CHUNK, 2 * CHUNK, CHUNK + prevCount, col, boxes, (bOff + 4L * prev) * Float.BYTES);
                cornerColumns(prevCount, col);
                interleave(col, 4 * CHUNK, prevCount, boxes, bOff + 4L * prev);
            }
            prevCount = Math.min(CHUNK, bound - c); // <= 0 past the end
            if (prevCount > 0) {
                for (int k = 0; k < 2; k++) { // one call site for both inputs (fewer nodes to inline)
                    deinterleave(k == 0 ? anchors : deltas, (k == 0 ? aOff : dOff) + 4L * c, prevCount, col, 4 * CHUNK * k);
                }
                decodeColumns(prevCount, centerVariance, sizeVariance, col);
            }
        }
        for (int i = bound; i < n; i++) {
            decodeOne(centerVariance, sizeVariance, anchors, aOff + 4L * i, deltas, dOff + 4L * i, boxes, bOff + 4L * i);
        }
    }

    /** Columns 0..3 := cx, cy, aw, ah; 6, 7 := the clipped log-sizes min(dw * sv, CLIP), min(dh * sv, CLIP). */
    private static void decodeColumns(int count, float cv, float sv, float[] col) {
        for (int j = 0; j < count; j += L) {
            FloatVector ax1 = FloatVector.fromArray(S, col, j), ay1 = FloatVector.fromArray(S, col, CHUNK + j);
            FloatVector aw = FloatVector.fromArray(S, col, 2 * CHUNK + j).sub(ax1);
            FloatVector ah = FloatVector.fromArray(S, col, 3 * CHUNK + j).sub(ay1);
            FloatVector acx = ax1.add(aw.mul(0.5f)), acy = ay1.add(ah.mul(0.5f));
            FloatVector lw = FloatVector.fromArray(S, col, 6 * CHUNK + j).mul(sv);
            FloatVector lh = FloatVector.fromArray(S, col, 7 * CHUNK + j).mul(sv);
            FloatVector.fromArray(S, col, 4 * CHUNK + j).mul(cv).mul(aw).add(acx).intoArray(col, j);
            FloatVector.fromArray(S, col, 5 * CHUNK + j).mul(cv).mul(ah).add(acy).intoArray(col, CHUNK + j);
            aw.intoArray(col, 2 * CHUNK + j);
            ah.intoArray(col, 3 * CHUNK + j);
            // compare + blend is Math.min here: NaN passes through, -0 stays -0
            lw.blend(CLIP, lw.compare(VectorOperators.GT, CLIP)).intoArray(col, 6 * CHUNK + j);
            lh.blend(CLIP, lh.compare(VectorOperators.GT, CLIP)).intoArray(col, 7 * CHUNK + j);
        }
    }

    /**
     * {@code col[from + j] := exp(col[from + j]) * col[size + j]}: the decoded width (height) from its
     * clipped log and the anchor's. One call site, as {@link #logColumns}.
     */
    private static void expColumns(int from, int size, int count, float[] col, MemorySegment scratch, long scratchByte) {
        for (int j = 0; j < count; j += L) {
            VectorMath.exp(FloatVector.fromArray(S, col, from + j), scratch, scratchByte)
                    .mul(FloatVector.fromArray(S, col, size + j)).intoArray(col, from + j);
        }
    }

    /** Columns 4..7 := x1, y1, x2, y2 from the centre (columns 0, 1) and size (6, 7). */
    private static void cornerColumns(int count, float[] col) {
        for (int j = 0; j < count; j += L) {
            FloatVector cx = FloatVector.fromArray(S, col, j), cy = FloatVector.fromArray(S, col, CHUNK + j);
            FloatVector hw = FloatVector.fromArray(S, col, 6 * CHUNK + j).mul(0.5f);
            FloatVector hh = FloatVector.fromArray(S, col, 7 * CHUNK + j).mul(0.5f);
            cx.sub(hw).intoArray(col, 4 * CHUNK + j);
            cy.sub(hh).intoArray(col, 5 * CHUNK + j);
            cx.add(hw).intoArray(col, 6 * CHUNK + j);
            cy.add(hh).intoArray(col, 7 * CHUNK + j);
        }
    }

    /** One box as the lanes do it: the twin's operations, with {@link VectorMath#exp(float)}. */
    private static void decodeOne(float cv, float sv, MemorySegment anchors, long a, MemorySegment deltas, long d,
                                  MemorySegment boxes, long b) {
        float ax1 = anchors.getAtIndex(JAVA_FLOAT, a), ay1 = anchors.getAtIndex(JAVA_FLOAT, a + 1);
        float aw = anchors.getAtIndex(JAVA_FLOAT, a + 2) - ax1, ah = anchors.getAtIndex(JAVA_FLOAT, a + 3) - ay1;
        float acx = ax1 + 0.5f * aw, acy = ay1 + 0.5f * ah;
        float cx = deltas.getAtIndex(JAVA_FLOAT, d) * cv * aw + acx;
        float cy = deltas.getAtIndex(JAVA_FLOAT, d + 1) * cv * ah + acy;
        float lw = deltas.getAtIndex(JAVA_FLOAT, d + 2) * sv, lh = deltas.getAtIndex(JAVA_FLOAT, d + 3) * sv;
        float w = VectorMath.exp(lw > CLIP ? CLIP : lw) * aw;
        float h = VectorMath.exp(lh > CLIP ? CLIP : lh) * ah;
        float hw = w * 0.5f, hh = h * 0.5f;
        boxes.setAtIndex(JAVA_FLOAT, b, cx - hw);
        boxes.setAtIndex(JAVA_FLOAT, b + 1, cy - hh);
        boxes.setAtIndex(JAVA_FLOAT, b + 2, cx + hw);
        boxes.setAtIndex(JAVA_FLOAT, b + 3, cy + hh);
    }

    /**
     * {@code count} (a multiple of L) rows (x1, y1, x2, y2) from element {@code off} into the columns
     * {@code col[base + k * CHUNK + j]}: two rounds of stride-2 picks over vector pairs (8 two-input
     * shuffles per L boxes) separate the 4 interleaved coordinates.
     */
    private static void deinterleave(MemorySegment src, long off, int count, float[] col, int base) {
        long vb = (long) L * Float.BYTES;
        for (int j = 0; j < count; j += L) {
            long s = (off + 4L * j) * Float.BYTES;
            FloatVector r0 = FloatVector.fromMemorySegment(S, src, s, NATIVE);
            FloatVector r1 = FloatVector.fromMemorySegment(S, src, s + vb, NATIVE);
            FloatVector r2 = FloatVector.fromMemorySegment(S, src, s + 2 * vb, NATIVE);
            FloatVector r3 = FloatVector.fromMemorySegment(S, src, s + 3 * vb, NATIVE);
            // xs: x1 x2 x1 x2 ... of the first (second) half of the boxes; ys likewise
            FloatVector xs0 = r0.rearrange(EVEN, r1), ys0 = r0.rearrange(ODD, r1);
            FloatVector xs1 = r2.rearrange(EVEN, r3), ys1 = r2.rearrange(ODD, r3);
            xs0.rearrange(EVEN, xs1).intoArray(col, base + j);
            ys0.rearrange(EVEN, ys1).intoArray(col, base + CHUNK + j);
            xs0.rearrange(ODD, xs1).intoArray(col, base + 2 * CHUNK + j);
            ys0.rearrange(ODD, ys1).intoArray(col, base + 3 * CHUNK + j);
        }
    }

    /** The inverse of {@link #deinterleave}: columns {@code col[base + k * CHUNK + j]} back to rows at {@code off}. */
    private static void interleave(float[] col, int base, int count, MemorySegment dst, long off) {
        long vb = (long) L * Float.BYTES;
        for (int j = 0; j < count; j += L) {
            FloatVector x1 = FloatVector.fromArray(S, col, base + j), y1 = FloatVector.fromArray(S, col, base + CHUNK + j);
            FloatVector x2 = FloatVector.fromArray(S, col, base + 2 * CHUNK + j);
            FloatVector y2 = FloatVector.fromArray(S, col, base + 3 * CHUNK + j);
            FloatVector xs0 = x1.rearrange(ZIP_LO, x2), xs1 = x1.rearrange(ZIP_HI, x2);
            FloatVector ys0 = y1.rearrange(ZIP_LO, y2), ys1 = y1.rearrange(ZIP_HI, y2);
            long s = (off + 4L * j) * Float.BYTES;
            xs0.rearrange(ZIP_LO, ys0).intoMemorySegment(dst, s, NATIVE);
            xs0.rearrange(ZIP_HI, ys0).intoMemorySegment(dst, s + vb, NATIVE);
            xs1.rearrange(ZIP_LO, ys1).intoMemorySegment(dst, s + 2 * vb, NATIVE);
            xs1.rearrange(ZIP_HI, ys1).intoMemorySegment(dst, s + 3 * vb, NATIVE);
        }
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
