package io.tensorlane.runtime;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.ref.Cleaner;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Arenas with optional leak tracking. With {@code -Dtensorlane.debugLeaks=true}, arenas made here
 * remember where they were created and where each allocation came from:
 * <ul>
 *   <li>a closeable arena ({@link #arena()}, {@link #confinedArena()}) that becomes unreachable
 *       without {@code close()} is reported, with its creation site and its allocations grouped by
 *       site. Its memory can then never be freed (nobody can call {@code close()} any more), exactly
 *       as without tracking: the report does not change behaviour, it says where the leak is;</li>
 *   <li>{@link #openArenas()} lists every tracked arena still open (auto arenas included), so a
 *       test or a long-running service can see what holds memory and who allocated it;</li>
 *   <li>{@link #liveTensors()} lists tensors allocated by {@link Tensor#allocate} from any arena,
 *       the JDK's own {@code Arena.ofAuto()} included, whose memory is still held, with their
 *       allocation sites: for auto arenas this is what "leak" means (memory the GC cannot reclaim
 *       because something still references it);</li>
 *   <li>at JVM exit, closeable arenas still open are reported.</li>
 * </ul>
 * Without the property the arenas are the JDK's own, untracked, with no overhead. The property is
 * read when an arena or tensor is created, so it can be switched on for part of a program.
 *
 * <p>Reports go to the {@code io.tensorlane.runtime} {@link System.Logger} at WARNING, or to the
 * sink given to {@link #setReporter}; they read
 * {@code tensorlane: arena created at <site> was never closed (N bytes)} followed by one line per
 * allocation site.
 */
public final class Memory {
    /** {@code -Dtensorlane.debugLeaks=true} turns tracking on. */
    public static final String DEBUG_LEAKS_PROPERTY = "tensorlane.debugLeaks";

    private static final Set<Tracked> OPEN = ConcurrentHashMap.newKeySet();
    private static final Set<LiveTensor> LIVE = ConcurrentHashMap.newKeySet();
    private static final java.lang.ref.ReferenceQueue<MemorySegment> COLLECTED = new java.lang.ref.ReferenceQueue<>();
    private static final Consumer<String> TO_LOGGER = msg -> System.getLogger("io.tensorlane.runtime")
            .log(System.Logger.Level.WARNING, msg);
    private static volatile Consumer<String> reporter = TO_LOGGER;

    /**
     * The cleaner thread and the exit hook, started only when a tracked arena is first made, so that
     * programs without {@value #DEBUG_LEAKS_PROPERTY} pay nothing.
     */
    private static final class Tracking {
        static final Cleaner CLEANER = Cleaner.create(r -> {
            Thread t = new Thread(r, "tensorlane-leak-cleaner");
            t.setDaemon(true);
            return t;
        });

        static {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                // java.util.logging resets its handlers in its own shutdown hook, which may run first and
                // drop the message: the default exit report goes straight to stderr.
                Consumer<String> sink = reporter == TO_LOGGER ? System.err::println : reporter;
                for (Tracked t : OPEN) {
                    if (t.closeable) sink.accept(t.describe("is still open at JVM exit"));
                }
            }, "tensorlane-leak-report"));
        }
    }

    private Memory() {
    }

    /** Whether leak tracking is on ({@value #DEBUG_LEAKS_PROPERTY}). */
    public static boolean trackingEnabled() {
        return Boolean.getBoolean(DEBUG_LEAKS_PROPERTY);
    }

    /**
     * A shared (any-thread), closeable arena; tracked when leak tracking is on. Multi-threaded ops
     * need memory every pool thread may touch: shared, auto or heap, not confined.
     */
    public static Arena arena() {
        Arena a = Arena.ofShared();
        return trackingEnabled() ? new TrackedArena(a, true) : a;
    }

    /**
     * A confined (owner-thread-only) closeable arena; tracked when leak tracking is on. Ops on its
     * tensors run on the calling thread only (the JDK forbids other threads from touching it).
     */
    public static Arena confinedArena() {
        Arena a = Arena.ofConfined();
        return trackingEnabled() ? new TrackedArena(a, true) : a;
    }

    /** An automatic arena (freed by the GC); tracked when leak tracking is on. */
    public static Arena autoArena() {
        Arena a = Arena.ofAuto();
        return trackingEnabled() ? new TrackedArena(a, false) : a;
    }

    /** One line per tracked arena still open: creation site, bytes, allocations by site. */
    public static List<String> openArenas() {
        List<String> out = new ArrayList<>();
        for (Tracked t : OPEN) out.add(t.describe("is open"));
        return out;
    }

    /**
     * One line per tensor allocated while tracking was on whose memory is still held (its segment is
     * reachable and its arena open): bytes, dtype and shape, allocation site. Tensors from tracked
     * arenas are listed by {@link #openArenas()} instead.
     */
    public static List<String> liveTensors() {
        purgeCollected();
        List<String> out = new ArrayList<>();
        for (LiveTensor t : LIVE) {
            MemorySegment seg = t.get();
            if (seg == null || !seg.scope().isAlive()) {
                LIVE.remove(t);
            } else {
                out.add("tensorlane: " + t.what + " (" + t.bytes + " bytes) allocated at " + t.site + " is still held");
            }
        }
        return out;
    }

    /** Called by {@link Tensor#allocate}: remembers where a tensor came from, when tracking is on. */
    static void recordTensor(Arena arena, MemorySegment seg, DType dtype, long[] shape, long bytes) {
        if (arena instanceof TrackedArena || !trackingEnabled()) return; // tracked arenas record their own
        purgeCollected();
        LIVE.add(new LiveTensor(seg, dtype + " " + java.util.Arrays.toString(shape), bytes, site()));
    }

    private static void purgeCollected() {
        for (java.lang.ref.Reference<? extends MemorySegment> r; (r = COLLECTED.poll()) != null; ) {
            LIVE.remove(r);
        }
    }

    /** Weakly refers to a tensor's segment, so tracking never keeps auto-arena memory alive. */
    private static final class LiveTensor extends java.lang.ref.WeakReference<MemorySegment> {
        final String what;
        final long bytes;
        final String site;

        LiveTensor(MemorySegment seg, String what, long bytes, String site) {
            super(seg, COLLECTED);
            this.what = what;
            this.bytes = bytes;
            this.site = site;
        }
    }

    /**
     * Where leak reports go (default: the {@code io.tensorlane.runtime} System.Logger at WARNING, and
     * stderr at JVM exit); {@code null} restores the default.
     */
    public static void setReporter(Consumer<String> sink) {
        reporter = sink == null ? TO_LOGGER : sink;
    }

    /** The first caller frame outside tensorlane's runtime and the JDK, and the two frames above it. */
    private static String site() {
        StackTraceElement[] st = new Throwable().getStackTrace();
        for (int i = 0; i < st.length; i++) {
            String c = st[i].getClassName();
            if (!c.startsWith("io.tensorlane.runtime.Memory") && !c.startsWith("io.tensorlane.runtime.Tensor")
                    && !c.startsWith("io.tensorlane.runtime.Ops") && !c.startsWith("java.")) {
                StringBuilder b = new StringBuilder(st[i].toString());
                for (int j = i + 1; j < Math.min(st.length, i + 3); j++) b.append(" <- ").append(st[j]);
                return b.toString();
            }
        }
        return st.length > 0 ? st[st.length - 1].toString() : "?";
    }

    /** The state a report needs; never refers to the arena wrapper, so the wrapper can become unreachable. */
    private static final class Tracked implements Runnable {
        final Arena delegate;
        final boolean closeable;
        final String createdAt = site();
        final Map<String, long[]> bySite = new LinkedHashMap<>(); // site -> {count, bytes}
        volatile boolean closed;

        Tracked(Arena delegate, boolean closeable) {
            this.delegate = delegate;
            this.closeable = closeable;
        }

        synchronized void record(long bytes) {
            long[] v = bySite.computeIfAbsent(site(), s -> new long[2]);
            v[0]++;
            v[1] += bytes;
        }

        synchronized String describe(String state) {
            long total = 0;
            StringBuilder b = new StringBuilder();
            for (Map.Entry<String, long[]> e : bySite.entrySet()) {
                total += e.getValue()[1];
                b.append("\n    ").append(e.getValue()[1]).append(" bytes in ").append(e.getValue()[0])
                        .append(" allocation(s) at ").append(e.getKey());
            }
            return "tensorlane: arena created at " + createdAt + " " + state + " (" + total + " bytes)" + b;
        }

        @Override
        public void run() { // the wrapper became unreachable
            OPEN.remove(this);
            if (!closed && closeable) {
                reporter.accept(describe("was never closed"));
            }
        }
    }

    /** An arena that records its allocation sites for leak reports. */
    private static final class TrackedArena implements Arena {
        private final Tracked state;
        private final Cleaner.Cleanable cleanable;

        TrackedArena(Arena delegate, boolean closeable) {
            state = new Tracked(delegate, closeable);
            OPEN.add(state);
            cleanable = Tracking.CLEANER.register(this, state);
        }

        @Override
        public MemorySegment allocate(long byteSize, long byteAlignment) {
            MemorySegment s = state.delegate.allocate(byteSize, byteAlignment);
            state.record(byteSize);
            return s;
        }

        @Override
        public MemorySegment.Scope scope() {
            return state.delegate.scope();
        }

        @Override
        public void close() {
            state.delegate.close(); // throws UnsupportedOperationException for auto arenas, like the JDK's
            state.closed = true;
            OPEN.remove(state);
            cleanable.clean();
        }
    }
}
