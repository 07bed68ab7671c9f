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
 *   <li>a closeable arena ({@link #arena()}) that becomes unreachable without {@code close()} is
 *       reported, with its creation site and its allocations grouped by site, and then freed;</li>
 *   <li>{@link #openArenas()} lists every tracked arena still open (auto arenas included), so a
 *       test or a long-running service can see what holds memory and who allocated it;</li>
 *   <li>at JVM exit, closeable arenas still open are reported.</li>
 * </ul>
 * Without the property the arenas are the JDK's own, untracked, with no overhead.
 */
public final class Memory {
    /** {@code -Dtensorlane.debugLeaks=true} turns tracking on. */
    public static final String DEBUG_LEAKS_PROPERTY = "tensorlane.debugLeaks";

    private static final Cleaner CLEANER = Cleaner.create(r -> {
        Thread t = new Thread(r, "tensorlane-leak-cleaner");
        t.setDaemon(true);
        return t;
    });
    private static final Set<Tracked> OPEN = ConcurrentHashMap.newKeySet();
    private static volatile Consumer<String> reporter = msg -> System.getLogger("io.tensorlane.runtime")
            .log(System.Logger.Level.WARNING, msg);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (Tracked t : OPEN) {
                if (t.closeable) reporter.accept(t.describe("is still open at JVM exit"));
            }
        }, "tensorlane-leak-report"));
    }

    private Memory() {
    }

    /** Whether leak tracking is on ({@value #DEBUG_LEAKS_PROPERTY}). */
    public static boolean trackingEnabled() {
        return Boolean.getBoolean(DEBUG_LEAKS_PROPERTY);
    }

    /** A shared (any-thread), closeable arena; tracked when leak tracking is on. */
    public static Arena arena() {
        Arena a = Arena.ofShared();
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

    /** Where leak reports go (default: the {@code io.tensorlane.runtime} System.Logger at WARNING). */
    public static void setReporter(Consumer<String> sink) {
        reporter = sink == null ? reporter : sink;
    }

    private static String site() {
        StackTraceElement[] st = new Throwable().getStackTrace();
        for (StackTraceElement e : st) {
            String c = e.getClassName();
            if (!c.startsWith("io.tensorlane.runtime.Memory") && !c.startsWith("io.tensorlane.runtime.Tensor")
                    && !c.startsWith("io.tensorlane.runtime.Ops") && !c.startsWith("java.")) {
                return e.toString();
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
                reporter.accept(describe("was never closed; freeing it now"));
                delegate.close();
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
            cleanable = CLEANER.register(this, state);
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
