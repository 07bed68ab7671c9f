package io.tensorlane.bench.lstm;

import io.tensorlane.bench.harness.BenchReport;
import io.tensorlane.bench.harness.BenchRow;
import io.tensorlane.bench.harness.JitQuiet;
import io.tensorlane.bench.harness.ResultCheck;
import io.tensorlane.bench.harness.RunOptions;
import io.tensorlane.bench.harness.Interleaved;
import io.tensorlane.bench.harness.Timer;
import io.tensorlane.bench.harness.TorchAnchor;
import io.tensorlane.bench.harness.TorchOptions;
import io.tensorlane.kernels.Impl;
import io.tensorlane.kernels.Kernels;
import io.tensorlane.kernels.PackedMatrix;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.LstmOutput;
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
 * {@code bench lstm}: one LSTM cell step forward (the {@code LSTMCell fwd N64 D512 H512} workload of
 * {@code torch_anchor.py}) and a full sequence of T steps forward + backward through time, through
 * {@link Ops} with preallocated outputs, as a layer calls them.
 */
@Command(name = "lstm", mixinStandardHelpOptions = true,
        header = "Times the LSTM cell forward and a full LSTM sequence forward+backward.",
        description = {
                "Rows: 'LSTMCell fwd' (x (N,D), h, c (N,H), weights (D,4H), (H,4H), b (4H): two GEMMs into the gate "
                        + "matrix and the fused gate kernel), for the SIMD kernels and the scalar twins; 'LSTMCell fwd packed-W', the "
                        + "inference form: the same step over weights packed once before timing (Ops.lstmPackWeights, as a layer "
                        + "that reuses unchanged weights would; bit-identical results), SIMD only; and 'LSTM seq fwd+bwd' "
                        + "(T steps forward, then backward through time with every weight gradient), SIMD only (the scalar "
                        + "GEMM would take minutes). The SIMD results are checked against the scalar twin before timing "
                        + "(the sequence on its first 2 steps). gflops counts GEMM work only: 2N(D+H)4H per step forward, "
                        + "twice that backward; gbps is null.",
                "",
                "--torch also times PyTorch's LSTMCell forward (torch.nn.LSTMCell, no_grad) on the same sizes, alternating "
                        + "samples with the SIMD cell round by round, and reports the per-round ratio ours/torch, for the cell "
                        + "and for its packed-W form (the project's "
                        + "reference anchor: torch_anchor.py --subset=blas, row 'LSTMCell fwd N64 D512 H512').",
                "",
                "Examples:",
                "  ./tensorlane bench lstm --threads 1 --json lstm.json",
                "  ./tensorlane bench lstm --no-scalar --no-seq --reps 51",
                "  ./tensorlane bench lstm --no-scalar --no-seq --torch   # against PyTorch, interleaved",
                "  ./tensorlane bench lstm --batch 32 --input 256 --hidden 256 --steps 20"})
public final class LstmBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions common;

    @Mixin
    TorchOptions anchor;

    @Option(names = "--batch", defaultValue = "64", paramLabel = "N", description = "Batch size (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--input", defaultValue = "512", paramLabel = "D", description = "Input size (default ${DEFAULT-VALUE}).")
    int d;

    @Option(names = "--hidden", defaultValue = "512", paramLabel = "H", description = "Hidden size (default ${DEFAULT-VALUE}).")
    int h;

    @Option(names = "--steps", defaultValue = "50", paramLabel = "T", description = "Sequence length (default ${DEFAULT-VALUE}).")
    int t;

    @Option(names = "--reps", defaultValue = "21", paramLabel = "R",
            description = "Timed calls of the cell (default ${DEFAULT-VALUE}); the sequence uses max(3, R/4), the scalar cell max(3, R/7).")
    int reps;

    @Option(names = "--no-scalar", description = "Skip the (slow) scalar cell row; SIMD results are still checked against it.")
    boolean noScalar;

    @Option(names = "--no-seq", description = "Skip the sequence row (time the cell only).")
    boolean noSeq;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        for (int[] v : new int[][] {{n, 0}, {d, 1}, {h, 2}, {t, 3}, {common.threads, 4}, {reps, 5}}) {
            if (v[0] < 1) {
                String[] names = {"--batch", "--input", "--hidden", "--steps", "--threads", "--reps"};
                throw new ParameterException(spec.commandLine(), "bench lstm: " + names[v[1]] + " must be >= 1, got " + v[0]);
            }
        }
        if (anchor.invalid() != null) throw new ParameterException(spec.commandLine(), "bench lstm: " + anchor.invalid());
        Parallelism par = Parallelism.threads(common.threads);
        String cellShape = "N" + n + " D" + d + " H" + h, seqShape = "N" + n + " T" + t + " D" + d + " H" + h;
        double cellFlops = 2.0 * n * (d + h) * 4.0 * h;
        out.println("bench lstm: " + Kernels.describe() + ", " + common.threads + " thread(s), " + seqShape);
        out.flush();
        List<BenchRow> rows = new ArrayList<>();
        Ops scalar = Ops.on(Device.cpu(Impl.SCALAR)).with(par);
        Ops simd = Kernels.simdAvailable() ? Ops.on(Device.cpu(Impl.SIMD)).with(par) : null;
        if (simd == null) out.println("(SIMD unavailable: " + Kernels.simdUnavailableReason().orElse("?") + ")");
        try (Arena arena = Arena.ofShared()) {
            Tensor x = rand(arena, 1, 1, n, d), h0 = rand(arena, 2, 1, n, h), c0 = rand(arena, 3, 1, n, h);
            Tensor wx = rand(arena, 4, 0.05, d, 4 * h), wh = rand(arena, 5, 0.05, h, 4 * h), b = rand(arena, 6, 0.1, 4 * h);
            Tensor hOut = alloc(arena, n, h), cOut = alloc(arena, n, h), gates = alloc(arena, n, 4 * h);
            Tensor hRef = alloc(arena, n, h), cRef = alloc(arena, n, h), gRef = alloc(arena, n, 4 * h);
            scalar.lstmStep(x, h0, c0, wx, wh, b, hRef, cRef, gRef);
            if (simd != null) {
                simd.lstmStep(x, h0, c0, wx, wh, b, hOut, cOut, gates);
                ResultCheck.assertClose("LSTMCell fwd h", "simd", hRef.segment(), hOut.segment(), hOut.numel(), 1e-4, 1e-5);
                ResultCheck.assertClose("LSTMCell fwd c", "simd", cRef.segment(), cOut.segment(), cOut.numel(), 1e-4, 1e-5);
                // the cell's first calls queue C2 compiles of the GEMM that can take seconds here: let them finish
                for (int i = 0; i < 20; i++) simd.lstmStep(x, h0, c0, wx, wh, b, hOut, cOut, gates);
                JitQuiet.await(5_000);
                double ms = Timer.medianMs(() -> simd.lstmStep(x, h0, c0, wx, wh, b, hOut, cOut, gates), reps);
                rows.add(new BenchRow("LSTMCell fwd", cellShape, "simd", common.threads, ms, cellFlops / ms / 1e6, null));
                // the inference form: weights packed once outside the timed calls (bit-identical results)
                PackedMatrix pw = simd.lstmPackWeights(wx, wh);
                Tensor hP = alloc(arena, n, h), cP = alloc(arena, n, h), gP = alloc(arena, n, 4 * h);
                simd.lstmStep(x, h0, c0, pw, b, hP, cP, gP);
                ResultCheck.assertClose("LSTMCell fwd packed-W h", "simd", hOut.segment(), hP.segment(), hP.numel(), 0, 0);
                ResultCheck.assertClose("LSTMCell fwd packed-W c", "simd", cOut.segment(), cP.segment(), cP.numel(), 0, 0);
                double pms = Timer.medianMs(() -> simd.lstmStep(x, h0, c0, pw, b, hP, cP, gP), reps);
                rows.add(new BenchRow("LSTMCell fwd packed-W", cellShape, "simd", common.threads, pms, cellFlops / pms / 1e6, null));
                Optional<TorchAnchor> torch = anchor.start(common.threads, out);
                try {
                    if (torch.isPresent()) {
                        String workload = "LSTMCell fwd " + cellShape;
                        Interleaved vs = Interleaved.run(() -> simd.lstmStep(x, h0, c0, wx, wh, b, hOut, cOut, gates),
                                torch.get(), workload, anchor.rounds, anchor.sampleMs);
                        double tms = vs.torchMedianMs();
                        rows.add(new BenchRow("LSTMCell fwd", cellShape, torch.get().impl(), common.threads, tms, cellFlops / tms / 1e6, null));
                        out.println("LSTMCell fwd " + cellShape + " " + vs.summary(torch.get().impl()));
                        // the inference form against the same PyTorch cell (whose module keeps its weights between calls)
                        Interleaved vp = Interleaved.run(() -> simd.lstmStep(x, h0, c0, pw, b, hP, cP, gP),
                                torch.get(), workload, "LSTMCell fwd packed-W " + cellShape, anchor.rounds, anchor.sampleMs);
                        out.println("LSTMCell fwd packed-W " + cellShape + " " + vp.summary(torch.get().impl()));
                    }
                } finally {
                    torch.ifPresent(TorchAnchor::close);
                }
            }
            if (!noScalar || simd == null) {
                double sms = Timer.medianMs(() -> scalar.lstmStep(x, h0, c0, wx, wh, b, hRef, cRef, gRef), Math.max(3, reps / 7));
                rows.add(new BenchRow("LSTMCell fwd", cellShape, "scalar", common.threads, sms, cellFlops / sms / 1e6, null));
            }

            if (simd != null && !noSeq) {
                Tensor xs = rand(arena, 7, 1, n, t, d), dh = rand(arena, 8, 1, n, t, h);
                checkSequence(arena, scalar, simd, xs, h0, wx, wh, b, dh);
                Tensor hs = alloc(arena, n, t, h), cs = alloc(arena, n, t, h), gs = alloc(arena, n, t, 4 * h);
                Tensor dx = alloc(arena, n, t, d), dh0 = alloc(arena, n, h), dc0 = alloc(arena, n, h);
                Tensor dWx = alloc(arena, d, 4 * h), dWh = alloc(arena, h, 4 * h), db = alloc(arena, 4 * h);
                LstmOutput f = new LstmOutput(hs, cs, gs);
                double ms = Timer.medianMs(() -> {
                    simd.lstmSeq(xs, h0, null, wx, wh, b, hs, cs, gs);
                    simd.lstmSeqBackward(xs, h0, null, wx, wh, f, dh, null, dx, dh0, dc0, dWx, dWh, db);
                }, Math.max(3, reps / 4));
                rows.add(new BenchRow("LSTM seq fwd+bwd", seqShape, "simd", common.threads, ms, 3 * t * cellFlops / ms / 1e6, null));
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

    /** The SIMD sequence forward and backward against the scalar twin on the first two steps. */
    private static void checkSequence(Arena arena, Ops scalar, Ops simd, Tensor xs, Tensor h0, Tensor wx, Tensor wh,
                                      Tensor b, Tensor dh) {
        int steps = (int) Math.min(2, xs.dim(1));
        Tensor x2 = xs.slice(1, 0, steps).contiguous(), dh2 = dh.slice(1, 0, steps).contiguous();
        LstmOutput fr = scalar.lstmSeq(x2, h0, null, wx, wh, b), fs = simd.lstmSeq(x2, h0, null, wx, wh, b);
        ResultCheck.assertClose("LSTM seq fwd h", "simd", fr.h().segment(), fs.h().segment(), fr.h().numel(), 1e-4, 1e-5);
        var gr = scalar.lstmSeqBackward(x2, h0, null, wx, wh, fr, dh2, null);
        var gs = simd.lstmSeqBackward(x2, h0, null, wx, wh, fs, dh2, null);
        ResultCheck.assertClose("LSTM seq bwd dx", "simd", gr.dx().segment(), gs.dx().segment(), gr.dx().numel(), 1e-4, 1e-4);
        ResultCheck.assertClose("LSTM seq bwd dWh", "simd", gr.dWh().segment(), gs.dWh().segment(), gr.dWh().numel(), 1e-4, 1e-4);
    }

    private static Tensor alloc(Arena arena, long... shape) {
        return Tensor.allocate(arena, DType.F32, shape);
    }

    private static Tensor rand(Arena arena, long seed, double scale, long... shape) {
        Tensor t = alloc(arena, shape);
        SplittableRandom r = new SplittableRandom(seed);
        MemorySegment s = t.segment();
        for (long i = 0; i < t.numel(); i++) s.setAtIndex(ValueLayout.JAVA_FLOAT, i, (float) ((r.nextDouble() * 2 - 1) * scale));
        return t;
    }
}
