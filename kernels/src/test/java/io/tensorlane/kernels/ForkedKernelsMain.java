package io.tensorlane.kernels;

import java.lang.foreign.MemorySegment;

/**
 * Run in a forked JVM by {@link KernelSelectionTest}: computes relu and softmax on a few values
 * through the public entry points, prints {@code describe: <Kernels.describe()>}, and exits 0 only
 * when the results are right (1 when wrong, 3 when selecting the kernels threw).
 */
public final class ForkedKernelsMain {
    private ForkedKernelsMain() {
    }

    public static void main(String[] args) {
        try {
            float[] x = {-2f, -0.5f, 0f, 0.5f, 3f, 1000f};
            float[] y = new float[x.length];
            Activations.relu(x.length, MemorySegment.ofArray(x), 0, MemorySegment.ofArray(y), 0);
            float[] relu = {0f, 0f, 0f, 0.5f, 3f, 1000f};
            boolean ok = java.util.Arrays.equals(relu, y);
            // two rows of three: [-2, -0.5, 0] and [0.5, 3, 1000]
            Softmax.softmax(2, 3, MemorySegment.ofArray(x), 0, MemorySegment.ofArray(y), 0);
            double s = Math.exp(-2) + Math.exp(-0.5) + 1;
            double[] expected = {Math.exp(-2) / s, Math.exp(-0.5) / s, 1 / s, 0, 0, 1};
            for (int i = 0; i < y.length; i++) ok &= Math.abs(y[i] - expected[i]) <= 1e-6;
            System.out.println("describe: " + Kernels.describe());
            System.out.println(ok ? "results: ok" : "results: WRONG " + java.util.Arrays.toString(y));
            System.exit(ok ? 0 : 1);
        } catch (Throwable t) {
            t.printStackTrace(System.out);
            System.exit(3);
        }
    }
}
