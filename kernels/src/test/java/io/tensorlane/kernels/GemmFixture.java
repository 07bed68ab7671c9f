package io.tensorlane.kernels;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;

/**
 * Operands for GEMM tests: a row-major matrix stored at an offset with a leading dim, inside a segment
 * (off-heap or a heap {@code float[]}) with guard elements around it, plus a double-accumulating oracle.
 *
 * <p>Everything in an input's segment that is not part of the matrix (the offset, the gaps between rows
 * when ld &gt; cols, the tail) is NaN, so a kernel that reads outside the matrix poisons its result. In
 * an output's segment those elements hold {@link #GUARD}, and {@link #assertGuardsIntact} checks that
 * nothing wrote there.
 */
final class GemmFixture {
    static final float GUARD = 7777.25f;
    static final int TAIL = 19;

    private GemmFixture() {
    }

    /** A rows x cols matrix (batch of them at a stride) with its storage. */
    record Matrix(MemorySegment seg, long off, int rows, int cols, int ld, long stride, int batch) {
        float get(int b, int i, int j) {
            return seg.getAtIndex(JAVA_FLOAT, index(b, i, j));
        }

        long index(int b, int i, int j) {
            return off + b * stride + (long) i * ld + j;
        }

        boolean inside(long idx) {
            if (idx < off || rows == 0 || cols == 0) return false;
            long rel = idx - off;
            for (int b = 0; b < batch; b++) {
                long r = rel - b * stride;
                if (r < 0) continue;
                long i = r / ld, j = r % ld;
                if (i < rows && j < cols) return true;
            }
            return false;
        }

        long elements() {
            return seg.byteSize() / Float.BYTES;
        }

        /** A copy of the whole segment, to compare runs bit for bit. */
        float[] snapshot() {
            return seg.toArray(JAVA_FLOAT);
        }
    }

    /**
     * A batch of rows x cols matrices filled with values in [-1, 1) and surrounded by {@code padding}
     * (NaN for inputs, {@link #GUARD} for outputs). {@code heap} chooses a {@code float[]}-backed segment.
     */
    static Matrix matrix(Arena arena, Random rnd, boolean heap, int rows, int cols, int ld, long off,
                         long stride, int batch, float padding) {
        long span = rows == 0 || cols == 0 ? 0 : (long) (rows - 1) * ld + cols;
        long total = off + (batch == 0 ? 0 : (batch - 1) * stride + span) + TAIL;
        MemorySegment seg = heap ? MemorySegment.ofArray(new float[Math.toIntExact(total)])
                : arena.allocate(total * Float.BYTES, 64);
        for (long i = 0; i < total; i++) seg.setAtIndex(JAVA_FLOAT, i, padding);
        Matrix m = new Matrix(seg, off, rows, cols, ld, stride, batch);
        for (int b = 0; b < batch; b++) {
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < cols; j++) {
                    seg.setAtIndex(JAVA_FLOAT, m.index(b, i, j), rnd.nextFloat() * 2f - 1f);
                }
            }
        }
        return m;
    }

    static Matrix matrix(Arena arena, Random rnd, boolean heap, int rows, int cols, int ld, long off, float padding) {
        return matrix(arena, rnd, heap, rows, cols, ld, off, 0, 1, padding);
    }

    /** Sets every element of the matrices to {@code v} (e.g. NaN in C to check that beta = 0 never reads it). */
    static void fill(Matrix m, float v) {
        for (int b = 0; b < m.batch(); b++) {
            for (int i = 0; i < m.rows(); i++) {
                for (int j = 0; j < m.cols(); j++) m.seg().setAtIndex(JAVA_FLOAT, m.index(b, i, j), v);
            }
        }
    }

    /** Expected values and error bounds of alpha * op(A) op(B) + beta * C for product {@code b} of a batch. */
    record Expected(double[] value, double[] bound, int m, int n) {
    }

    /**
     * The oracle: sums in double. The bound per element is the classic worst case for float32 summation
     * of k products plus the alpha/beta combine, 2 * (k + 3) * 2^-24 * (|alpha| * sum |a||b| + |beta * c|),
     * independent of the summation order; a wrong element or a missed term is off by O(|a||b|).
     */
    static Expected expected(Trans ta, Trans tb, int m, int n, int k, float alpha, Matrix a, Matrix b,
                             float beta, Matrix c, int batchIndex) {
        double[] v = new double[m * n], bound = new double[m * n];
        double u = Math.scalb(1.0, -24);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0, sAbs = 0;
                if (alpha != 0f) {
                    for (int p = 0; p < k; p++) {
                        double av = ta == Trans.N ? a.get(batchIndex, i, p) : a.get(batchIndex, p, i);
                        double bv = tb == Trans.N ? b.get(batchIndex, p, j) : b.get(batchIndex, j, p);
                        s += av * bv;
                        sAbs += Math.abs(av * bv);
                    }
                }
                double cv = beta == 0f ? 0 : (double) beta * c.get(batchIndex, i, j);
                v[i * n + j] = alpha * s + cv;
                bound[i * n + j] = 2 * (k + 3) * u * (Math.abs(alpha) * sAbs + Math.abs(cv)) + Double.MIN_NORMAL;
            }
        }
        return new Expected(v, bound, m, n);
    }

    static void assertMatches(Expected e, Matrix c, int batchIndex, String what) {
        for (int i = 0; i < e.m(); i++) {
            for (int j = 0; j < e.n(); j++) {
                float got = c.get(batchIndex, i, j);
                double want = e.value()[i * e.n() + j];
                double err = Math.abs(got - want);
                if (!(err <= e.bound()[i * e.n() + j])) {
                    fail(what + ": C[" + i + "][" + j + "] = " + got + ", expected " + want + " (error " + err
                            + " > bound " + e.bound()[i * e.n() + j] + ")");
                }
            }
        }
    }

    /** Nothing outside the matrices changed. */
    static void assertGuardsIntact(Matrix c, String what) {
        for (long idx = 0; idx < c.elements(); idx++) {
            if (!c.inside(idx)) {
                float v = c.seg().getAtIndex(JAVA_FLOAT, idx);
                if (Float.floatToRawIntBits(v) != Float.floatToRawIntBits(GUARD)) {
                    fail(what + ": element " + idx + " outside C changed to " + v);
                }
            }
        }
    }

    static void assertBitIdentical(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            if (Float.floatToRawIntBits(want[i]) != Float.floatToRawIntBits(got[i])) {
                fail(what + ": element " + i + " differs: " + want[i] + " vs " + got[i]);
            }
        }
    }
}
