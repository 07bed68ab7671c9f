package io.tensorlane.bench.harness;

import io.tensorlane.kernels.Parallelism;
import java.lang.foreign.MemorySegment;

/**
 * The bandwidth baseline of the memory-bound bench families: the JDK's own bulk copy
 * ({@code MemorySegment.copy}), split over the same threads as the kernels it is compared with. The
 * families time it before and again after their kernels and keep the faster median: on a shared machine a
 * single early sample can catch a noisy moment, and "vs copy" should compare with what memory can do.
 */
public final class CopyBaseline {
    private final Runnable copy;

    private CopyBaseline(Runnable copy) {
        this.copy = copy;
    }

    /** Copies {@code floats} floats from src to dst once and checks the result before anything is timed. */
    public static CopyBaseline checked(Parallelism par, MemorySegment src, MemorySegment dst, long floats) {
        Runnable copy = () -> par.parallelFor(0, floats, 1 << 18,
                (f, t) -> MemorySegment.copy(src, f * 4, dst, f * 4, (t - f) * 4));
        copy.run();
        long bytes = floats * 4;
        if (MemorySegment.mismatch(src, 0, bytes, dst, 0, bytes) != -1) {
            throw new ResultMismatchException("copy: destination differs from source");
        }
        return new CopyBaseline(copy);
    }

    /** Median ms of one copy over {@code reps} timed calls. */
    public double medianMs(int reps) {
        return Timer.medianMs(copy, reps);
    }
}
