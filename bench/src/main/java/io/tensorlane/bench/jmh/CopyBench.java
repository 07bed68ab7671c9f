package io.tensorlane.bench.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** MemorySegment.copy: the memory-bandwidth baseline the elementwise kernels are compared with. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CopyBench {
    @Param({"4096", "1048576", "16777216"})
    long size;

    private Arena arena;
    private MemorySegment x, y;

    @Setup
    public void setup() {
        arena = Arena.ofShared();
        x = arena.allocate(size * 4, 64);
        y = arena.allocate(size * 4, 64);
        for (long i = 0; i < size; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, i * 0.5f);
        copy();
        if (x.mismatch(y) != -1) throw new IllegalStateException("copy: destination differs from source");
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void copy() {
        MemorySegment.copy(x, 0, y, 0, size * 4);
    }
}
