package io.tensorlane.bench.jmh;

import io.tensorlane.bench.harness.ResultCheck;
import io.tensorlane.kernels.ActivationKernels;
import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** relu / sigmoid / tanh forward, scalar twin vs SIMD, over sizes from L1-resident to DRAM-bound. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ActivationBench {
    @Param({"4096", "1048576", "16777216"})
    long size;

    @Param({"scalar", "simd"})
    String impl;

    private Arena arena;
    private MemorySegment x, y;
    private ActivationKernels k;

    @Setup
    public void setup() {
        k = Kernels.get(Impl.parse(impl)).activations();
        arena = Arena.ofShared();
        x = arena.allocate(size * 4, 64);
        y = arena.allocate(size * 4, 64);
        SplittableRandom r = new SplittableRandom(1);
        for (long i = 0; i < size; i++) x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 12 - 6));
        // Every benchmarked kernel is checked against its scalar twin before anything is timed.
        MemorySegment ref = arena.allocate(size * 4, 64);
        ActivationKernels scalar = Kernels.get(Impl.SCALAR).activations();
        scalar.relu(size, x, 0, ref, 0);
        k.relu(size, x, 0, y, 0);
        ResultCheck.assertClose("relu", impl, ref, y, size, 0, 0);
        scalar.sigmoid(size, x, 0, ref, 0);
        k.sigmoid(size, x, 0, y, 0);
        ResultCheck.assertClose("sigmoid", impl, ref, y, size, 2e-6, 1e-30);
        scalar.tanh(size, x, 0, ref, 0);
        k.tanh(size, x, 0, y, 0);
        ResultCheck.assertClose("tanh", impl, ref, y, size, 3e-6, 1e-30);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void relu() {
        k.relu(size, x, 0, y, 0);
    }

    @Benchmark
    public void sigmoid() {
        k.sigmoid(size, x, 0, y, 0);
    }

    @Benchmark
    public void tanh() {
        k.tanh(size, x, 0, y, 0);
    }
}
