package io.tensorlane.bench.norm;

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
import io.tensorlane.runtime.BatchNormResult;
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
 * {@code bench norm}: batch-norm training forward and forward+backward (the workload of PyTorch's anchor,
 * 8x64x56x56), softmax forward 256x1000, and the fused optimizer updates on 2^22 parameters next to a memory-copy
 * baseline with the same footprint, for the scalar twins and the SIMD kernels, through {@link Ops}.
 */
@Command(name = "norm", mixinStandardHelpOptions = true,
        header = "Times batch norm, softmax and the optimizer updates (scalar vs SIMD) against the copy baseline.",
        description = {
                "Rows (names as in torch_anchor.py): 'batchnorm train fwd' and 'batchnorm train fwd+bwd' on NxCxHxW "
                        + "(default 8x64x56x56; fwd+bwd = the training forward, then dx, dgamma, dbeta), 'softmax fwd' on "
                        + "256x1000, and 'sgd update', 'sgd_momentum update', 'nesterov update', 'rmsprop update', "
                        + "'adam update' on P parameters (default 2^22), plus 'copy' (MemorySegment.copy of 2P floats: the "
                        + "same 4 x P x 4-byte footprint as Adam's w, g, m, v), timed first and last, the faster kept; "
                        + "'box encode' and 'box decode' on B anchor/box pairs (default 100000; SSD variances 0.1, 0.2). "
                        + "Every SIMD result is checked against the scalar twin before it is timed. gbps: nominal bytes per "
                        + "call / median time; batch norm counts 2n (fwd) and 5n (fwd+bwd) floats like torch_anchor.py, "
                        + "softmax 2n, box coding 12 B (two (B,4) inputs, one output), "
                        + "updates (reads + writes) x P floats: sgd 3, momentum 5, nesterov 5, rmsprop 5, adam 7 "
                        + "(the finiteness check's extra read of g is not counted: it is part of what a step costs).",
                "",
                "--torch also times PyTorch's batch norm training forward+backward (F.batch_norm, then dx, dgamma, "
                        + "dbeta by autograd) on the same shape, alternating samples with the SIMD kernels round by round, and "
                        + "reports the per-round ratio ours/torch.",
                "",
                "Examples:",
                "  ./tensorlane bench norm --threads 1 --json norm.json",
                "  ./tensorlane bench norm --torch      # batch norm against PyTorch, interleaved"})
public final class NormBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions common;

    @Mixin
    TorchOptions anchor;

    @Option(names = "--shape", defaultValue = "8x64x56x56", paramLabel = "NxCxHxW",
            description = "Batch-norm input (default ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--params", defaultValue = "4194304", paramLabel = "P",
            description = "Parameters per optimizer update (default ${DEFAULT-VALUE} = 2^22).")
    long params;

    @Option(names = "--boxes", defaultValue = "100000", paramLabel = "B",
            description = "Anchor/box pairs per box encode/decode call (default ${DEFAULT-VALUE}).")
    int boxes;

    @Option(names = "--reps", defaultValue = "11", paramLabel = "R",
            description = "Timed calls per row, median reported (default ${DEFAULT-VALUE}; scalar rows use max(3, R/3)).")
    int reps;

    static final long SM_ROWS = 256, SM_COLS = 1000;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        long[] bn = parseShape(shape);
        if (params < 1 || params > (1L << 40)) throw new ParameterException(spec.commandLine(), "bench norm: --params must be in [1, 2^40], got " + params);
        if (boxes < 1 || boxes > (1 << 28)) throw new ParameterException(spec.commandLine(), "bench norm: --boxes must be in [1, 2^28], got " + boxes);
        if (common.threads < 1) throw new ParameterException(spec.commandLine(), "bench norm: --threads must be >= 1, got " + common.threads);
        if (reps < 1) throw new ParameterException(spec.commandLine(), "bench norm: --reps must be >= 1, got " + reps);
        if (anchor.invalid() != null) throw new ParameterException(spec.commandLine(), "bench norm: " + anchor.invalid());
        Parallelism par = Parallelism.threads(common.threads);
        out.println("bench norm: " + Kernels.describe() + ", " + common.threads + " thread(s), batch norm " + shape + ", P=" + params
                + ", median of " + reps);
        out.flush();
        List<BenchRow> rows = new ArrayList<>();
        long c = bn[1], n = bn[0] * bn[1] * bn[2] * bn[3];
        try (Arena arena = Arena.ofShared()) {
            Tensor x = Tensor.allocate(arena, DType.F32, bn), dout = Tensor.allocate(arena, DType.F32, bn);
            fill(x, 1, -2, 3);
            fill(dout, 2, -1, 1);
            Tensor gamma = Tensor.allocate(arena, DType.F32, c), beta = Tensor.allocate(arena, DType.F32, c);
            fill(gamma, 3, 0.5, 1.5);
            fill(beta, 4, -0.5, 0.5);
            Tensor sx = Tensor.allocate(arena, DType.F32, SM_ROWS, SM_COLS);
            fill(sx, 5, -10, 10);
            Tensor anchors = Tensor.allocate(arena, DType.F32, boxes, 4), gt = Tensor.allocate(arena, DType.F32, boxes, 4);
            fillBoxes(anchors, gt);
            // optimizer tensors: w, g and two state tensors; copies restore them before each check
            Tensor w = Tensor.allocate(arena, DType.F32, params), g = Tensor.allocate(arena, DType.F32, params);
            Tensor s1 = Tensor.allocate(arena, DType.F32, params), s2 = Tensor.allocate(arena, DType.F32, params);
            fill(w, 6, -1, 1);
            fill(g, 7, -0.01, 0.01);
            Tensor w0 = Tensor.allocate(arena, DType.F32, params);
            MemorySegment.copy(w.segment(), 0, w0.segment(), 0, params * 4);

            long copyN = 2 * params;
            CopyBaseline copy = CopyBaseline.checked(par, arena.allocate(copyN * 4, 64), arena.allocate(copyN * 4, 64), copyN);
            double copyMs = copy.medianMs(reps);
            List<Ops> impls = CpuImpls.scalarAndSimd(par, out);
            Ops scalar = impls.get(0);

            String bnShape = shape, pShape = Long.toString(params);
            Runnable simdBn = null;
            for (Ops ops : impls) {
                String impl = ops.device().kernels().impl().name().toLowerCase(Locale.ROOT);
                boolean ref = ops == scalar;
                int r = ref ? Math.max(3, reps / 3) : reps;
                // --- batch norm: outputs preallocated, so the timing is the kernels only
                Tensor y = Tensor.allocate(arena, DType.F32, bn), dx = Tensor.allocate(arena, DType.F32, bn);
                Tensor mean = Tensor.allocate(arena, DType.F32, c), var = Tensor.allocate(arena, DType.F32, c);
                Tensor rm = Tensor.allocate(arena, DType.F32, c), rv = Tensor.allocate(arena, DType.F32, c);
                Tensor dg = Tensor.allocate(arena, DType.F32, c), db = Tensor.allocate(arena, DType.F32, c);
                Runnable fwd = () -> ops.batchNormTrain(x, gamma, beta, rm, rv, 0.9f, 1e-5f, y, mean, var);
                Runnable fwdBwd = () -> {
                    ops.batchNormTrain(x, gamma, beta, rm, rv, 0.9f, 1e-5f, y, mean, var);
                    ops.batchNormBackward(x, dout, gamma, mean, var, 1e-5f, dx, dg, db);
                };
                if (!ref) {
                    fwdBwd.run();
                    BatchNormResult e = scalar.batchNormTrain(x, gamma, beta, rm.contiguous(), rv.contiguous(), 0.9f, 1e-5f);
                    ResultCheck.assertClose("batchnorm train fwd", impl, e.out().segment(), y.segment(), n, 1e-4, 1e-4);
                    Tensor edx = scalar.batchNormBackward(x, dout, gamma, e.mean(), e.var(), 1e-5f).dx();
                    ResultCheck.assertClose("batchnorm train fwd+bwd", impl, edx.segment(), dx.segment(), n, 1e-3, 1e-4);
                }
                rows.add(row("batchnorm train fwd", bnShape, impl, Timer.medianMs(fwd, r), 2 * n * 4));
                rows.add(row("batchnorm train fwd+bwd", bnShape, impl, Timer.medianMs(fwdBwd, r), 5 * n * 4));
                if (!ref) simdBn = fwdBwd;
                // --- softmax
                Tensor sy = Tensor.allocate(arena, DType.F32, SM_ROWS, SM_COLS);
                if (!ref) {
                    ops.softmax(sx, -1, sy);
                    ResultCheck.assertClose("softmax fwd", impl, scalar.softmax(sx).segment(), sy.segment(), SM_ROWS * SM_COLS, 2e-5, 1e-30);
                }
                rows.add(row("softmax fwd", SM_ROWS + "x" + SM_COLS, impl, Timer.medianMs(() -> ops.softmax(sx, -1, sy), r * 5),
                        2 * SM_ROWS * SM_COLS * 4));
                // --- box encode / decode (SSD variances); decode starts from the scalar twin's deltas
                Tensor deltas = Tensor.allocate(arena, DType.F32, boxes, 4), decoded = Tensor.allocate(arena, DType.F32, boxes, 4);
                Tensor refDeltas = scalar.encodeBoxes(anchors, gt, 0.1f, 0.2f);
                if (!ref) {
                    ops.encodeBoxes(anchors, gt, 0.1f, 0.2f, deltas);
                    ResultCheck.assertClose("box encode", impl, refDeltas.segment(), deltas.segment(), 4L * boxes, 1e-6, 1e-6);
                    ops.decodeBoxes(anchors, refDeltas, 0.1f, 0.2f, decoded);
                    ResultCheck.assertClose("box decode", impl, scalar.decodeBoxes(anchors, refDeltas, 0.1f, 0.2f).segment(),
                            decoded.segment(), 4L * boxes, 1e-6, 1e-4);
                }
                String bShape = boxes + "x4";
                rows.add(row("box encode", bShape, impl, Timer.medianMs(() -> ops.encodeBoxes(anchors, gt, 0.1f, 0.2f, deltas), r * 5),
                        12L * boxes * 4));
                rows.add(row("box decode", bShape, impl, Timer.medianMs(() -> ops.decodeBoxes(anchors, refDeltas, 0.1f, 0.2f, decoded), r * 5),
                        12L * boxes * 4));
                // --- optimizer updates (lr tiny: thousands of timed steps keep w in range)
                if (!ref) checkUpdates(ops, scalar, impl, w, g, s1, s2, w0, arena);
                rows.add(update("sgd update", pShape, impl, r, 3, () -> ops.sgdStep(w, g, 1e-6f, 0f)));
                rows.add(update("sgd_momentum update", pShape, impl, r, 5, () -> ops.momentumStep(w, g, s1, 1e-6f, 0.9f, 0f)));
                rows.add(update("nesterov update", pShape, impl, r, 5, () -> ops.nesterovStep(w, g, s1, 1e-6f, 0.9f, 0f)));
                rows.add(update("rmsprop update", pShape, impl, r, 5, () -> ops.rmspropStep(w, g, s2, 1e-6f, 0.99f, 1e-8f, 0f)));
                long[] t = {0};
                rows.add(update("adam update", pShape, impl, r, 7, () -> ops.adamStep(w, g, s1, s2, ++t[0], 1e-6f, 0.9f, 0.999f, 1e-8f, 0f)));
            }
            copyMs = Math.min(copyMs, copy.medianMs(reps));
            rows.addFirst(row("copy", Long.toString(copyN), "jdk", copyMs, 2 * copyN * 4));
            Optional<TorchAnchor> torch = simdBn == null ? Optional.empty() : anchor.start(common.threads, out);
            try {
                if (torch.isPresent()) {
                    String kernel = "batchnorm train fwd+bwd";
                    Interleaved vs = Interleaved.run(simdBn, torch.get(), kernel + " " + bnShape, anchor.rounds, anchor.sampleMs);
                    rows.add(row(kernel, bnShape, torch.get().impl(), vs.torchMedianMs(), 5 * n * 4));
                    out.println(kernel + " " + bnShape + " " + vs.summary(torch.get().impl()));
                }
            } finally {
                torch.ifPresent(TorchAnchor::close);
            }
        }
        BenchReport.printTable(out, rows);
        if (common.json != null) {
            BenchReport.writeJson(common.json, rows);
            out.println("wrote " + rows.size() + " rows to " + common.json);
        }
        out.flush();
        return 0;
    }

    private BenchRow update(String kernel, String shape, String impl, int r, int streams, java.util.function.BooleanSupplier step) {
        double ms = Timer.medianMs(() -> {
            if (!step.getAsBoolean()) throw new ResultMismatchException(kernel + ": step skipped (non-finite gradient)");
        }, r);
        return row(kernel, shape, impl, ms, streams * params * 4);
    }

    /** One Adam and one momentum step from the same start on both sets must agree (they are bit-identical twins). */
    private void checkUpdates(Ops ops, Ops scalar, String impl, Tensor w, Tensor g, Tensor s1, Tensor s2, Tensor w0, Arena arena) {
        Tensor ew = Tensor.allocate(arena, DType.F32, params), e1 = Tensor.allocate(arena, DType.F32, params),
                e2 = Tensor.allocate(arena, DType.F32, params);
        for (String which : new String[] {"adam update", "sgd_momentum update"}) {
            for (Tensor[] set : new Tensor[][] {{w, s1, s2}, {ew, e1, e2}}) {
                MemorySegment.copy(w0.segment(), 0, set[0].segment(), 0, params * 4);
                set[1].segment().fill((byte) 0);
                set[2].segment().fill((byte) 0);
            }
            if (which.startsWith("adam")) {
                ops.adamStep(w, g, s1, s2, 1, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f);
                scalar.adamStep(ew, g, e1, e2, 1, 1e-3f, 0.9f, 0.999f, 1e-8f, 0f);
            } else {
                ops.momentumStep(w, g, s1, 1e-3f, 0.9f, 0f);
                scalar.momentumStep(ew, g, e1, 1e-3f, 0.9f, 0f);
            }
            ResultCheck.assertClose(which, impl, ew.segment(), w.segment(), params, 0, 0);
            ResultCheck.assertClose(which + " state", impl, e1.segment(), s1.segment(), params, 0, 0);
        }
    }

    private BenchRow row(String kernel, String shape, String impl, double ms, long bytes) {
        return new BenchRow(kernel, shape, impl, common.threads, ms, null, bytes / ms / 1e6);
    }

    private long[] parseShape(String s) {
        String[] p = s.toLowerCase(Locale.ROOT).split("x");
        if (p.length != 4) throw new ParameterException(spec.commandLine(), "bench norm: --shape must be NxCxHxW, got " + s);
        long[] d = new long[4];
        for (int i = 0; i < 4; i++) {
            try {
                d[i] = Long.parseLong(p[i].trim());
            } catch (NumberFormatException e) {
                d[i] = -1;
            }
            if (d[i] < 1) throw new ParameterException(spec.commandLine(), "bench norm: --shape must be NxCxHxW with positive dims, got " + s);
        }
        return d;
    }

    /** Anchors of 8..256 px over a 1000 x 1000 image; boxes near them, sizes within 2x either way. */
    private static void fillBoxes(Tensor anchors, Tensor boxes) {
        SplittableRandom r = new SplittableRandom(8);
        MemorySegment a = anchors.segment(), b = boxes.segment();
        for (long i = 0; i < anchors.dim(0); i++) {
            double x = 1000 * r.nextDouble(), y = 1000 * r.nextDouble(), w = 8 + 248 * r.nextDouble(), h = 8 + 248 * r.nextDouble();
            double bx = x + w * (r.nextDouble() - 0.5), by = y + h * (r.nextDouble() - 0.5);
            double bw = w * Math.pow(2, 2 * r.nextDouble() - 1), bh = h * Math.pow(2, 2 * r.nextDouble() - 1);
            double[] av = {x, y, x + w, y + h}, bv = {bx, by, bx + bw, by + bh};
            for (int k = 0; k < 4; k++) {
                a.setAtIndex(ValueLayout.JAVA_FLOAT, 4 * i + k, (float) av[k]);
                b.setAtIndex(ValueLayout.JAVA_FLOAT, 4 * i + k, (float) bv[k]);
            }
        }
    }

    private static void fill(Tensor t, long seed, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = t.segment();
        for (long i = 0; i < t.numel(); i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (lo + (hi - lo) * r.nextDouble()));
    }
}
