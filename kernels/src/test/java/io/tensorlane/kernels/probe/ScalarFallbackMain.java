package io.tensorlane.kernels.probe;

import io.tensorlane.kernels.Activations;
import io.tensorlane.kernels.Kernels;
import io.tensorlane.kernels.Softmax;
import java.lang.foreign.MemorySegment;

/** Run in a forked JVM (see KernelSelectionTest): computes a few values and exits 0 only if they are right. */
public final class ScalarFallbackMain {
    public static void main(String[] args) {
        MemorySegment x = MemorySegment.ofArray(new float[] {-2f, -0.5f, 0.5f, 3f});
        MemorySegment y = MemorySegment.ofArray(new float[4]);
        Activations.relu(4, x, 0, y, 0);
        float[] r = y.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
        boolean ok = r[0] == 0f && r[1] == 0f && r[2] == 0.5f && r[3] == 3f;
        Softmax.softmax(1, 4, x, 0, y, 0);
        float[] p = y.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
        double sum = 0;
        for (float v : p) sum += v;
        double e3 = Math.exp(3) / (Math.exp(-2) + Math.exp(-0.5) + Math.exp(0.5) + Math.exp(3));
        ok &= Math.abs(sum - 1) < 1e-6 && Math.abs(p[3] - e3) < 1e-6;
        System.out.println("describe=" + Kernels.describe());
        System.out.println(ok ? "RESULT OK" : "RESULT WRONG " + java.util.Arrays.toString(r) + " " + java.util.Arrays.toString(p));
        System.exit(ok ? 0 : 1);
    }
}
