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
        assertEquals("boom at 57", e.getMessage());
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Parallelism.threads(0));
        assertThrows(IllegalArgumentException.class, () -> Parallelism.single().parallelFor(0, 10, 0, (f, t) -> { }));
        assertThrows(IllegalArgumentException.class, () -> Parallelism.on(null, 2));
    }
}
