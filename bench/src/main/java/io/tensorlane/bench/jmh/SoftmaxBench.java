package io.tensorlane.bench.jmh;

import io.tensorlane.bench.harness.ResultCheck;
import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.Kernels;
import io.tensorlane.kernels.SoftmaxKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/** softmax 256x1000 forward and backward (the PyTorch anchor's workload), scalar twin vs SIMD. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SoftmaxBench {
    static final long ROWS = 256, COLS = 1000;

    @Param({"scalar", "simd"})
    String impl;

    private Arena arena;
    private MemorySegment x, y, dout, dx;
    private SoftmaxKernels k;

    @Setup
    public void setup() {
        k = Kernels.get(Impl.parse(impl)).softmax();
        arena = Arena.ofShared();
        long n = ROWS * COLS;
        x = arena.allocate(n * 4, 64);
        y = arena.allocate(n * 4, 64);
        dout = arena.allocate(n * 4, 64);
        dx = arena.allocate(n * 4, 64);
        SplittableRandom r = new SplittableRandom(2);
        for (long i = 0; i < n; i++) {
            x.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 20 - 10));
            dout.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 2 - 1));
        }
        // Forward and backward are checked against the scalar twin before anything is timed.
        SoftmaxKernels scalar = Kernels.get(Impl.SCALAR).softmax();
        MemorySegment ref = arena.allocate(n * 4, 64);
        scalar.softmax(ROWS, COLS, x, 0, ref, 0);
        k.softmax(ROWS, COLS, x, 0, y, 0);
        ResultCheck.assertClose("softmax fwd", impl, ref, y, n, 2e-5, 1e-30);
        scalar.softmaxBackward(ROWS, COLS, y, 0, dout, 0, ref, 0);
        k.softmaxBackward(ROWS, COLS, y, 0, dout, 0, dx, 0);
        ResultCheck.assertClose("softmax bwd", impl, ref, dx, n, 2e-5, 2e-6);
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void forward() {
        k.softmax(ROWS, COLS, x, 0, y, 0);
    }

    @Benchmark
    public void backward() {
        k.softmaxBackward(ROWS, COLS, y, 0, dout, 0, dx, 0);
    }
}
