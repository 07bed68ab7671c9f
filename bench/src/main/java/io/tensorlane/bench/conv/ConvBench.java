package io.tensorlane.bench.conv;

import io.tensorlane.bench.harness.BenchReport;
import io.tensorlane.bench.harness.BenchRow;
import io.tensorlane.bench.harness.Interleaved;
import io.tensorlane.bench.harness.JitQuiet;
import io.tensorlane.bench.harness.ResultMismatchException;
import io.tensorlane.bench.harness.RunOptions;
import io.tensorlane.bench.harness.Timer;
import io.tensorlane.bench.harness.TorchAnchor;
import io.tensorlane.bench.harness.TorchOptions;
import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.Gemm;
import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Trans;
import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench conv}: conv2d forward and forward+backward (dx, dw, db) on the six named layer shapes that
 * {@code torch_anchor.py} also times, through {@link Ops} with the SIMD kernels, plus tensorlane's own
 * 1024^3 SGEMM in the same run (the ResNet-3x3 target is a fraction of its rate).
 */
@Command(name = "conv", mixinStandardHelpOptions = true,
        header = "Times conv2d forward and forward+backward on named CNN layer shapes, with a 1024^3 SGEMM row.",
        description = {
                "Shapes (NCHW; F filters, k kernel, s stride, p padding), as in torch_anchor.py: LeNet-A (N64 C1 28x28 F20 k5), "
                        + "LeNet-B (N64 C20 12x12 F50 k5), AlexNet-conv1 (N1 C3 227x227 F96 k11 s4), ResNet-3x3 "
                        + "(N8 C64 56x56 F64 k3 p1), ResNet-1x1 (N8 C256 56x56 F64 k1), Deep-3x3 (N8 C256 14x14 F256 k3 p1), Digits-8x8 (N64 C32 8x8 F32 k3 p1), Digits-1to32 (N64 C1 8x8 F32 k3 p1) and Digits-32to64 (N64 C32 4x4 F64 k3 p1) (the training demo's CNN; not in torch_anchor.py). "
                        + "Kernels 'conv2d fwd' (with bias) and 'conv2d fwd+bwd' (forward, then dx, dw and db), SIMD, through Ops. "
                        + "Before timing, sampled outputs and gradients are checked against a double-precision direct "
                        + "convolution (a mismatch stops the run). gflops: 2*N*F*Ho*Wo*C*kh*kw per forward, 3x that for "
                        + "fwd+bwd. A 'sgemm 1024x1024x1024' row is timed in the same run for reference.",
                "",
                "--torch also times PyTorch's conv2d (fwd; fwd+bwd: dx, dw, db by autograd) on the six shapes of "
                        + "torch_anchor.py, alternating samples with ours round by round, and reports the per-round ratio "
                        + "ours/torch (the Digits shapes have no PyTorch row).",
                "",
                "Examples:",
                "  ./tensorlane bench conv",
                "  ./tensorlane bench conv --threads 1 --json conv.json",
                "  ./tensorlane bench conv --shapes ResNet-3x3,Deep-3x3 --reps 9",
                "  ./tensorlane bench conv --shapes LeNet-B --torch   # against PyTorch, interleaved"})
public final class ConvBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions common;

    @Mixin
    TorchOptions anchor;

    @Option(names = "--reps", defaultValue = "7", paramLabel = "R",
            description = "Timed samples per row (each of ceil(20 ms / call) calls, after a warm-up until the speed has settled); the median is reported (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--shapes", split = ",", paramLabel = "NAME",
            description = "Only these shapes (default: all seven).")
    List<String> only;

    /** One named layer. */
    public record Shape(String name, int n, int c, int h, int w, int f, int k, int s, int p) {
        Conv2dDesc desc() {
            return Conv2dDesc.of(k).stride(s).pad(p);
        }

        long ho() {
            return (h + 2L * p - k) / s + 1;
        }

        long wo() {
            return (w + 2L * p - k) / s + 1;
        }

        double flops() {
            return 2.0 * n * f * ho() * wo() * c * k * k;
        }
    }

    public static final List<Shape> SHAPES = List.of(
            new Shape("LeNet-A", 64, 1, 28, 28, 20, 5, 1, 0),
            new Shape("LeNet-B", 64, 20, 12, 12, 50, 5, 1, 0),
            new Shape("AlexNet-conv1", 1, 3, 227, 227, 96, 11, 4, 0),
            new Shape("ResNet-3x3", 8, 64, 56, 56, 64, 3, 1, 1),
            new Shape("ResNet-1x1", 8, 256, 56, 56, 64, 1, 1, 0),
            new Shape("Deep-3x3", 8, 256, 14, 14, 256, 3, 1, 1),
            // the digits CNN of the training demo (issue 7): tiny images, where per-call overhead shows
            new Shape("Digits-8x8", 64, 32, 8, 8, 32, 3, 1, 1),
            new Shape("Digits-1to32", 64, 1, 8, 8, 32, 3, 1, 1),
            new Shape("Digits-32to64", 64, 32, 4, 4, 64, 3, 1, 1));

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (common.threads < 1) throw new ParameterException(spec.commandLine(), "bench conv: --threads must be >= 1, got " + common.threads);
        if (reps < 1) throw new ParameterException(spec.commandLine(), "bench conv: --reps must be >= 1, got " + reps);
        List<Shape> shapes = new ArrayList<>();
        for (Shape s : SHAPES) if (only == null || only.contains(s.name())) shapes.add(s);
        if (only != null) {
            for (String name : only) {
                if (SHAPES.stream().noneMatch(s -> s.name().equals(name))) {
                    throw new ParameterException(spec.commandLine(), "bench conv: unknown shape '" + name + "'; shapes: "
                            + String.join(", ", SHAPES.stream().map(Shape::name).toList()));
                }
            }
        }
        if (anchor.invalid() != null) throw new ParameterException(spec.commandLine(), "bench conv: " + anchor.invalid());
        Parallelism par = Parallelism.threads(common.threads);
        Ops ops = Ops.on(Device.cpu(Impl.SIMD)).with(par);
        List<BenchRow> rows = new ArrayList<>();
        Optional<TorchAnchor> torch = anchor.start(common.threads, out);
        try {
            for (Shape s : shapes) {
                try (Arena arena = Arena.ofShared()) {
                    rows.addAll(run(ops, s, arena, torch.orElse(null), out));
                }
                out.flush();
            }
        } finally {
            torch.ifPresent(TorchAnchor::close);
        }
        rows.add(sgemm(par));
        BenchReport.printTable(out, rows);
        if (common.json != null) BenchReport.writeJson(common.json, rows);
        return 0;
    }

    private List<BenchRow> run(Ops ops, Shape s, Arena arena, TorchAnchor torch, PrintWriter out) {
        SplittableRandom r = new SplittableRandom(s.name().hashCode());
        Tensor x = random(arena, r, 1f, s.n(), s.c(), s.h(), s.w());
        Tensor w = random(arena, r, 0.1f, s.f(), s.c(), s.k(), s.k());
        Tensor b = random(arena, r, 1f, s.f());
        Tensor y = Tensor.allocate(arena, DType.F32, s.n(), s.f(), s.ho(), s.wo());
        Tensor dout = random(arena, r, 1f, s.n(), s.f(), s.ho(), s.wo());
        Tensor dx = Tensor.allocate(arena, DType.F32, x.shape()), dw = Tensor.allocate(arena, DType.F32, w.shape());
        Tensor db = Tensor.allocate(arena, DType.F32, s.f());
        Conv2dDesc d = s.desc();
        ops.conv2d(x, w, b, d, y);
        ops.conv2dBackward(x, w, dout, d, dx, dw, db);
        check(s, x, w, b, y, dout, dx, dw, db, r);
        List<BenchRow> rows = new ArrayList<>();
        Runnable fwdCall = () -> ops.conv2d(x, w, b, d, y);
        Runnable bothCall = () -> {
            ops.conv2d(x, w, b, d, y);
            ops.conv2dBackward(x, w, dout, d, dx, dw, db);
        };
        // Until C2 has compiled them, Vector API kernels run their Java fallbacks (boxed vectors, lambdas),
        // 100-1000x slower; on a loaded machine the compile queue takes seconds (LeNet-A's first call took
        // 3.5 s and the next ten 8-800 ms, against ~2 ms settled), so a fixed warm-up of a few calls timed
        // LeNet-A fwd at 0.1 GFLOP/s. Warm both calls until their speed has settled, then time.
        warmUp(bothCall);
        warmUp(fwdCall);
        JitQuiet.await(3000);
        rows.add(row("conv2d fwd", s, settledMedianMs(fwdCall), s.flops()));
        rows.add(row("conv2d fwd+bwd", s, settledMedianMs(bothCall), 3 * s.flops()));
        if (torch != null && !s.name().startsWith("Digits")) {
            for (String kernel : List.of("conv2d fwd", "conv2d fwd+bwd")) {
                boolean both = kernel.endsWith("bwd");
                Interleaved vs = Interleaved.run(both ? bothCall : fwdCall, torch, kernel + " " + s.name(), anchor.rounds, anchor.sampleMs);
                BenchRow t = row(kernel, s, vs.torchMedianMs(), (both ? 3 : 1) * s.flops());
                rows.add(new BenchRow(t.kernel(), t.shape(), torch.impl(), t.threads(), t.medianMs(), t.gflops(), t.gbps()));
                out.println(kernel + " " + s.name() + " " + vs.summary(torch.impl()));
            }
        }
        return rows;
    }

    /**
     * Runs the call until its speed has settled: two consecutive batches of at least 50 ms (and 3 calls)
     * within 5% of each other, after at least 300 ms; at most 10 s.
     */
    private static void warmUp(Runnable call) {
        long start = System.nanoTime(), minEnd = start + 300_000_000L, maxEnd = start + 10_000_000_000L;
        double previous = Double.MAX_VALUE;
        while (true) {
            long t0 = System.nanoTime();
            int n = 0;
            do {
                call.run();
                n++;
            } while (n < 3 || System.nanoTime() - t0 < 50_000_000L);
            double perCall = (System.nanoTime() - t0) / (double) n;
            long now = System.nanoTime();
            if (now >= maxEnd || (now >= minEnd && Math.abs(perCall - previous) <= 0.05 * previous)) return;
            previous = perCall;
        }
    }

    /**
     * Median over {@code reps} samples of the mean time per call, each sample ceil(20 ms / call) calls (as
     * torch_anchor.py times PyTorch), in milliseconds.
     */
    private double settledMedianMs(Runnable call) {
        long t0 = System.nanoTime();
        call.run();
        double one = Math.max(1e-6, (System.nanoTime() - t0) / 1e6);
        int batch = (int) Math.max(1, Math.min(100_000, Math.ceil(20.0 / one)));
        double[] t = new double[reps];
        for (int i = 0; i < reps; i++) {
            long s = System.nanoTime();
            for (int q = 0; q < batch; q++) call.run();
            t[i] = (System.nanoTime() - s) / 1e6 / batch;
        }
        java.util.Arrays.sort(t);
        return reps % 2 == 1 ? t[reps / 2] : (t[reps / 2 - 1] + t[reps / 2]) / 2;
    }

    private BenchRow row(String kernel, Shape s, double ms, double flops) {
        return new BenchRow(kernel, s.name(), "simd", common.threads, ms, flops / ms / 1e6, null);
    }

    private BenchRow sgemm(Parallelism par) {
        int n = 1024;
        try (Arena arena = Arena.ofShared()) {
            SplittableRandom r = new SplittableRandom(1);
            MemorySegment a = random(arena, r, 1f, n, n).segment(), bm = random(arena, r, 1f, n, n).segment();
            MemorySegment c = arena.allocate((long) n * n * 4, 64);
            double ms = Timer.medianMs(() -> Gemm.sgemm(Trans.N, Trans.N, n, n, n, 1f, a, 0, n, bm, 0, n, 0f, c, 0, n, par), reps);
            return new BenchRow("sgemm", n + "x" + n + "x" + n, "simd", common.threads, ms, 2.0 * n * n * n / ms / 1e6, null);
        }
    }

    private static Tensor random(Arena arena, SplittableRandom r, float scale, long... shape) {
        Tensor t = Tensor.allocate(arena, DType.F32, shape);
        MemorySegment s = t.segment();
        for (long i = 0; i < t.numel(); i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (scale * (2 * r.nextDouble() - 1)));
        return t;
    }

    // ------------------------------------------------------------------ result check (double, sampled)

    private static float at(Tensor t, long i) {
        return t.segment().getAtIndex(ValueLayout.JAVA_FLOAT, t.offset() + i);
    }

    /** Sampled y, dx and dw elements and all of db against direct double-precision sums. */
    private static void check(Shape s, Tensor x, Tensor w, Tensor b, Tensor y, Tensor dout, Tensor dx, Tensor dw, Tensor db,
                              SplittableRandom r) {
        long ho = s.ho(), wo = s.wo();
        for (int t = 0; t < 48; t++) { // forward
            long n = r.nextLong(s.n()), f = r.nextLong(s.f()), oh = r.nextLong(ho), ow = r.nextLong(wo);
            double sum = at(b, f), mag = Math.abs(sum);
            for (int c = 0; c < s.c(); c++) {
                for (int i = 0; i < s.k(); i++) {
                    for (int j = 0; j < s.k(); j++) {
                        long yy = oh * s.s() + i - s.p(), xx = ow * s.s() + j - s.p();
                        if (yy < 0 || yy >= s.h() || xx < 0 || xx >= s.w()) continue;
                        double v = (double) at(x, ((n * s.c() + c) * s.h() + yy) * s.w() + xx) * at(w, ((f * s.c() + c) * s.k() + i) * s.k() + j);
                        sum += v;
                        mag += Math.abs(v);
                    }
                }
            }
            expect(s, "conv2d fwd y", sum, mag, at(y, ((n * s.f() + f) * ho + oh) * wo + ow));
        }
        for (int t = 0; t < 24; t++) { // dx
            long n = r.nextLong(s.n()), c = r.nextLong(s.c()), yy = r.nextLong(s.h()), xx = r.nextLong(s.w());
            double sum = 0, mag = 0;
            for (int f = 0; f < s.f(); f++) {
                for (int i = 0; i < s.k(); i++) {
                    long a = yy + s.p() - i;
                    if (a < 0 || a % s.s() != 0 || a / s.s() >= ho) continue;
                    for (int j = 0; j < s.k(); j++) {
                        long bb = xx + s.p() - j;
                        if (bb < 0 || bb % s.s() != 0 || bb / s.s() >= wo) continue;
                        double v = (double) at(dout, ((n * s.f() + f) * ho + a / s.s()) * wo + bb / s.s())
                                * at(w, ((f * s.c() + c) * s.k() + i) * s.k() + j);
                        sum += v;
                        mag += Math.abs(v);
                    }
                }
            }
            expect(s, "conv2d bwd dx", sum, mag, at(dx, ((n * s.c() + c) * s.h() + yy) * s.w() + xx));
        }
        for (int t = 0; t < 8; t++) { // dw
            long f = r.nextLong(s.f()), c = r.nextLong(s.c()), i = r.nextLong(s.k()), j = r.nextLong(s.k());
            double sum = 0, mag = 0;
            for (long n = 0; n < s.n(); n++) {
                for (long oh = 0; oh < ho; oh++) {
                    long yy = oh * s.s() + i - s.p();
                    if (yy < 0 || yy >= s.h()) continue;
                    for (long ow = 0; ow < wo; ow++) {
                        long xx = ow * s.s() + j - s.p();
                        if (xx < 0 || xx >= s.w()) continue;
                        double v = (double) at(x, ((n * s.c() + c) * s.h() + yy) * s.w() + xx) * at(dout, ((n * s.f() + f) * ho + oh) * wo + ow);
                        sum += v;
                        mag += Math.abs(v);
                    }
                }
            }
            expect(s, "conv2d bwd dw", sum, mag, at(dw, ((f * s.c() + c) * s.k() + i) * s.k() + j));
        }
        for (long f = 0; f < s.f(); f++) {
            double sum = 0, mag = 0;
            for (long n = 0; n < s.n(); n++) {
                for (long p = 0; p < ho * wo; p++) {
                    double v = at(dout, (n * s.f() + f) * ho * wo + p);
                    sum += v;
                    mag += Math.abs(v);
                }
            }
            expect(s, "conv2d bwd db", sum, mag, at(db, f));
        }
    }

    /** Float sums of n terms are within n * 2^-24 * sum|terms| of the exact sum; 1e-4 relative to the magnitude is far above that for these sizes' actual error yet catches any wrong term. */
    private static void expect(Shape s, String what, double expected, double magnitude, float actual) {
        if (!(Math.abs(actual - expected) <= 1e-4 * magnitude + 1e-6)) {
            throw new ResultMismatchException(what + " on " + s.name() + ": expected " + expected + " (double) got " + actual);
        }
    }
}
