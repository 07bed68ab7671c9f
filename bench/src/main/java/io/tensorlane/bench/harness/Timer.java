package io.tensorlane.bench.harness;

import java.util.Arrays;

/** Median wall time of a call after warming it up; the same procedure for every implementation. */
public final class Timer {
    private Timer() {
    }

    /** Warm-up wall time: Vector API code runs interpreted (up to 1000x slower) until C2 compiles it. */
    static final long WARM_NANOS = 1_000_000_000L;
    /** Warm-up calls after which the kernel is surely compiled, so short calls stop warming early. */
    static final int WARM_CALLS = 20_000;

    /**
     * Warms up for at least {@code reps} calls and about a second (or {@value #WARM_CALLS} calls, if
     * sooner) so the JIT has compiled the kernel, then returns the median of {@code reps} timed calls,
     * in milliseconds.
     */
    public static double medianMs(Runnable call, int reps) {
        long warmUntil = System.nanoTime() + WARM_NANOS;
        int warm = 0;
        while (warm < reps || (System.nanoTime() < warmUntil && warm < WARM_CALLS)) {
            call.run();
            warm++;
        }
        return sampleMs(call, reps);
    }

    /** The median of {@code reps} timed calls of an already warmed-up call, in milliseconds (no warm-up). */
    public static double sampleMs(Runnable call, int reps) {
        if (reps < 1) throw new IllegalArgumentException("Timer: reps must be >= 1, got " + reps);
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
