package io.tensorlane.kernels;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ParallelismTest {
    @Test
    void singleRunsEverythingOnTheCaller() {
        Thread caller = Thread.currentThread();
        AtomicLong covered = new AtomicLong();
        Parallelism.single().parallelFor(0, 1000, 7, (from, to) -> {
            assertSame(caller, Thread.currentThread());
            covered.addAndGet(to - from);
        });
        assertEquals(1000, covered.get());
        assertTrue(Parallelism.threads(1).isSingle());
    }

    @Test
    void chunksCoverTheRangeExactlyOnceWithFixedBoundaries() {
        for (int threads : new int[] {1, 2, 3, 5}) {
            int[] hits = new int[1003];
            Set<String> chunks = ConcurrentHashMap.newKeySet();
            Parallelism.threads(threads).parallelFor(3, 1003, 10, (from, to) -> {
                chunks.add(from + ":" + to);
                for (long i = from; i < to; i++) hits[(int) i]++; // disjoint chunks: no race
            });
            for (int i = 0; i < 1003; i++) assertEquals(i < 3 ? 0 : 1, hits[i], "index " + i);
            assertEquals(100, chunks.size());
            assertTrue(chunks.contains("993:1003"));
        }
    }

    @Test
    void thePoolIsReusedNotRecreated() {
        Parallelism p = Parallelism.threads(3);
        p.parallelFor(0, 64, 1, (f, t) -> sleepBriefly());
        long before = countWorkers();
        for (int i = 0; i < 50; i++) p.parallelFor(0, 64, 1, (f, t) -> { });
        assertEquals(before, countWorkers(), "no thread is created per call");
        Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("tensorlane-worker-"))
                .forEach(t -> assertTrue(t.isDaemon(), t.getName()));
    }

    private static long countWorkers() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("tensorlane-worker-")).count();
    }

    private static void sleepBriefly() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void anInjectedExecutorIsUsed() {
        AtomicInteger submitted = new AtomicInteger();
        ExecutorService ex = Executors.newFixedThreadPool(2);
        try {
            Parallelism p = Parallelism.on(r -> {
                submitted.incrementAndGet();
                ex.execute(r);
            }, 3);
            AtomicLong sum = new AtomicLong();
            p.parallelFor(0, 100, 10, (from, to) -> sum.addAndGet(to - from));
            assertEquals(100, sum.get());
            assertEquals(2, submitted.get(), "two helpers beside the caller");
        } finally {
            ex.shutdown();
        }
    }

    @Test
    void exceptionsReachTheCaller() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Parallelism.threads(2).parallelFor(0, 100, 1, (f, t) -> {
            if (f == 57) throw new IllegalStateException("boom at 57");
        }));
        assertEquals("boom at 57", e.getMessage(), "the chunk's own exception, not a wrapper");
        assertThrows(IllegalStateException.class, () -> Parallelism.single().parallelFor(0, 100, 1, (f, t) -> {
            if (f == 57) throw new IllegalStateException("boom at 57");
        }));
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Parallelism.threads(0));
        assertThrows(IllegalArgumentException.class, () -> Parallelism.single().parallelFor(0, 10, 0, (f, t) -> { }));
        assertThrows(IllegalArgumentException.class, () -> Parallelism.on(null, 2));
    }

    @Test
    void theCallerTakesPartAndWorkersAreNamedDaemons() {
        Thread caller = Thread.currentThread();
        Set<Thread> seen = ConcurrentHashMap.newKeySet();
        java.util.concurrent.CountDownLatch bothBusy = new java.util.concurrent.CountDownLatch(2);
        Parallelism.threads(2).parallelFor(0, 2, 1, (f, t) -> {
            seen.add(Thread.currentThread());
            bothBusy.countDown();
            try {
                // each of the two chunks waits for the other: only passes if two threads run them
                assertTrue(bothBusy.await(30, java.util.concurrent.TimeUnit.SECONDS), "the two chunks never ran together");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        assertEquals(2, seen.size());
        assertTrue(seen.contains(caller), "the caller works on chunks too");
        seen.remove(caller);
        Thread worker = seen.iterator().next();
        assertTrue(worker.getName().startsWith("tensorlane-worker-"), worker.getName());
        assertTrue(worker.isDaemon());
    }

    @Test
    void nestedParallelForsDoNotDeadlockOnASaturatedPool() throws InterruptedException {
        // Every pool thread runs an outer chunk that itself calls parallelFor; the inner helpers queue
        // behind the busy pool. The inner callers must finish their chunks themselves rather than wait
        // for helpers that cannot start.
        Parallelism p = Parallelism.threads(Runtime.getRuntime().availableProcessors() + 1);
        AtomicLong total = new AtomicLong();
        // A daemon thread, so that a deadlock fails this test instead of keeping the JVM alive.
        Thread outer = new Thread(() ->
                p.parallelFor(0, 64, 1, (f, t) -> p.parallelFor(0, 1000, 10, (a, b) -> total.addAndGet(b - a))));
        outer.setDaemon(true);
        outer.start();
        outer.join(60_000);
        assertFalse(outer.isAlive(), "nested parallelFor deadlocked");
        assertEquals(64 * 1000, total.get());
    }

    @Test
    void aRejectingExecutorLeavesTheWorkToTheCaller() {
        Thread caller = Thread.currentThread();
        AtomicLong covered = new AtomicLong();
        Parallelism p = Parallelism.on(r -> {
            throw new java.util.concurrent.RejectedExecutionException("shut down");
        }, 4);
        p.parallelFor(0, 100, 3, (f, t) -> {
            assertSame(caller, Thread.currentThread());
            covered.addAndGet(t - f);
        });
        assertEquals(100, covered.get());
    }

    @Test
    void afterAFailureNoChunkRunsOnceTheCallerHasReturned() throws Exception {
        AtomicLong started = new AtomicLong(), finished = new AtomicLong();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Parallelism.threads(3).parallelFor(0, 10_000, 1, (f, t) -> {
            started.incrementAndGet();
            if (f == 5) throw new IllegalArgumentException("chunk 5");
            sleepBriefly();
            finished.incrementAndGet();
        }));
        assertEquals("chunk 5", e.getMessage());
        long doneAtReturn = finished.get();
        assertEquals(started.get() - 1, doneAtReturn, "every started chunk had finished when the exception arrived");
        assertTrue(started.get() < 10_000, "chunks not yet started are skipped after a failure");
        Thread.sleep(50);
        assertEquals(doneAtReturn, finished.get(), "nothing runs after parallelFor returned");
    }

    @Test
    void errorsAndCheckedThrowablesReachTheCaller() {
        assertThrows(AssertionError.class, () -> Parallelism.threads(2).parallelFor(0, 8, 1, (f, t) -> {
            if (f == 6) throw new AssertionError("6");
        }));
    }

    @Test
    void extremeRangesDoNotOverflow() {
        AtomicLong covered = new AtomicLong();
        long start = Long.MAX_VALUE - 10;
        Parallelism.threads(2).parallelFor(start, Long.MAX_VALUE, 4, (f, t) -> {
            assertTrue(f >= start && t <= Long.MAX_VALUE && f < t, f + ".." + t);
            covered.addAndGet(t - f);
        });
        assertEquals(10, covered.get());
        assertThrows(IllegalArgumentException.class, () -> Parallelism.single().parallelFor(Long.MIN_VALUE, Long.MAX_VALUE, 1, (f, t) -> { }));
        Parallelism.threads(2).parallelFor(5, 5, 1, (f, t) -> fail("empty range"));
        Parallelism.threads(2).parallelFor(5, 2, 1, (f, t) -> fail("reversed range"));
    }

    @Test
    void defaultsComeFromTheThreadsProperty() {
        String old = System.getProperty(Parallelism.THREADS_PROPERTY);
        try {
            System.setProperty(Parallelism.THREADS_PROPERTY, "3");
            assertEquals(3, Parallelism.defaultThreadCount());
            System.setProperty(Parallelism.THREADS_PROPERTY, "zero");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, Parallelism::defaultThreadCount);
            assertTrue(e.getMessage().contains("-Dtensorlane.threads=zero is not a positive integer"), e.getMessage());
            System.clearProperty(Parallelism.THREADS_PROPERTY);
            assertEquals(Runtime.getRuntime().availableProcessors(), Parallelism.defaultThreadCount());
        } finally {
            if (old == null) System.clearProperty(Parallelism.THREADS_PROPERTY);
            else System.setProperty(Parallelism.THREADS_PROPERTY, old);
        }
    }
}
