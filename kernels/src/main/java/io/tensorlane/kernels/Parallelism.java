package io.tensorlane.kernels;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

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
     * exception thrown by a chunk is rethrown on the caller.
     */
    public void parallelFor(long start, long end, long grain, RangeBody body) {
        if (grain < 1) throw new IllegalArgumentException("parallelFor: grain must be >= 1, got " + grain);
        if (end <= start) return;
        long chunks = (end - start + grain - 1) / grain;
        if (threads == 1 || chunks == 1) {
            for (long s = start; s < end; s += grain) {
                body.run(s, Math.min(end, s + grain));
            }
            return;
        }
        // Chunks are claimed dynamically by up to `threads` workers; which thread runs a chunk does
        // not change what the chunk computes.
        int workers = (int) Math.min(threads, chunks);
        java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
        Runnable worker = () -> {
            for (long c; (c = next.getAndIncrement()) < chunks; ) {
                long s = start + c * grain;
                body.run(s, Math.min(end, s + grain));
            }
        };
        Executor ex = executor != null ? executor : SharedPool.get(threads - 1);
        List<CompletableFuture<Void>> helpers = new ArrayList<>(workers - 1);
        for (int w = 1; w < workers; w++) {
            helpers.add(CompletableFuture.runAsync(worker, ex));
        }
        Throwable failure = null;
        try {
            worker.run();
        } catch (Throwable t) {
            failure = t;
        }
        for (CompletableFuture<Void> f : helpers) {
            try {
                f.join();
            } catch (CompletionException e) {
                if (failure == null) failure = e.getCause();
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new IllegalStateException(failure);
    }

    @Override
    public String toString() {
        return threads == 1 ? "Parallelism[single]"
                : "Parallelism[" + threads + " threads" + (executor != null ? ", injected executor" : "") + "]";
    }

    /** A process-wide pool of daemon threads, grown on demand, never shrunk; no thread is made per call. */
    private static final class SharedPool {
        private static final AtomicInteger IDS = new AtomicInteger();
        private static volatile ExecutorService pool;
        private static volatile int size;

        static Executor get(int wanted) {
            ExecutorService p = pool;
            if (p != null && size >= wanted) return p; // steady state: no lock
            return grow(wanted);
        }

        private static synchronized Executor grow(int wanted) {
            if (pool == null || size < wanted) {
                ExecutorService old = pool;
                size = Math.max(wanted, Runtime.getRuntime().availableProcessors());
                pool = Executors.newFixedThreadPool(size, r -> {
                    Thread t = new Thread(r, "tensorlane-worker-" + IDS.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
                if (old != null) old.shutdown();
            }
            return pool;
        }
    }
}
