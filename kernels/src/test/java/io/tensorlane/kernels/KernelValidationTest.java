package io.tensorlane.kernels;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every public entry point rejects bad input before touching memory, naming op, argument and sizes. */
class KernelValidationTest {
    private static void rejects(Executable call, String... fragments) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' lacks '" + f + "'");
        }
    }

    @Test
    void rangesAreChecked() {
        MemorySegment ten = MemorySegment.ofArray(new float[10]);
        MemorySegment out = MemorySegment.ofArray(new float[10]);
        rejects(() -> Activations.relu(11, ten, 0, out, 0), "relu", "x", "[0, 11)", "holds 10 elements");
        rejects(() -> Activations.relu(5, ten, 6, out, 0), "relu", "x", "[6, 11)");
        rejects(() -> Activations.relu(5, ten, 0, out, -1), "relu", "y", "offset -1");
        rejects(() -> Activations.relu(-1, ten, 0, out, 0), "relu", "must be >= 0");
        rejects(() -> Elementwise.add(4, ten, 0, null, 0, out, 0), "add", "b is null");
        rejects(() -> Elementwise.copy(3, ten, 8, out, 0), "copy", "x");
        rejects(() -> Softmax.softmax(3, 4, ten, 0, out, 0), "softmax", "x", "[0, 12)");
        rejects(() -> Softmax.softmax(Long.MAX_VALUE / 2, 3, ten, 0, out, 0), "softmax", "overflows");
        rejects(() -> Reductions.rowArgmax(2, 5, ten, 0, MemorySegment.ofArray(new int[1]), 0), "row_argmax", "out");
        rejects(() -> Reductions.colSum(2, 5, ten, 0, MemorySegment.ofArray(new float[4]), 0), "col_sum", "out", "[0, 5)");
    }

    @Test
    void labelsAreChecked() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment x = arena.allocate(6 * 4);
            MemorySegment labels = arena.allocate(2 * 4);
            labels.setAtIndex(JAVA_INT, 0, 1);
            labels.setAtIndex(JAVA_INT, 1, 3);
            rejects(() -> Losses.softmaxCrossEntropy(2, 3, x, 0, labels, 0, null, 0), "softmax_loss", "labels[1] = 3", "[0, 3)");
            rejects(() -> Losses.svmHinge(2, 3, 1f, x, 0, labels, 0, null, 0), "svm_loss", "labels[1] = 3");
            rejects(() -> Losses.softmaxCrossEntropy(0, 3, x, 0, labels, 0, null, 0), "softmax_loss", "n (batch)", "> 0");
            rejects(() -> Losses.svmHinge(2, 3, Float.NaN, x, 0, labels, 0, null, 0), "svm_loss", "margin");
            labels.setAtIndex(JAVA_INT, 1, 2);
            rejects(() -> Losses.softmaxCrossEntropy(2, 3, x, 0, labels, 0, arena.allocate(4), 0), "softmax_loss", "dx");
            rejects(() -> Losses.mse(MseReduction.MEAN, 6, 4, x, 0, x, 0, null, 0), "mse_loss", "multiple of the batch");
            rejects(() -> Losses.sigmoidBce(7, x, 0, x, 0, null, 0), "sigmoid_bce_loss", "x");
            rejects(() -> MseReduction.parse("sum"), "mse_loss", "valid: mean, euclidean");
        }
    }

    @Test
    void zeroSizesAreNoOps() {
        MemorySegment empty = MemorySegment.ofArray(new float[0]);
        Activations.relu(0, empty, 0, empty, 0);
        Elementwise.add(0, empty, 0, empty, 0, empty, 0);
        Softmax.softmax(0, 5, empty, 0, empty, 0);
        Reductions.colSum(0, 0, empty, 0, empty, 0);
        MemorySegment out = MemorySegment.ofArray(new float[] {42f});
        Reductions.rowSum(1, 0, empty, 0, out, 0);
        assertEquals(0f, out.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0));
    }

    @Test
    void aClosedArenaFailsWithTheJdkException() {
        Arena arena = Arena.ofConfined();
        MemorySegment x = arena.allocate(16 * 4);
        arena.close();
        assertThrows(IllegalStateException.class, () -> Activations.relu(16, x, 0, x, 0));
    }
}
