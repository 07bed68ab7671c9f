package io.tensorlane.bench.jmh;

import io.tensorlane.bench.gemm.OpenBlasAnchor;
import io.tensorlane.bench.harness.ResultCheck;
import io.tensorlane.kernels.GemmKernels;
import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.Kernels;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Trans;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

/**
 * SGEMM C = A B (row-major, beta 0) over the shapes of {@code bench gemm}: tensorlane SIMD, the scalar
 * twin (only up to 256^3: above that one call takes seconds) and OpenBLAS through FFM when
 * {@code libopenblas.so.0} is installed (otherwise that combination fails in setup and JMH moves on).
 * Each result is checked against the scalar twin (or, above 256^3, against the SIMD result for OpenBLAS)
 * before anything is timed. Single-threaded.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GemmBench {
    @Param({"64x64x64", "128x128x128", "256x256x256", "512x512x512", "1024x1024x1024", "64x3136x576",
            "96x3025x363", "1x1000x4096"})
    String shape;

    @Param({"simd", "scalar", "openblas"})
    String impl;

    private Arena arena;
    private MemorySegment a, b, c;
    private int m, n, k;
    private Runnable call;

    @Setup
    public void setup() {
        String[] d = shape.split("x");
        m = Integer.parseInt(d[0]);
        n = Integer.parseInt(d[1]);
        k = Integer.parseInt(d[2]);
        long work = (long) m * n * k;
        if (impl.equals("scalar") && work > 256L * 256 * 256) {
            throw new IllegalStateException("scalar GEMM is not timed above 256^3 (one call takes seconds)");
        }
        arena = Arena.ofShared();
        a = random((long) m * k, 1);
        b = random((long) k * n, 2);
        c = arena.allocate((long) m * n * 4, 64);
        Parallelism one = Parallelism.single();
        switch (impl) {
            case "simd", "scalar" -> {
                GemmKernels g = Kernels.get(Impl.parse(impl)).gemm();
                call = () -> g.sgemm(Trans.N, Trans.N, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n, one);
            }
            case "openblas" -> {
                OpenBlasAnchor.Result r = OpenBlasAnchor.load();
                OpenBlasAnchor ob = r.anchor().orElseThrow(() -> new IllegalStateException("openblas: " + r.whyNot()));
                ob.setThreads(1);
                call = () -> ob.sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n);
            }
            default -> throw new IllegalArgumentException("impl " + impl);
        }
        call.run();
        GemmKernels ref = Kernels.get(work <= 256L * 256 * 256 ? Impl.SCALAR : Impl.SIMD).gemm();
        if (!impl.equals("scalar") && !(impl.equals("simd") && work > 256L * 256 * 256)) {
            MemorySegment expected = arena.allocate((long) m * n * 4, 64);
            ref.sgemm(Trans.N, Trans.N, m, n, k, 1f, a, 0, k, b, 0, n, 0f, expected, 0, n, one);
            ResultCheck.assertClose("sgemm " + shape, impl, expected, c, (long) m * n, 1e-4, 1e-5 * k);
        }
    }

    private MemorySegment random(long count, long seed) {
        MemorySegment s = arena.allocate(count * 4, 64);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < count; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 2 - 1));
        return s;
    }

    @TearDown
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void sgemm() {
        call.run();
    }
}
