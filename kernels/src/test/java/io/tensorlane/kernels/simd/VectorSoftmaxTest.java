package io.tensorlane.kernels.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The softmax forward runs the last pass of a row and the maximum of the next as one loop; a call over many
 * rows must give the bits of one call per row (where nothing is fused), at every row length around the vector
 * width, at odd offsets, out of place and in place, and with rows whose maximum is infinite or NaN.
 */
class VectorSoftmaxTest {
    private static final VectorSoftmax SM = new VectorSoftmax();

    @Test
    void manyRowsAtOnceEqualOneRowAtATime() {
        int lanes = VectorWidth.FLOAT.length();
        int[] colsList = {1, 2, lanes - 1, lanes, lanes + 1, 2 * lanes + 3, 17, 33, 65, 1000};
        for (int cols : colsList) {
            for (int rows : new int[] {1, 2, 3, 7}) {
                for (long off : new long[] {0, 1, 3}) {
                    for (boolean inPlace : new boolean[] {false, true}) {
                        check(rows, cols, off, inPlace);
                    }
                }
            }
        }
    }

    private static void check(int rows, int cols, long off, boolean inPlace) {
        Random rnd = new Random(rows * 31L + cols);
        float[] x = new float[rows * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextGaussian() * 8);
        if (x.length > 2) {
            x[rnd.nextInt(x.length)] = 1000f;
            x[rnd.nextInt(x.length)] = Float.POSITIVE_INFINITY;
            x[rnd.nextInt(x.length)] = Float.NaN;
        }
        String what = rows + "x" + cols + " off=" + off + (inPlace ? " in place" : "");
        try (Arena arena = Arena.ofConfined()) {
            long n = (long) rows * cols;
            MemorySegment in = arena.allocate((off + n) * 4, 64), out = arena.allocate((off + n) * 4, 64);
            MemorySegment.copy(x, 0, in, ValueLayout.JAVA_FLOAT, off * 4, x.length);
            // one call per row: no fused passes
            float[] expected = new float[x.length];
            MemorySegment rowIn = arena.allocate(cols * 4L, 64), rowOut = arena.allocate(cols * 4L, 64);
            for (int r = 0; r < rows; r++) {
                MemorySegment.copy(x, r * cols, rowIn, ValueLayout.JAVA_FLOAT, 0, cols);
                SM.softmax(1, cols, rowIn, 0, rowOut, 0);
                MemorySegment.copy(rowOut, ValueLayout.JAVA_FLOAT, 0, expected, r * cols, cols);
            }
            MemorySegment target = inPlace ? in : out;
            SM.softmax(rows, cols, in, off, target, off);
            float[] actual = new float[x.length];
            MemorySegment.copy(target, ValueLayout.JAVA_FLOAT, off * 4, actual, 0, actual.length);
            for (int i = 0; i < x.length; i++) {
                // floatToIntBits: one NaN for all (which NaN's sign and payload an x86 multiply passes on depends on
                // its operand order, which C2 picks per loop; Java leaves NaN bits unspecified)
                assertEquals(Float.floatToIntBits(expected[i]), Float.floatToIntBits(actual[i]),
                        what + " [" + i + "]: " + expected[i] + " vs " + actual[i]);
            }
        }
    }
}
