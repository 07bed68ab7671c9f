package io.tensorlane.bench.act;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.Kernels;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "act", mixinStandardHelpOptions = true,
        description = {
                "Times, in one process: copy (MemorySegment.copy, the memory-bandwidth baseline), relu fwd/bwd,",
                "sigmoid fwd, tanh fwd on N floats, and softmax fwd/bwd on 256x1000, for the scalar and SIMD",
                "kernels (through Ops, as a user calls them). Each result is checked against the scalar",
                "reference before timing. gbps counts bytes read + written; gflops is null (data movement).",
                "",
                "Examples:",
                "  ./tensorlane bench act",
                "  ./tensorlane bench act --size 1048576 --threads 2 --json act.json"})
final class ActBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--size", defaultValue = "16777216", paramLabel = "N", description = "Floats per elementwise array (default ${DEFAULT-VALUE} = 2^24).")
    long size;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "T", description = "Threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--reps", defaultValue = "11", paramLabel = "R", description = "Timed repetitions per row; the median is reported (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the rows as a JSON array.")
    Path json;

    private static final long SM_ROWS = 256, SM_COLS = 1000;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (size < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--size must be >= 1, got " + size);
        if (threads < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--threads must be >= 1, got " + threads);
        if (reps < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--reps must be >= 1, got " + reps);
        Parallelism par = Parallelism.threads(threads);
        List<BenchRow> rows = new ArrayList<>();
        out.println("bench act: " + Kernels.describe() + ", " + threads + " thread(s), N=" + size + ", median of " + reps);
        out.flush();
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.allocate(arena, DType.F32, size);
            Tensor dout = Tensor.allocate(arena, DType.F32, size);
            Tensor y = Tensor.allocate(arena, DType.F32, size);
            Tensor ref = Tensor.allocate(arena, DType.F32, size);
            fill(x, 1, -6, 6);
            fill(dout, 2, -1, 1);
            Tensor sx = Tensor.allocate(arena, DType.F32, SM_ROWS, SM_COLS);
            Tensor sd = Tensor.allocate(arena, DType.F32, SM_ROWS, SM_COLS);
            Tensor sy = Tensor.allocate(arena, DType.F32, SM_ROWS, SM_COLS);
            Tensor sref = Tensor.allocate(arena, DType.F32, SM_ROWS, SM_COLS);
            fill(sx, 3, -10, 10);
            fill(sd, 4, -1, 1);
            String n = Long.toString(size), sm = SM_ROWS + "x" + SM_COLS;
            long bytes = size * 4;

            MemorySegment src = x.segment(), dst = y.segment();
            double copyMs = Timer.medianMs(() -> par.parallelFor(0, size, 1 << 18,
                    (f, t) -> MemorySegment.copy(src, f * 4, dst, f * 4, (t - f) * 4)), reps);
            rows.add(row("copy", n, "jdk", copyMs, 2 * bytes));

            Ops scalar = Ops.on(Device.cpu(Impl.SCALAR)).with(par);
            List<Ops> impls = new ArrayList<>(List.of(scalar));
            if (Kernels.simdAvailable()) impls.add(Ops.on(Device.cpu(Impl.SIMD)).with(par));
            else out.println("(SIMD unavailable: " + Kernels.simdUnavailableReason().orElse("?") + ")");
            for (Ops ops : impls) {
                String impl = ops.device().kernels().impl().name().toLowerCase(java.util.Locale.ROOT);
                boolean isRef = ops == scalar;
                rows.add(timed(ops, scalar, isRef, "relu fwd", n, impl, 2 * bytes, y, ref, 0, 0,
                        o -> o.relu(x, y), o -> o.relu(x, ref)));
                rows.add(timed(ops, scalar, isRef, "relu bwd", n, impl, 3 * bytes, y, ref, 0, 0,
                        o -> o.reluBackward(x, dout, y), o -> o.reluBackward(x, dout, ref)));
                rows.add(timed(ops, scalar, isRef, "sigmoid fwd", n, impl, 2 * bytes, y, ref, 2e-6, 1e-30,
                        o -> o.sigmoid(x, y), o -> o.sigmoid(x, ref)));
                rows.add(timed(ops, scalar, isRef, "tanh fwd", n, impl, 2 * bytes, y, ref, 3e-6, 1e-30,
                        o -> o.tanh(x, y), o -> o.tanh(x, ref)));
                rows.add(timed(ops, scalar, isRef, "softmax fwd", sm, impl, 2 * SM_ROWS * SM_COLS * 4, sy, sref, 2e-5, 1e-30,
                        o -> o.softmax(sx, -1, sy), o -> o.softmax(sx, -1, sref)));
                Tensor prob = scalar.softmax(sx);
                rows.add(timed(ops, scalar, isRef, "softmax bwd", sm, impl, 3 * SM_ROWS * SM_COLS * 4, sy, sref, 2e-5, 2e-6,
                        o -> o.softmaxBackward(prob, sd, -1, sy), o -> o.softmaxBackward(prob, sd, -1, sref)));
            }
        }
        printTable(out, rows);
        if (json != null) {
            Path parent = json.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), rows);
            out.println("wrote " + rows.size() + " rows to " + json);
        }
        out.flush();
        return 0;
    }

    private interface Call {
        void run(Ops ops);
    }

    private BenchRow timed(Ops ops, Ops scalar, boolean isRef, String kernel, String shape, String impl, long bytes,
                           Tensor result, Tensor ref, double rtol, double atol, Call call, Call refCall) {
        if (!isRef) {
            // Correct first: the SIMD result must match the scalar twin before it is timed.
            call.run(ops);
            refCall.run(scalar);
            assertClose(kernel, ref.toFloatArray(), result.toFloatArray(), rtol, atol);
        }
        int r = shape.contains("x") ? reps * 5 : reps; // the small softmax work gets more samples
        double ms = Timer.medianMs(() -> call.run(ops), isRef && !shape.contains("x") ? Math.max(3, reps / 3) : r);
        return row(kernel, shape, impl, ms, bytes);
    }

    private BenchRow row(String kernel, String shape, String impl, double ms, long bytes) {
        return new BenchRow(kernel, shape, impl, threads, ms, null, bytes / ms / 1e6);
    }

    private static void assertClose(String kernel, float[] e, float[] a, double rtol, double atol) {
        for (int i = 0; i < e.length; i++) {
            if (!(Math.abs(a[i] - e[i]) <= atol + rtol * Math.abs(e[i]))) {
                throw new IllegalStateException("bench act: " + kernel + " SIMD result differs from the scalar reference at "
                        + i + ": " + a[i] + " vs " + e[i] + "; not timing a wrong kernel");
            }
        }
    }

    private static void fill(Tensor t, long seed, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = t.segment();
        for (long i = 0; i < t.numel(); i++) s.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (float) (lo + (hi - lo) * r.nextDouble()));
    }

    static void printTable(PrintWriter out, List<BenchRow> rows) {
        double copyGbps = rows.stream().filter(r -> r.kernel().equals("copy")).mapToDouble(BenchRow::gbps).findFirst().orElse(Double.NaN);
        out.printf("%-12s %-10s %-7s %7s %11s %9s %9s %10s%n", "kernel", "shape", "impl", "threads", "median ms", "GB/s", "vs copy", "simd/scalar");
        for (BenchRow r : rows) {
            String speedup = "";
            if (r.impl().equals("simd")) {
                BenchRow s = rows.stream().filter(o -> o.kernel().equals(r.kernel()) && o.impl().equals("scalar")).findFirst().orElse(null);
                if (s != null) speedup = String.format("%.2fx", s.medianMs() / r.medianMs());
            }
            out.printf("%-12s %-10s %-7s %7d %11.3f %9.2f %8.2fx %10s%n", r.kernel(), r.shape(), r.impl(), r.threads(), r.medianMs(),
                    r.gbps(), r.gbps() / copyGbps, speedup);
        }
    }
}
