package io.tensorlane.kernels;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The public entry points: each class of bad input is rejected with an IllegalArgumentException whose
 * message names the op and the argument, before any memory is touched (outputs keep their contents);
 * good input reaches the selected kernels.
 */
class EntryPointValidationTest {
    private static final float UNTOUCHED = 42f;

    /** 10 floats, all {@link #UNTOUCHED}, on the heap. */
    private static MemorySegment floats(int n) {
        float[] a = new float[n];
        java.util.Arrays.fill(a, UNTOUCHED);
        return MemorySegment.ofArray(a);
    }

    private static void rejects(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should mention '" + f + "'");
        }
    }

    private static void untouched(MemorySegment seg) {
        for (long i = 0; i < seg.byteSize() / 4; i++) {
            assertEquals(UNTOUCHED, seg.getAtIndex(JAVA_FLOAT, i), "element " + i + " was written before validation failed");
        }
    }

    @Test
    void sizesMustBeNonNegative() {
        MemorySegment x = floats(10), y = floats(10);
        rejects(() -> Activations.relu(-1, x, 0, y, 0), "relu", "n", "-1");
        rejects(() -> Elementwise.fill(-5, 0f, y, 0), "fill", "n");
        rejects(() -> Softmax.softmax(-2, 5, x, 0, y, 0), "softmax", "rows", "-2");
        rejects(() -> Reductions.colSum(2, -5, x, 0, y, 0), "colSum", "cols", "-5");
        untouched(y);
    }

    @Test
    void rowsTimesColsMustNotOverflow() {
        MemorySegment x = floats(10), y = floats(10);
        rejects(() -> Softmax.logSoftmax(1L << 40, 1L << 40, x, 0, y, 0), "logSoftmax", "rows*cols", "overflows");
        rejects(() -> Reductions.rowMax(Long.MAX_VALUE, 2, x, 0, y, 0), "rowMax", "overflows");
        rejects(() -> Losses.softmaxCrossEntropy(1L << 40, 1L << 40, x, 0, x, 0, null, 0), "softmaxCrossEntropy", "n*c");
        untouched(y);
    }

    @Test
    void rangesMustLieInsideTheirSegments() {
        MemorySegment x = floats(10), y = floats(10), small = floats(4);
        rejects(() -> Elementwise.add(10, x, 1, x, 0, y, 0), "add", "a", "[1, 11)", "10 elements");
        rejects(() -> Elementwise.add(10, x, 0, small, 0, y, 0), "add", "b", "[0, 10)", "4 elements");
        rejects(() -> Activations.sigmoid(8, x, 0, y, 3), "sigmoid", "y", "[3, 11)");
        rejects(() -> Activations.tanh(4, x, -1, y, 0), "tanh", "x", "offset -1");
        rejects(() -> Softmax.softmax(3, 4, x, 0, y, 0), "softmax", "x", "[0, 12)");
        rejects(() -> Reductions.rowSum(3, 3, x, 0, small, 2), "rowSum", "out", "[2, 5)");
        rejects(() -> Reductions.colMean(2, 5, x, 0, small, 0), "colMean", "out", "[0, 5)");
        rejects(() -> Losses.mse(MseReduction.MEAN, 10, 2, x, 0, small, 0, null, 0), "mse", "target");
        rejects(() -> Activations.reluBackward(10, x, 0, small, 0, y, 0), "reluBackward", "dout");
        untouched(y);
    }

    @Test
    void segmentsMustNotBeNull() {
        MemorySegment x = floats(10), y = floats(10);
        rejects(() -> Activations.relu(3, null, 0, y, 0), "relu", "x", "null");
        rejects(() -> Softmax.softmaxBackward(1, 3, x, 0, null, 0, y, 0), "softmaxBackward", "dout", "null");
        rejects(() -> Losses.sigmoidBce(3, x, 0, null, 0, null, 0), "sigmoidBce", "target", "null");
        untouched(y);
    }

    @Test
    void partialOverlapIsRejectedButExactAliasingIsAllowed() {
        MemorySegment x = floats(10);
        rejects(() -> Elementwise.scale(5, 2f, x, 0, x, 1), "scale", "x", "out", "overlap");
        rejects(() -> Softmax.softmax(1, 6, x, 0, x, 4), "softmax", "overlap");
        rejects(() -> Reductions.rowSum(2, 3, x, 0, x, 5), "rowSum", "x", "out", "share memory");
        untouched(x);
        // an overlapping view of the same memory through another segment is caught as well
        MemorySegment view = x.asSlice(4);
        rejects(() -> Activations.relu(5, x, 0, view, 0), "relu", "overlap");
        untouched(x);
        // exactly in place is fine
        Elementwise.scale(10, 0.5f, x, 0, x, 0);
        assertEquals(21f, x.getAtIndex(JAVA_FLOAT, 9));
    }

    @Test
    void labelsMustBeClassIndices() {
        MemorySegment x = floats(12), dx = floats(12);
        MemorySegment labels = MemorySegment.ofArray(new int[] {0, 3, 4});
        rejects(() -> Losses.softmaxCrossEntropy(3, 4, x, 0, labels, 0, dx, 0),
                "softmaxCrossEntropy", "labels[2] = 4", "[0, 4)", "x=[3, 4]");
        labels.setAtIndex(JAVA_INT, 2, -1);
        rejects(() -> Losses.svmHinge(3, 4, 1f, x, 0, labels, 0, dx, 0), "svmHinge", "labels[2] = -1");
        rejects(() -> Losses.svmHinge(3, 4, 1f, x, 0, MemorySegment.ofArray(new int[2]), 0, dx, 0), "svmHinge", "labels", "2 elements");
        untouched(dx);
    }

    @Test
    void otherArgumentsAreChecked() {
        MemorySegment x = floats(12), t = floats(12), d = floats(12);
        rejects(() -> Losses.mse(MseReduction.EUCLIDEAN, 12, 5, x, 0, t, 0, d, 0), "mse", "batch 5", "numel 12");
        rejects(() -> Losses.mse(null, 12, 3, x, 0, t, 0, d, 0), "mse", "reduction");
        rejects(() -> Losses.mse(MseReduction.MEAN, 0, 1, x, 0, t, 0, d, 0), "mse", "numel");
        rejects(() -> Losses.softmaxCrossEntropy(0, 4, x, 0, x, 0, d, 0), "softmaxCrossEntropy", "n");
        rejects(() -> Losses.svmHinge(3, 4, Float.NaN, x, 0, x, 0, d, 0), "svmHinge", "margin");
        rejects(() -> Activations.leakyRelu(3, Float.POSITIVE_INFINITY, x, 0, d, 0), "leakyRelu", "slope");
        rejects(() -> Reductions.rowArgmax(1, 1L << 32, x, 0, d, 0), "rowArgmax", "cols", "int32");
        untouched(d);
    }

    @Test
    void entryPointsComputeThroughTheSelectedKernels() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocateFrom(JAVA_FLOAT, -1f, 0.5f, 2f, -3f);
            MemorySegment y = arena.allocate(JAVA_FLOAT, 4);
            Activations.relu(4, x, 0, y, 0);
            assertArrayEquals(new float[] {0f, 0.5f, 2f, 0f}, y.toArray(JAVA_FLOAT));
            Softmax.softmax(2, 2, x, 0, y, 0);
            float[] p = y.toArray(JAVA_FLOAT);
            assertEquals(1.0, p[0] + p[1], 1e-6);
            assertEquals(1 / (1 + Math.exp(1.5)), p[0], 1e-6);
            MemorySegment idx = arena.allocate(JAVA_INT, 2);
            Reductions.rowArgmax(2, 2, x, 0, idx, 0);
            assertArrayEquals(new int[] {1, 0}, idx.toArray(JAVA_INT));
            MemorySegment labels = arena.allocateFrom(JAVA_INT, 1, 0);
            double loss = Losses.softmaxCrossEntropy(2, 2, x, 0, labels, 0, null, 0);
            double expected = (Math.log(Math.exp(-1) + Math.exp(0.5)) - 0.5 + Math.log(Math.exp(2) + Math.exp(-3)) - 2) / 2;
            assertEquals(expected, loss, 1e-6);
        }
    }
}
