package io.tensorlane.bench.gemm;

import io.tensorlane.bench.harness.BenchReport;
import io.tensorlane.bench.harness.BenchRow;
import io.tensorlane.bench.harness.JitQuiet;
import io.tensorlane.bench.harness.ResultMismatchException;
import io.tensorlane.kernels.GemmKernels;
import io.tensorlane.kernels.Kernels;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Trans;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench gemm}: row-major SGEMM C = A B (A m x k, B k x n, alpha 1, beta 0) for tensorlane's SIMD
 * and scalar kernels and, with {@code --anchors}, OpenBLAS (in-process through FFM) and netlib-java's
 * VectorBLAS, timed side by side in one process.
 */
@Command(name = "gemm", mixinStandardHelpOptions = true,
        header = "Times SGEMM: tensorlane SIMD and scalar, and (--anchors) OpenBLAS and netlib VectorBLAS in the same run.",
        description = {
                "Times C = A B (row-major, A m x k, B k x n, alpha 1, beta 0) for each shape MxNxK. Every implementation's "
                        + "result is checked first against a double-precision dot product on 512 sampled elements of C, "
                        + "with the float32 error bound 2(k+3)u sum|a||b| (u = 2^-24); a mismatch stops the run. The "
                        + "implementations are then timed in interleaved rounds (one sample of each per round, each sample "
                        + "long enough to time reliably), so a noisy neighbour slows them alike; the median per call is "
                        + "reported. gflops = 2 M N K / time; gbps counts A and B read and C written once.",
                "Rows: tensorlane-simd, tensorlane-scalar (skipped above 512^3 flops-wise: it would take minutes), and with "
                        + "--anchors openblas:<core> (cblas_sgemm of Debian's libopenblas0-pthread, "
                        + "openblas_set_num_threads(T), the core from openblas_get_corename) and netlib-vectorblas "
                        + "(dev.ludovic.netlib:blas, single-threaded, on heap copies). An anchor that cannot run says why "
                        + "instead of a row.",
                "",
                "Examples:",
                "  ./tensorlane bench gemm --anchors",
                "  ./tensorlane bench gemm --shapes 256x256x256,64x3136x576 --threads 1 --anchors --json gemm.json --chart gemm.png"})
public final class GemmBench implements Callable<Integer> {
    static final String DEFAULT_SHAPES = "16x16x16,64x64x64,128x128x128,256x256x256,512x512x512,1024x1024x1024,"
            + "2048x2048x2048,64x3136x576,96x3025x363,1x1000x4096,64x1000x4096";
    static final long SCALAR_MAX = 512L * 512 * 512;

    @Spec
    CommandSpec spec;

    @Option(names = "--shapes", defaultValue = DEFAULT_SHAPES, paramLabel = "MxNxK,...", split = ",",
            description = "Shapes M x N x K (default ${DEFAULT-VALUE}).")
    List<String> shapes;

    @Option(names = "--threads", defaultValue = "1", paramLabel = "T",
            description = "Threads for tensorlane and OpenBLAS (default ${DEFAULT-VALUE}); netlib runs single-threaded.")
    int threads;

    @Option(names = "--anchors", arity = "0..1", fallbackValue = "openblas,netlib", paramLabel = "LIST",
            description = "Also time the native and Java anchors: openblas, netlib, or both (the default when no LIST is given).")
    String anchors;

    @Option(names = "--reps", defaultValue = "9", paramLabel = "R",
            description = "Timed rounds; the median is reported (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--warmup", defaultValue = "500", paramLabel = "MS",
            description = "Warm-up per implementation and shape, milliseconds (default ${DEFAULT-VALUE}); the SIMD "
                    + "GEMM is also warmed up on small shapes for 4 x MS first, so that C2 has compiled it.")
    long warmupMs;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the rows as a JSON array.")
    Path json;

    @Option(names = "--chart", paramLabel = "FILE.png", description = "Also draw GFLOP/s per shape and implementation (PNG).")
    Path chart;

    /** One implementation's call on the prepared operands. */
    private record Runner(String name, int threads, Runnable call, MemorySegment result, long ldc) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (threads < 1) throw new ParameterException(spec.commandLine(), "bench gemm: --threads must be >= 1, got " + threads);
        if (reps < 1) throw new ParameterException(spec.commandLine(), "bench gemm: --reps must be >= 1, got " + reps);
        if (warmupMs < 0) throw new ParameterException(spec.commandLine(), "bench gemm: --warmup must be >= 0, got " + warmupMs);
        List<int[]> dims = new ArrayList<>();
        for (String s : shapes) dims.add(parseShape(s));
        Parallelism par = Parallelism.threads(threads);
        out.println("bench gemm: " + Kernels.describe() + ", " + threads + " thread(s), median of " + reps + " rounds");
        OpenBlasAnchor openblas = null;
        NetlibAnchor netlib = null;
        List<String> wanted = anchors == null ? List.of() : Arrays.asList(anchors.toLowerCase(Locale.ROOT).split(","));
        for (String w : wanted) {
            if (!w.equals("openblas") && !w.equals("netlib")) {
                throw new ParameterException(spec.commandLine(), "bench gemm: unknown anchor '" + w + "' (known: openblas, netlib)");
            }
        }
        if (wanted.contains("openblas")) {
            OpenBlasAnchor.Result ob = OpenBlasAnchor.load();
            if (ob.anchor().isPresent()) {
                openblas = ob.anchor().get();
                openblas.setThreads(threads);
                out.println("openblas: core " + openblas.coreName() + ", " + threads + " thread(s)"
                        + (System.getenv("OPENBLAS_CORETYPE") != null ? " (OPENBLAS_CORETYPE=" + System.getenv("OPENBLAS_CORETYPE") + ")" : ""));
            } else {
                out.println("openblas: anchor unavailable: " + ob.whyNot());
            }
        }
        if (wanted.contains("netlib")) {
            NetlibAnchor.Result nl = NetlibAnchor.load();
            if (nl.anchor().isPresent()) netlib = nl.anchor().get();
            else out.println("netlib-vectorblas: anchor unavailable: " + nl.whyNot());
        }
        out.flush();
        if (Kernels.simdAvailable()) warmUpJit(par, 4 * warmupMs);
        List<BenchRow> rows = new ArrayList<>();
        for (int[] d : dims) {
            rows.addAll(shape(d[0], d[1], d[2], par, openblas, netlib, out));
        }
        BenchReport.printTable(out, rows);
        printRatios(out, rows);
        if (json != null) {
            BenchReport.writeJson(json, rows);
            out.println("wrote " + rows.size() + " rows to " + json);
        }
        if (chart != null) {
            GemmChart.write(chart, rows, "SGEMM GFLOP/s, " + threads + " thread(s)");
            out.println("wrote chart " + chart);
        }
        out.flush();
        return 0;
    }

    private int[] parseShape(String s) {
        String[] p = s.trim().toLowerCase(Locale.ROOT).split("x");
        try {
            if (p.length == 3) {
                int m = Integer.parseInt(p[0]), n = Integer.parseInt(p[1]), k = Integer.parseInt(p[2]);
                if (m > 0 && n > 0 && k > 0) return new int[] {m, n, k};
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ParameterException(spec.commandLine(), "bench gemm: shape '" + s + "' is not MxNxK with positive integers");
    }

    private List<BenchRow> shape(int m, int n, int k, Parallelism par, OpenBlasAnchor openblas, NetlibAnchor netlib,
                                 PrintWriter out) {
        String shape = m + "x" + n + "x" + k;
        List<Runner> impls = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = random(arena, (long) m * k, 1), b = random(arena, (long) k * n, 2);
            long cLen = (long) m * n;
            if (Kernels.simdAvailable()) {
                GemmKernels g = Kernels.get(io.tensorlane.kernels.Impl.SIMD).gemm();
                MemorySegment c = arena.allocate(cLen * 4, 64);
                impls.add(new Runner("tensorlane-simd", threads,
                        () -> g.sgemm(Trans.N, Trans.N, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n, par), c, n));
            }
            if ((long) m * n * k <= SCALAR_MAX) {
                GemmKernels g = Kernels.get(io.tensorlane.kernels.Impl.SCALAR).gemm();
                MemorySegment c = arena.allocate(cLen * 4, 64);
                impls.add(new Runner("tensorlane-scalar", 1,
                        () -> g.sgemm(Trans.N, Trans.N, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n, par), c, n));
            }
            if (openblas != null) {
                MemorySegment c = arena.allocate(cLen * 4, 64);
                OpenBlasAnchor ob = openblas;
                impls.add(new Runner("openblas:" + ob.coreName(), threads,
                        () -> ob.sgemm(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n), c, n));
            }
            float[] hc = null;
            MemorySegment netlibResult = null;
            if (netlib != null) {
                float[] ha = a.toArray(ValueLayout.JAVA_FLOAT), hb = b.toArray(ValueLayout.JAVA_FLOAT);
                float[] nlc = hc = new float[(int) cLen];
                // checked through a native copy: heap segments flowing through the same accessors as the
                // native ones would make the JIT's type profiles polymorphic and slow every kernel down
                netlibResult = arena.allocate(cLen * 4, 64);
                NetlibAnchor nl = netlib;
                impls.add(new Runner("netlib-vectorblas", 1, () -> nl.sgemm(false, false, m, n, k, 1f, ha, k, hb, n, 0f, nlc, n),
                        netlibResult, n));
            }
            for (Runner impl : impls) {
                impl.call().run();
                if (impl.result() == netlibResult) MemorySegment.copy(hc, 0, netlibResult, ValueLayout.JAVA_FLOAT, 0, hc.length);
                check(shape, impl, a, b, m, n, k);
            }
            double[][] samples = new double[impls.size()][reps];
            int[] batch = new int[impls.size()];
            for (int i = 0; i < impls.size(); i++) batch[i] = warmUp(impls.get(i).call(), warmupMs);
            JitQuiet.await(Math.max(200, 10 * warmupMs));
            for (int i = 0; i < impls.size(); i++) batch[i] = warmUp(impls.get(i).call(), warmupMs / 5);
            // two untimed rounds first: the JIT may still be compiling what the warm-ups triggered
            for (int r = -2; r < reps; r++) {
                for (int i = 0; i < impls.size(); i++) {
                    Runnable call = impls.get(i).call();
                    long t0 = System.nanoTime();
                    for (int q = 0; q < batch[i]; q++) call.run();
                    if (r >= 0) samples[i][r] = (System.nanoTime() - t0) / 1e6 / batch[i];
                }
            }
            List<BenchRow> rows = new ArrayList<>();
            double flops = 2.0 * m * n * k, bytes = 4.0 * ((double) m * k + (double) k * n + (double) m * n);
            for (int i = 0; i < impls.size(); i++) {
                double[] t = samples[i];
                Arrays.sort(t);
                double ms = reps % 2 == 1 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
                rows.add(new BenchRow("sgemm", shape, impls.get(i).name(), impls.get(i).threads(), ms,
                        flops / ms / 1e6, bytes / ms / 1e6));
            }
            return rows;
        }
    }

    /**
     * Runs the SIMD GEMM on small awkward shapes (every transpose, edges in every direction, the
     * matrix-vector path) for {@code ms} before anything is timed. C2 compiles a method after some
     * thousands of calls; the microkernel of a 16^3 product runs only a few times per call, so without
     * this the first small shapes would be timed in the interpreter.
     */
    private static void warmUpJit(Parallelism par, long ms) {
        GemmKernels g = Kernels.get(io.tensorlane.kernels.Impl.SIMD).gemm();
        try (Arena arena = Arena.ofShared()) {
            int m = 67, n = 45, k = 70;
            MemorySegment a = random(arena, (long) m * k, 3), b = random(arena, (long) k * n, 4);
            MemorySegment c = arena.allocate((long) m * n * 4, 64);
            long end = System.nanoTime() + ms * 1_000_000L;
            for (int i = 0; System.nanoTime() < end; i++) {
                Trans ta = Trans.of((i & 1) != 0), tb = Trans.of((i & 2) != 0);
                int lda = ta == Trans.N ? k : m, ldb = tb == Trans.N ? n : k;
                g.sgemm(ta, tb, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0.5f, c, 0, n, par);
                g.sgemm(ta, tb, 16, 16, 16, 1f, a, 0, 16, b, 0, 16, 0f, c, 0, 16, par);
                g.sgemm(ta, tb, 1, n, k, 1f, a, 0, ta == Trans.N ? k : 1, b, 0, ldb, 0f, c, 0, n, par);
            }
        }
    }

    /**
     * Runs the call for at least {@code ms} and until its speed has settled (two consecutive ~50 ms
     * batches within 5% of each other, at most 10 s): until C2 has compiled it, a call can be 10-100x
     * slower, and on a busy machine the compile queue can take seconds. Returns how many calls one timed
     * sample needs to last at least ~20 ms.
     */
    private static int warmUp(Runnable call, long ms) {
        long start = System.nanoTime(), minEnd = start + ms * 1_000_000L, maxEnd = start + 10_000_000_000L;
        double previous = Double.MAX_VALUE, perCall;
        int calls = 0;
        while (true) {
            long t0 = System.nanoTime();
            int n = 0;
            do {
                call.run();
                n++;
            } while (System.nanoTime() - t0 < 50_000_000L);
            calls += n;
            perCall = (System.nanoTime() - t0) / (double) n;
            long now = System.nanoTime();
            boolean settled = Math.abs(perCall - previous) <= 0.05 * previous;
            if (now >= maxEnd || (now >= minEnd && settled && calls >= 3)) break;
            previous = perCall;
        }
        return (int) Math.max(1, Math.min(1_000_000, Math.ceil(20e6 / perCall)));
    }

    /** 512 sampled elements of C against a double dot product, within 2(k+3)u sum|a||b|. */
    private static void check(String shape, Runner impl, MemorySegment a, MemorySegment b, int m, int n, int k) {
        SplittableRandom r = new SplittableRandom(42);
        double u = Math.scalb(1.0, -24);
        for (int s = 0; s < 512; s++) {
            int i = r.nextInt(m), j = r.nextInt(n);
            double dot = 0, abs = 0;
            for (int p = 0; p < k; p++) {
                double x = (double) a.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * k + p)
                        * b.getAtIndex(ValueLayout.JAVA_FLOAT, (long) p * n + j);
                dot += x;
                abs += Math.abs(x);
            }
            float got = impl.result().getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * impl.ldc() + j);
            double bound = 2 * (k + 3) * u * abs + Double.MIN_NORMAL;
            if (!(Math.abs(got - dot) <= bound)) {
                throw new ResultMismatchException(String.format(Locale.ROOT,
                        "sgemm %s (%s): C[%d][%d] = %s but the exact product is %s (error %.3g > bound %.3g); not timing a wrong result",
                        shape, impl.name(), i, j, got, dot, Math.abs(got - dot), bound));
            }
        }
    }

    private static MemorySegment random(Arena arena, long n, long seed) {
        MemorySegment s = arena.allocate(n * 4, 64);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i < n; i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 2 - 1));
        return s;
    }

    /** tensorlane-simd relative to each anchor of the same shape. */
    private static void printRatios(PrintWriter out, List<BenchRow> rows) {
        for (BenchRow simd : rows) {
            if (!simd.impl().equals("tensorlane-simd")) continue;
            StringBuilder sb = new StringBuilder();
            for (BenchRow o : rows) {
                if (o.shape().equals(simd.shape()) && !o.impl().startsWith("tensorlane")) {
                    sb.append(String.format(Locale.ROOT, "  %.2fx %s", o.medianMs() / simd.medianMs(), o.impl()));
                }
            }
            if (!sb.isEmpty()) out.printf(Locale.ROOT, "%-16s tensorlane-simd vs%s%n", simd.shape(), sb);
        }
    }
}
