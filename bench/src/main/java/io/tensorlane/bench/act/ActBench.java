package io.tensorlane.bench.act;

import io.tensorlane.bench.harness.BenchReport;
import io.tensorlane.bench.harness.CpuImpls;
import io.tensorlane.bench.harness.CopyBaseline;
import io.tensorlane.bench.harness.BenchRow;
import io.tensorlane.bench.harness.Interleaved;
import io.tensorlane.bench.harness.ResultCheck;
import io.tensorlane.bench.harness.RunOptions;
import io.tensorlane.bench.harness.Timer;
import io.tensorlane.bench.harness.TorchAnchor;
import io.tensorlane.bench.harness.TorchOptions;
import io.tensorlane.kernels.Kernels;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
 * {@code bench act}: the memory-copy baseline, relu fwd/bwd, sigmoid and tanh fwd over N floats and
 * softmax fwd/bwd over 256x1000, for the scalar twins and the SIMD kernels, called through {@link Ops}
 * as a user calls them.
 */
@Command(name = "act", mixinStandardHelpOptions = true,
        header = "Times activations and softmax (scalar vs SIMD) against the memory-copy baseline.",
        description = {
                "Times, in one process: copy (MemorySegment.copy of N floats, the memory-bandwidth baseline), "
                        + "relu fwd, relu bwd, sigmoid fwd and tanh fwd on N floats, and softmax fwd/bwd on 256x1000, "
                        + "for the scalar reference twins and the SIMD kernels, through the Ops facade. Every SIMD result "
                        + "is checked against the scalar twin before it is timed. Reports the median of R timed calls "
                        + "after a warm-up (copy: timed first and last, the faster median kept). gbps = bytes read + written per call / median time: copy and the forward "
                        + "ops move 8 bytes per element, relu bwd and softmax bwd 12; gflops is null (memory-bound "
                        + "element-wise work; a flop count would depend on the exp approximation).",
                "--torch also times PyTorch's softmax fwd on 256x1000 (torch.softmax, dim=1), alternating samples with "
                        + "the SIMD softmax round by round, and reports the per-round ratio ours/torch.",
                "",
                "Examples:",
                "  ./tensorlane bench act",
                "  ./tensorlane bench act --threads 1 --json act.json",
                "  ./tensorlane bench act --size 1048576 --threads 2 --reps 21",
                "  ./tensorlane bench act --size 65536 --torch     # softmax against PyTorch, interleaved"})
public final class ActBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions common;

    @Mixin
    TorchOptions anchor;

    @Option(names = "--size", defaultValue = "16777216", paramLabel = "N",
            description = "Floats per element-wise array (default ${DEFAULT-VALUE} = 2^24, 64 MiB per array).")
    long size;

    @Option(names = "--reps", defaultValue = "11", paramLabel = "R",
            description = "Timed calls per row; the median is reported (default ${DEFAULT-VALUE}). The slow scalar "
                    + "element-wise rows use max(3, R/3), the short softmax rows 5R.")
    int reps;

    static final long SM_ROWS = 256, SM_COLS = 1000;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (size < 1) throw new ParameterException(spec.commandLine(), "bench act: --size must be >= 1, got " + size);
        if (size > Long.MAX_VALUE / 4) throw new ParameterException(spec.commandLine(), "bench act: --size " + size + " is too large");
        if (common.threads < 1) throw new ParameterException(spec.commandLine(), "bench act: --threads must be >= 1, got " + common.threads);
        if (reps < 1) throw new ParameterException(spec.commandLine(), "bench act: --reps must be >= 1, got " + reps);
        if (anchor.invalid() != null) throw new ParameterException(spec.commandLine(), "bench act: " + anchor.invalid());
        Parallelism par = Parallelism.threads(common.threads);
        out.println("bench act: " + Kernels.describe() + ", " + common.threads + " thread(s), N=" + size + ", median of " + reps);
        out.flush();
        List<BenchRow> rows = new ArrayList<>();
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
            long bytes = size * 4, smBytes = SM_ROWS * SM_COLS * 4;

            CopyBaseline copy = CopyBaseline.checked(par, x.segment(), y.segment(), size);
            double copyMs = copy.medianMs(reps);
            List<Ops> impls = CpuImpls.scalarAndSimd(par, out);
            Ops scalar = impls.get(0);
            Tensor prob = scalar.softmax(sx); // softmax bwd input: the forward output
            for (Ops ops : impls) {
                Case c = new Case(ops, scalar);
                rows.add(c.time("relu fwd", n, 2 * bytes, y, ref, 0, 0, o -> o.relu(x, y), o -> o.relu(x, ref)));
                rows.add(c.time("relu bwd", n, 3 * bytes, y, ref, 0, 0,
                        o -> o.reluBackward(x, dout, y), o -> o.reluBackward(x, dout, ref)));
                rows.add(c.time("sigmoid fwd", n, 2 * bytes, y, ref, 2e-6, 1e-30,
                        o -> o.sigmoid(x, y), o -> o.sigmoid(x, ref)));
                rows.add(c.time("tanh fwd", n, 2 * bytes, y, ref, 3e-6, 1e-30, o -> o.tanh(x, y), o -> o.tanh(x, ref)));
                rows.add(c.time("softmax fwd", sm, 2 * smBytes, sy, sref, 2e-5, 1e-30,
                        o -> o.softmax(sx, -1, sy), o -> o.softmax(sx, -1, sref)));
                rows.add(c.time("softmax bwd", sm, 3 * smBytes, sy, sref, 2e-5, 2e-6,
                        o -> o.softmaxBackward(prob, sd, -1, sy), o -> o.softmaxBackward(prob, sd, -1, sref)));
            }
            copyMs = Math.min(copyMs, copy.medianMs(reps)); // again after the kernels: see CopyBaseline
            rows.addFirst(row("copy", n, "jdk", copyMs, 2 * bytes));
            Optional<TorchAnchor> torch = anchor.start(common.threads, out);
            try {
                if (torch.isPresent()) {
                    Ops simd = impls.getLast();
                    Interleaved vs = Interleaved.run(() -> simd.softmax(sx, -1, sy), torch.get(), "softmax fwd " + sm,
                            anchor.rounds, anchor.sampleMs);
                    rows.add(row("softmax fwd", sm, torch.get().impl(), vs.torchMedianMs(), 2 * smBytes));
                    out.println("softmax fwd " + sm + " " + vs.summary(torch.get().impl()));
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

    private interface Call {
        void run(Ops ops);
    }

    /** Times one implementation; the scalar twin is the reference every other result is checked against. */
    private final class Case {
        final Ops ops, scalar;
        final String impl;
        final boolean isReference;

        Case(Ops ops, Ops scalar) {
            this.ops = ops;
            this.scalar = scalar;
            this.impl = ops.device().kernels().impl().name().toLowerCase(Locale.ROOT);
            this.isReference = ops == scalar;
        }

        BenchRow time(String kernel, String shape, long bytes, Tensor result, Tensor ref, double rtol, double atol,
                      Call call, Call refCall) {
            if (!isReference) {
                call.run(ops);
                refCall.run(scalar);
                ResultCheck.assertClose(kernel, impl, ref.segment(), result.segment(), result.numel(), rtol, atol);
            }
            boolean elementwise = !shape.contains("x");
            // The scalar element-wise rows are slow and steady: fewer samples keep the whole run near a minute.
            // The softmax rows take well under a millisecond: more samples steady their median.
            int r = elementwise ? (isReference ? Math.max(3, reps / 3) : reps) : reps * 5;
            return row(kernel, shape, impl, Timer.medianMs(() -> call.run(ops), r), bytes);
        }
    }

    private BenchRow row(String kernel, String shape, String impl, double ms, long bytes) {
        return new BenchRow(kernel, shape, impl, common.threads, ms, null, bytes / ms / 1e6);
    }

    private static void fill(Tensor t, long seed, double lo, double hi) {
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = t.segment();
        for (long i = 0; i < t.numel(); i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) (lo + (hi - lo) * r.nextDouble()));
    }
}
