package io.tensorlane.kernels.simd;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.kernels.Parallelism;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Matrix-vector products, which are bound by memory bandwidth: each streams the matrix exactly once, in
 * storage order, and never packs it. Used for {@code sgemv} and for GEMMs with m == 1 or n == 1.
 *
 * <p>Both split the work over outputs only (rows for {@link #rowDots}, column ranges for
 * {@link #columnSums}) and sum each output in a fixed order (lanes through {@code VectorMath.sumLanes},
 * not {@code reduceLanes}, whose order can change when the JIT recompiles), so results are bit-identical
 * for any thread count.
 */
final class VectorGemv {
    private static final VectorSpecies<Float> S = VectorWidth.FLOAT;
    private static final int LANES = S.length();
    private static final ByteOrder NO = ByteOrder.nativeOrder();
    /** Below this many matrix elements the work stays on the calling thread. */
    private static final long PARALLEL_MIN_ELEMENTS = 1L << 16;

    private VectorGemv() {
    }

    private static FloatVector load(MemorySegment s, long idx) {
        return FloatVector.fromMemorySegment(S, s, idx * Float.BYTES, NO);
    }

    private static FloatVector load(MemorySegment s, long idx, VectorMask<Float> m) {
        return FloatVector.fromMemorySegment(S, s, idx * Float.BYTES, NO, m);
    }

    /**
     * y[i*incy] = alpha * dot(A[i, 0:cols], x) + beta * y[i*incy] for i in [0, rows): A row-major with
     * leading dim lda, x a contiguous copy on the heap.
     */
    static void rowDots(int rows, int cols, float alpha, MemorySegment a, long aOff, int lda, float[] x,
                        float beta, MemorySegment y, long yOff, long incy, Parallelism par) {
        long work = (long) rows * cols;
        if (par.isSingle() || work < PARALLEL_MIN_ELEMENTS || rows < 8) {
            rowDots(0, rows, cols, alpha, a, aOff, lda, x, beta, y, yOff, incy);
            return;
        }
        long grain = Math.max(4, ((long) rows + 4L * par.threads() - 1) / (4L * par.threads()) / 4 * 4);
        par.parallelFor(0, rows, grain, (from, to) ->
                rowDots((int) from, (int) to, cols, alpha, a, aOff, lda, x, beta, y, yOff, incy));
    }

    private static void rowDots(int r0, int r1, int cols, float alpha, MemorySegment a, long aOff, int lda,
                                float[] x, float beta, MemorySegment y, long yOff, long incy) {
        int i = r0;
        // Four rows at a time share each load of x; two accumulators per row hide the FMA latency.
        for (; i + 4 <= r1; i += 4) {
            long a0 = aOff + (long) i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            FloatVector s00 = FloatVector.zero(S), s01 = s00, s10 = s00, s11 = s00, s20 = s00, s21 = s00,
                    s30 = s00, s31 = s00;
            int j = 0;
            for (; j + 2 * LANES <= cols; j += 2 * LANES) {
                FloatVector x0 = FloatVector.fromArray(S, x, j), x1 = FloatVector.fromArray(S, x, j + LANES);
                s00 = load(a, a0 + j).fma(x0, s00);
                s01 = load(a, a0 + j + LANES).fma(x1, s01);
                s10 = load(a, a1 + j).fma(x0, s10);
                s11 = load(a, a1 + j + LANES).fma(x1, s11);
                s20 = load(a, a2 + j).fma(x0, s20);
                s21 = load(a, a2 + j + LANES).fma(x1, s21);
                s30 = load(a, a3 + j).fma(x0, s30);
                s31 = load(a, a3 + j + LANES).fma(x1, s31);
            }
            for (; j < cols; j += LANES) {
                VectorMask<Float> m = S.indexInRange(j, cols);
                FloatVector x0 = FloatVector.fromArray(S, x, j, m);
                s00 = load(a, a0 + j, m).fma(x0, s00);
                s10 = load(a, a1 + j, m).fma(x0, s10);
                s20 = load(a, a2 + j, m).fma(x0, s20);
                s30 = load(a, a3 + j, m).fma(x0, s30);
            }
            store(y, yOff + i * incy, alpha, VectorMath.sumLanes(s00.add(s01)), beta);
            store(y, yOff + (i + 1) * incy, alpha, VectorMath.sumLanes(s10.add(s11)), beta);
            store(y, yOff + (i + 2) * incy, alpha, VectorMath.sumLanes(s20.add(s21)), beta);
            store(y, yOff + (i + 3) * incy, alpha, VectorMath.sumLanes(s30.add(s31)), beta);
        }
        for (; i < r1; i++) {
            long a0 = aOff + (long) i * lda;
            FloatVector s0 = FloatVector.zero(S), s1 = s0;
            int j = 0;
            for (; j + 2 * LANES <= cols; j += 2 * LANES) {
                s0 = load(a, a0 + j).fma(FloatVector.fromArray(S, x, j), s0);
                s1 = load(a, a0 + j + LANES).fma(FloatVector.fromArray(S, x, j + LANES), s1);
            }
            for (; j < cols; j += LANES) {
                VectorMask<Float> m = S.indexInRange(j, cols);
                s0 = load(a, a0 + j, m).fma(FloatVector.fromArray(S, x, j, m), s0);
            }
            store(y, yOff + i * incy, alpha, VectorMath.sumLanes(s0.add(s1)), beta);
        }
    }

    private static void store(MemorySegment y, long idx, float alpha, float sum, float beta) {
        float v = beta == 0f ? sum * alpha : Math.fma(sum, alpha, beta * y.getAtIndex(JAVA_FLOAT, idx));
        y.setAtIndex(JAVA_FLOAT, idx, v);
    }

    /**
     * y[j*incy] = alpha * sum over i of A[i, j] * x[i] + beta * y[j*incy] for j in [0, cols): A row-major
     * with leading dim lda (rows x cols), x a contiguous copy of rows values; the sums go through
     * {@code acc} (at least cols floats), which each thread owns for its column range.
     */
    static void columnSums(int rows, int cols, float alpha, MemorySegment a, long aOff, int lda, float[] x,
                           float beta, MemorySegment y, long yOff, long incy, float[] acc, Parallelism par) {
        long work = (long) rows * cols;
        if (par.isSingle() || work < PARALLEL_MIN_ELEMENTS || cols < 2 * LANES) {
            columnSums(0, cols, rows, alpha, a, aOff, lda, x, beta, y, yOff, incy, acc);
            return;
        }
        long perThread = ((long) cols + par.threads() - 1) / par.threads();
        long grain = Math.max(LANES, (perThread + LANES - 1) / LANES * LANES);
        // acc is shared, but each chunk only touches acc[from, to): the ranges are disjoint.
        par.parallelFor(0, cols, grain, (from, to) ->
                columnSums((int) from, (int) to, rows, alpha, a, aOff, lda, x, beta, y, yOff, incy, acc));
    }

    private static void columnSums(int j0, int j1, int rows, float alpha, MemorySegment a, long aOff, int lda,
                                   float[] x, float beta, MemorySegment y, long yOff, long incy, float[] acc) {
        java.util.Arrays.fill(acc, j0, j1, 0f);
        int jFull = j0 + (j1 - j0) / LANES * LANES;
        int i = 0;
        // Four rows per pass over acc: acc is loaded and stored once per four FMAs, and each output
        // still sums the rows in order 0, 1, 2, ...
        for (; i + 4 <= rows; i += 4) {
            long a0 = aOff + (long) i * lda, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
            FloatVector x0 = FloatVector.broadcast(S, x[i]), x1 = FloatVector.broadcast(S, x[i + 1]);
            FloatVector x2 = FloatVector.broadcast(S, x[i + 2]), x3 = FloatVector.broadcast(S, x[i + 3]);
            int j = j0;
            for (; j < jFull; j += LANES) {
                FloatVector s = FloatVector.fromArray(S, acc, j);
                s = load(a, a0 + j).fma(x0, s);
                s = load(a, a1 + j).fma(x1, s);
                s = load(a, a2 + j).fma(x2, s);
                s = load(a, a3 + j).fma(x3, s);
                s.intoArray(acc, j);
            }
            if (j < j1) {
                VectorMask<Float> m = S.indexInRange(j, j1);
                FloatVector s = FloatVector.fromArray(S, acc, j, m);
                s = load(a, a0 + j, m).fma(x0, s);
                s = load(a, a1 + j, m).fma(x1, s);
                s = load(a, a2 + j, m).fma(x2, s);
                s = load(a, a3 + j, m).fma(x3, s);
                s.intoArray(acc, j, m);
            }
        }
        for (; i < rows; i++) {
            long a0 = aOff + (long) i * lda;
            FloatVector x0 = FloatVector.broadcast(S, x[i]);
            int j = j0;
            for (; j < jFull; j += LANES) {
                load(a, a0 + j).fma(x0, FloatVector.fromArray(S, acc, j)).intoArray(acc, j);
            }
            if (j < j1) {
                VectorMask<Float> m = S.indexInRange(j, j1);
                load(a, a0 + j, m).fma(x0, FloatVector.fromArray(S, acc, j, m)).intoArray(acc, j, m);
            }
        }
        if (incy == 1) {
            FloatVector va = FloatVector.broadcast(S, alpha), vb = FloatVector.broadcast(S, beta);
            for (int j = j0; j < j1; j += LANES) {
                VectorMask<Float> m = S.indexInRange(j, j1);
                FloatVector s = FloatVector.fromArray(S, acc, j, m);
                long o = (yOff + j) * Float.BYTES;
                FloatVector v = beta == 0f ? s.mul(va) : s.fma(va, FloatVector.fromMemorySegment(S, y, o, NO, m).mul(vb));
                v.intoMemorySegment(y, o, NO, m);
            }
        } else {
            for (int j = j0; j < j1; j++) store(y, yOff + j * incy, alpha, acc[j], beta);
        }
    }
}
