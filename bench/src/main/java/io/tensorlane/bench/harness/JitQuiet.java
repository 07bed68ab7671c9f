package io.tensorlane.bench.harness;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;

/**
 * Waiting for the JIT's compile queue to drain before timing. On a small machine the compiler threads that
 * a warm-up started compete with the timed calls, and a method still waiting in the queue runs interpreted
 * or in C1 code: a kernel looked 10x slower on the first shapes of a `bench gemm` run, and a digits-CNN
 * training step ran steadily at ~2x its compiled time (C2 compiled the SGEMM's macro kernel 7.5 s into the
 * run) until the queue had drained.
 */
public final class JitQuiet {
    private JitQuiet() {
    }

    /** Waits (at most {@code maxMs}) until the JIT has compiled nothing for 300 ms; no-op without JIT monitoring. */
    public static void await(long maxMs) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) return;
        long end = System.nanoTime() + maxMs * 1_000_000L;
        long last = jit.getTotalCompilationTime();
        while (System.nanoTime() < end) {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            long now = jit.getTotalCompilationTime();
            if (now == last) return;
            last = now;
        }
    }
}
