package io.tensorlane.bench.harness;

import java.util.Arrays;

/** Median wall time of a call after warming it up; the same procedure for every implementation. */
public final class Timer {
    private Timer() {
    }

    /**
     * Warms up for at least {@code reps} calls and ~0.3 s (so the JIT has compiled the kernel), then
     * returns the median of {@code reps} timed calls, in milliseconds.
     */
    public static double medianMs(Runnable call, int reps) {
        long warmUntil = System.nanoTime() + 300_000_000L;
        int warm = 0;
        while (warm < reps || (System.nanoTime() < warmUntil && warm < 50 * reps)) {
            call.run();
            warm++;
        }
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long s = System.nanoTime();
            call.run();
            t[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(t);
        return reps % 2 == 1 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
    }
}
