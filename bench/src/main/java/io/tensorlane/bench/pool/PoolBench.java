package io.tensorlane.bench.pool;

import io.tensorlane.bench.harness.BenchReport;
import io.tensorlane.bench.harness.CpuImpls;
import io.tensorlane.bench.harness.CopyBaseline;
import io.tensorlane.bench.harness.BenchRow;
import io.tensorlane.bench.harness.ResultCheck;
import io.tensorlane.bench.harness.ResultMismatchException;
import io.tensorlane.bench.harness.RunOptions;
import io.tensorlane.bench.harness.Interleaved;
import io.tensorlane.bench.harness.Timer;
import io.tensorlane.bench.harness.TorchAnchor;
import io.tensorlane.bench.harness.TorchOptions;
import io.tensorlane.kernels.Kernels;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.kernels.Pool2dDesc;
import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench pool}: 2x2 stride-2 max pooling forward and forward+backward on 8x64x112x112 (the
 * workload of {@code torch_anchor.py}), scalar twin and SIMD through {@link Ops}, next to a memory
 * copy of the same input bytes timed in the same run; then other windows' backward and stride-3/4
 * forward passes on 8x64x56x56, scalar twin vs SIMD.
 */
@Command(name = "pool", mixinStandardHelpOptions = true,
        header = "Times 2x2 stride-2 max pooling (scalar vs SIMD) against the memory-copy baseline.",
        description = {
                "Times, in one process: copy (MemorySegment.copy of the N*C*H*W input floats, the memory-bandwidth "
                        + "baseline), 'maxpool2x2s2 fwd' (values and int32 argmax indices) and 'maxpool2x2s2 fwd+bwd' "
                        + "(forward, then dx from dout and the indices) on 8x64x112x112, for the scalar reference twin and "
                        + "the SIMD kernels, through the Ops facade. The SIMD results (values, indices, dx) are checked "
                        + "against the twin before they are timed. Median of R timed calls after a warm-up (copy: timed "
                        + "first and last, the faster median kept).",
                "Then, on 8x64x56x56, scalar vs SIMD: avg-pool backward 2x2/s2, 3x3/s2/p1, 3x3/s1/p1; max-pool "
                        + "backward 2x2/s2 and 3x3/s2/p1 (forward indices); max-pool 3x3/s3 and avg-pool 4x4/s4 forward "
                        + "(gbps: 4*(in+out)); SIMD results checked bit for bit against the twin first.",
                "gbps uses torch_anchor.py's nominal bytes so the figures compare with PyTorch's: fwd 4*(in+out), "
                        + "fwd+bwd 4*(2*in+2*out) (the int32 indices are written and read on top of that); copy 2*4*in.",
                "",
                "--torch also times PyTorch's 2x2 stride-2 max pooling forward (F.max_pool2d, no_grad) on 8x64x112x112, "
                        + "alternating samples with the SIMD kernel round by round, and reports the per-round ratio ours/torch.",
                "",
                "Examples:",
                "  ./tensorlane bench pool --threads 1",
                "  ./tensorlane bench pool --threads 2 --json pool.json",
                "  ./tensorlane bench pool --torch      # max pooling against PyTorch, interleaved"})
public final class PoolBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions common;

    @Mixin
    TorchOptions anchor;

    @Option(names = "--reps", defaultValue = "15", paramLabel = "R",
            description = "Timed calls per row; the median is reported (default ${DEFAULT-VALUE}; scalar rows max(3, R/3)).")
    int reps;

    static final long N = 8, C = 64, H = 112, W = 112;
    static final String SHAPE = N + "x" + C + "x" + H + "x" + W;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (common.threads < 1) throw new ParameterException(spec.commandLine(), "bench pool: --threads must be >= 1, got " + common.threads);
        if (reps < 1) throw new ParameterException(spec.commandLine(), "bench pool: --reps must be >= 1, got " + reps);
        if (anchor.invalid() != null) throw new ParameterException(spec.commandLine(), "bench pool: " + anchor.invalid());
        Parallelism par = Parallelism.threads(common.threads);
        out.println("bench pool: " + Kernels.describe() + ", " + common.threads + " thread(s), x=" + SHAPE + ", median of " + reps);
        out.flush();
        Pool2dDesc d = Pool2dDesc.of(2);
        long nIn = N * C * H * W, nOut = nIn / 4;
        long fwdBytes = 4 * (nIn + nOut), fbBytes = 4 * (2 * nIn + 2 * nOut);
        List<BenchRow> rows = new ArrayList<>();
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.allocate(arena, DType.F32, N, C, H, W);
            Tensor copyDst = Tensor.allocate(arena, DType.F32, N, C, H, W);
            Tensor dout = Tensor.allocate(arena, DType.F32, N, C, H / 2, W / 2);
            fill(x, 1);
            fill(dout, 2);
            CopyBaseline copy = CopyBaseline.checked(par, x.segment(), copyDst.segment(), nIn);
            double copyMs = copy.medianMs(reps);
            List<Ops> impls = CpuImpls.scalarAndSimd(par, out);
            Ops scalar = impls.get(0);
            // the reference results, from the twin
            Tensor refOut = Tensor.allocate(arena, DType.F32, N, C, H / 2, W / 2);
            Tensor refIdx = Tensor.allocate(arena, DType.I32, N, C, H / 2, W / 2);
            Tensor refDx = Tensor.allocate(arena, DType.F32, N, C, H, W);
            scalar.maxPool2d(x, d, refOut, refIdx);
            scalar.maxPool2dBackward(dout, refIdx, d, refDx);
            Runnable simdFwd = null;
            for (Ops ops : impls) {
                String impl = ops.device().kernels().impl().name().toLowerCase(Locale.ROOT);
                Tensor o = Tensor.allocate(arena, DType.F32, N, C, H / 2, W / 2);
                Tensor idx = Tensor.allocate(arena, DType.I32, N, C, H / 2, W / 2);
                Tensor dx = Tensor.allocate(arena, DType.F32, N, C, H, W);
                Runnable fwd = () -> ops.maxPool2d(x, d, o, idx);
                Runnable fb = () -> {
                    ops.maxPool2d(x, d, o, idx);
                    ops.maxPool2dBackward(dout, idx, d, dx);
                };
                fb.run();
                if (ops != scalar) {
                    ResultCheck.assertClose("maxpool2x2s2 fwd", impl, refOut.segment(), o.segment(), nOut, 0, 0);
                    if (MemorySegment.mismatch(refIdx.segment(), 0, nOut * 4, idx.segment(), 0, nOut * 4) != -1) {
                        throw new ResultMismatchException("maxpool2x2s2 fwd (" + impl + "): indices differ from the scalar reference");
                    }
                    ResultCheck.assertClose("maxpool2x2s2 fwd+bwd", impl, refDx.segment(), dx.segment(), nIn, 0, 0);
                }
                int r = ops == scalar ? Math.max(3, reps / 3) : reps;
                rows.add(row("maxpool2x2s2 fwd", impl, Timer.medianMs(fwd, r), fwdBytes));
                rows.add(row("maxpool2x2s2 fwd+bwd", impl, Timer.medianMs(fb, r), fbBytes));
                if (ops != scalar) simdFwd = fwd;
            }
            rows.addAll(otherWindows(arena, impls, scalar));
            copyMs = Math.min(copyMs, copy.medianMs(reps));
            rows.addFirst(row("copy", "jdk", copyMs, 2 * nIn * 4));
            Optional<TorchAnchor> torch = simdFwd == null ? Optional.empty() : anchor.start(common.threads, out);
            try {
                if (torch.isPresent()) {
                    Interleaved vs = Interleaved.run(simdFwd, torch.get(), "maxpool2x2s2 fwd " + SHAPE, anchor.rounds, anchor.sampleMs);
                    rows.add(row("maxpool2x2s2 fwd", torch.get().impl(), vs.torchMedianMs(), fwdBytes));
                    out.println("maxpool2x2s2 fwd " + SHAPE + " " + vs.summary(torch.get().impl()));
                }
            } finally {
                torch.ifPresent(TorchAnchor::close);
            }
        }
        BenchReport.printTable(out, rows);
        BenchRow copyRow = rows.getFirst();
        for (BenchRow r : rows) {
            if (r.impl().equals("simd")) {
                double speedup = rows.stream().filter(q -> q.impl().equals("scalar") && q.kernel().equals(r.kernel()))
                        .mapToDouble(q -> q.medianMs() / r.medianMs()).findFirst().orElse(Double.NaN);
                out.printf(Locale.ROOT, "%s simd: %.2f x the copy bandwidth, %.2f x faster than the scalar twin%n",
                        r.kernel(), r.gbps() / copyRow.gbps(), speedup);
            }
        }
        if (common.json != null) {
            BenchReport.writeJson(common.json, rows);
            out.println("wrote " + rows.size() + " rows to " + common.json);
        }
        out.flush();
        return 0;
    }

    private BenchRow row(String kernel, String impl, double ms, long bytes) {
        return new BenchRow(kernel, SHAPE, impl, common.threads, ms, null, bytes / ms / 1e6);
    }

    /** The input of the other windows' rows: a ResNet-sized 56x56 feature map. */
    static final long H2 = 56, W2 = 56;
    static final String SHAPE2 = N + "x" + C + "x" + H2 + "x" + W2;

    /** One row of the other windows: a pass of the kernel (on tensors prepared by prepare) with a name. */
    private record Case(String kernel, Pool2dDesc d, String pass) {
    }

    /**
     * Backward passes (avg 2x2/s2, 3x3/s2/p1, 3x3/s1/p1; max 3x3/s2/p1 from forward indices) and the
     * stride-3/4 forwards on 8x64x56x56, scalar twin vs SIMD, each SIMD result checked bit for bit
     * against the twin's before timing. gbps: 4*(in+out) bytes (indices on top for max).
     */
    private List<BenchRow> otherWindows(Arena arena, List<Ops> impls, Ops scalar) {
        List<Case> cases = List.of(
                new Case("avgpool2x2s2 bwd", Pool2dDesc.of(2), "avg bwd"),
                new Case("avgpool3x3s2p1 bwd", Pool2dDesc.of(3).stride(2).pad(1), "avg bwd"),
                new Case("avgpool3x3s1p1 bwd", Pool2dDesc.of(3).stride(1).pad(1), "avg bwd"),
                new Case("maxpool2x2s2 bwd", Pool2dDesc.of(2), "max bwd"),
                new Case("maxpool3x3s2p1 bwd", Pool2dDesc.of(3).stride(2).pad(1), "max bwd"),
                new Case("maxpool3x3s3 fwd", Pool2dDesc.of(3), "max fwd"),
                new Case("avgpool4x4s4 fwd", Pool2dDesc.of(4), "avg fwd"));
        List<BenchRow> rows = new ArrayList<>();
        Tensor x = Tensor.allocate(arena, DType.F32, N, C, H2, W2);
        fill(x, 3);
        for (Case c : cases) {
            long[] os = c.d().outputShape("bench", N, C, H2, W2);
            Tensor dout = Tensor.allocate(arena, DType.F32, os);
            fill(dout, 4);
            Tensor idx = Tensor.allocate(arena, DType.I32, os);
            scalar.maxPool2d(x, c.d(), Tensor.allocate(arena, DType.F32, os), idx);
            long nIn = x.numel(), nOut = dout.numel();
            Tensor ref = null;
            for (Ops ops : impls) {
                String impl = ops.device().kernels().impl().name().toLowerCase(Locale.ROOT);
                boolean fwd = c.pass().endsWith("fwd");
                Tensor res = fwd ? Tensor.allocate(arena, DType.F32, os) : Tensor.allocate(arena, DType.F32, N, C, H2, W2);
                Tensor resIdx = Tensor.allocate(arena, DType.I32, os);
                Runnable run = switch (c.pass()) {
                    case "avg bwd" -> () -> ops.avgPool2dBackward(dout, c.d(), res);
                    case "max bwd" -> () -> ops.maxPool2dBackward(dout, idx, c.d(), res);
                    case "max fwd" -> () -> ops.maxPool2d(x, c.d(), res, resIdx);
                    default -> () -> ops.avgPool2d(x, c.d(), res);
                };
                run.run();
                if (ref == null) {
                    ref = res;
                } else {
                    long n = res.numel() * 4;
                    if (MemorySegment.mismatch(ref.segment(), 0, n, res.segment(), 0, n) != -1) {
                        throw new ResultMismatchException(c.kernel() + " (" + impl + "): result differs from the scalar twin");
                    }
                }
                int r = ops == scalar ? Math.max(3, reps / 3) : reps;
                double ms = Timer.medianMs(run, r);
                rows.add(new BenchRow(c.kernel(), SHAPE2, impl, common.threads, ms, null, 4.0 * (nIn + nOut) / ms / 1e6));
            }
        }
        return rows;
    }

    private static void fill(Tensor t, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = t.segment();
        for (long i = 0; i < t.numel(); i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (r.nextDouble() * 2 - 1));
    }
}
