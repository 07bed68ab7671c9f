package io.tensorlane.kernels;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * How many threads a kernel may use, and where they come from.
 *
 * <ul>
 *   <li>{@link #defaults()}: the {@code tensorlane.threads} system property, else the available processors;</li>
 *   <li>{@link #single()}: a true single-thread mode that runs every body on the calling thread;</li>
 *   <li>{@link #threads(int)}: a fixed count on the shared pool of daemon threads (created once, reused);</li>
 *   <li>{@link #on(Executor, int)}: an executor the caller injects (e.g. its own pool).</li>
 * </ul>
 *
 * <p>Work is split into chunks that depend only on the range and the grain, never on the thread
 * count, so a kernel whose chunks compute disjoint outputs gives bit-identical results for any count.
 * Lives in {@code kernels} (not {@code runtime}) because kernel entry points such as
 * {@code sgemm} take it; {@code runtime} re-exports it.
 */
public final class Parallelism {
    /** Name of the system property that sets the default thread count. */
    public static final String THREADS_PROPERTY = "tensorlane.threads";

    private static final Parallelism SINGLE = new Parallelism(1, null);
    private static volatile Parallelism defaults;

    private final int threads;
    private final Executor executor; // null: the caller alone (threads == 1) or the shared pool

    private Parallelism(int threads, Executor executor) {
        this.threads = threads;
        this.executor = executor;
    }

    /** Runs everything on the calling thread; no pool is touched. */
    public static Parallelism single() {
        return SINGLE;
    }

    /** {@code n} threads (the caller plus n-1 pool threads); {@code n == 1} is {@link #single()}. */
    public static Parallelism threads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("Parallelism: thread count must be >= 1, got " + n);
        }
        return n == 1 ? SINGLE : new Parallelism(n, null);
    }

    /** Up to {@code parallelism} concurrent chunks submitted to {@code executor} (the caller runs one too). */
    public static Parallelism on(Executor executor, int parallelism) {
        if (executor == null) throw new IllegalArgumentException("Parallelism: executor is null");
        if (parallelism < 1) {
            throw new IllegalArgumentException("Parallelism: parallelism must be >= 1, got " + parallelism);
        }
        return new Parallelism(parallelism, executor);
    }

    /** From {@code -Dtensorlane.threads=N}, else {@link Runtime#availableProcessors()}. */
    public static Parallelism defaults() {
        Parallelism d = defaults;
        if (d == null) {
            d = threads(defaultThreadCount());
            defaults = d;
        }
        return d;
    }

    static int defaultThreadCount() {
        String p = System.getProperty(THREADS_PROPERTY);
        if (p == null || p.isBlank()) return Runtime.getRuntime().availableProcessors();
        try {
            int n = Integer.parseInt(p.trim());
            if (n >= 1) return n;
        } catch (NumberFormatException ignored) {
            // fall through to the error below
        }
        throw new IllegalArgumentException("Parallelism: -D" + THREADS_PROPERTY + "=" + p
                + " is not a positive integer");
    }

    /** The number of threads that may run chunks at once. */
    public int threads() {
        return threads;
    }

    public boolean isSingle() {
        return threads == 1;
    }

    /**
     * Runs {@code body} over [start, end) in chunks of {@code grain} indices (the last may be shorter).
     * Chunk boundaries depend only on start, end and grain. Blocks until every chunk is done; the first
     * exception thrown by a chunk is rethrown on the caller (chunks not yet started are then skipped).
     *
     * <p>The caller works on chunks too and waits only for chunks that have been claimed, never for a
     * helper task that has not started: a {@code parallelFor} nested inside a chunk therefore cannot
     * deadlock on a saturated pool, it simply runs on the thread that called it. If the executor
     * rejects a helper, the caller does that helper's share.
     */
    public void parallelFor(long start, long end, long grain, RangeBody body) {
        if (grain < 1) throw new IllegalArgumentException("parallelFor: grain must be >= 1, got " + grain);
        if (body == null) throw new IllegalArgumentException("parallelFor: body is null");
        if (end <= start) return;
        long span = end - start;
        if (span < 0) {
            throw new IllegalArgumentException("parallelFor: range [" + start + ", " + end + ") overflows a long");
        }
        long chunks = (span - 1) / grain + 1;
        if (threads == 1 || chunks == 1) {
            for (long s = start; s < end; s += grain) {
                body.run(s, s + Math.min(grain, end - s));
            }
            return;
        }
        Job job = new Job(start, end, grain, chunks, body);
        int helpers = (int) Math.min(threads - 1, chunks - 1);
        Executor ex = executor != null ? executor : SharedPool.get(threads - 1);
        for (int h = 0; h < helpers; h++) {
            try {
                ex.execute(job::work);
            } catch (RejectedExecutionException e) {
                break; // the caller claims whatever the missing helpers would have done
            }
        }
        job.work();
        job.awaitAllChunks();
        Throwable failure = job.failure.get();
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new IllegalStateException(failure);
    }

    /**
     * One parallelFor: chunks are claimed dynamically by whichever thread asks next (which thread runs
     * a chunk does not change what it computes). Every chunk is claimed exactly once, by a helper or
     * by the caller, and counted as finished after it ran (or was skipped after a failure).
     */
    private static final class Job {
        private final long start, end, grain, chunks;
        private final RangeBody body;
        private final AtomicLong next = new AtomicLong();
        private final AtomicLong finished = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();

        Job(long start, long end, long grain, long chunks, RangeBody body) {
            this.start = start;
            this.end = end;
            this.grain = grain;
            this.chunks = chunks;
            this.body = body;
        }

        void work() {
            for (long c; (c = next.getAndIncrement()) < chunks; ) {
                try {
                    if (failure.get() == null) {
                        long s = start + c * grain;
                        body.run(s, s + Math.min(grain, end - s));
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                } finally {
                    if (finished.incrementAndGet() == chunks) {
                        synchronized (this) {
                            notifyAll();
                        }
                    }
                }
            }
        }

        /** Returns once every chunk has finished; the chunks' writes are then visible to the caller. */
        synchronized void awaitAllChunks() {
            boolean interrupted = false;
            while (finished.get() < chunks) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true; // chunks still write to the caller's memory: keep waiting
                }
            }
            if (interrupted) Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return threads == 1 ? "Parallelism[single]"
                : "Parallelism[" + threads + " threads" + (executor != null ? ", injected executor" : "") + "]";
    }

    /** A process-wide pool of daemon threads, grown on demand, never shrunk; no thread is made per call. */
    private static final class SharedPool {
        private static final AtomicInteger IDS = new AtomicInteger();

        /** Pool and size published together: reading them separately could pair a new size with an old pool. */
        private record Sized(ExecutorService pool, int size) {
        }

        private static volatile Sized current;

        static Executor get(int wanted) {
            Sized c = current;
            if (c != null && c.size >= wanted) return c.pool; // steady state: no lock
            return grow(wanted);
        }

        private static synchronized Executor grow(int wanted) {
            Sized c = current;
            if (c == null || c.size < wanted) {
                int size = Math.max(wanted, Runtime.getRuntime().availableProcessors());
                ExecutorService pool = Executors.newFixedThreadPool(size, r -> {
                    Thread t = new Thread(r, "tensorlane-worker-" + IDS.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
                current = new Sized(pool, size);
                // Tasks already queued on the old pool still run; new ones go to the new pool.
                if (c != null) c.pool.shutdown();
                c = current;
            }
            return c.pool;
        }
    }
}
