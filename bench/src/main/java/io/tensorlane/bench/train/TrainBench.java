package io.tensorlane.bench.train;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import io.tensorlane.bench.harness.BenchReport;
import io.tensorlane.bench.harness.BenchRow;
import io.tensorlane.bench.harness.JitQuiet;
import io.tensorlane.bench.harness.ResultMismatchException;
import io.tensorlane.bench.harness.Interleaved;
import io.tensorlane.bench.harness.RunOptions;
import io.tensorlane.bench.harness.Timer;
import io.tensorlane.bench.harness.TorchAnchor;
import io.tensorlane.bench.harness.TorchOptions;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.layers.Mode;
import io.tensorlane.layers.loss.Loss;
import io.tensorlane.layers.net.Net;
import io.tensorlane.layers.net.NetFile;
import io.tensorlane.layers.net.NetNode;
import io.tensorlane.layers.optim.Optimizer;
import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.io.PrintWriter;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code bench train}: the time of one whole training step (forward, loss, backward, SGD-momentum update)
 * of small CNNs at batch 64, the nets and names of the PyTorch anchor ({@code torch_anchor.py --subset=train}).
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        header = "Times one training step (forward, loss, backward, update) of LeNet-5 and the digits CNN, batch 64.",
        description = {
                "Builds each net from its net file (seeded), a random batch of 64 inputs and labels, softmax cross-entropy "
                        + "and SGD with momentum 0.9 (lr 0.01), and times the whole step: zero the gradients, forward in "
                        + "training mode, loss, backward, update. Before timing it checks that repeated steps on the batch "
                        + "lower the loss (a broken backward stops the run). Rows are named as the PyTorch anchor's "
                        + "(torch_anchor.py --subset=train): kernel + shape = 'LeNet-5 step b64 1x28x28', "
                        + "'digits-CNN step b64 1x8x8'. --profile adds the median forward and backward time of every layer "
                        + "and the bytes the JVM allocated per step.",
                "--torch also times PyTorch's step on the same nets (the anchor's), alternating samples with ours round "
                        + "by round so that both see the same host state, and reports the per-round ratio ours/torch; "
                        + "the rows' medians are then those of the interleaved samples.",
                "",
                "Examples:",
                "  ./tensorlane bench train",
                "  ./tensorlane bench train --threads 1 --json train.json --profile",
                "  ./tensorlane bench train --reps 5 --warm 0      # a quick smoke run",
                "  ./tensorlane bench train --torch --rounds 31    # against PyTorch, interleaved"})
public final class TrainBench implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    RunOptions common;

    @Mixin
    TorchOptions anchor;

    @Option(names = "--reps", defaultValue = "21", paramLabel = "R", description = "Timed steps per net; the median is reported (default ${DEFAULT-VALUE}).")
    int reps;

    @Option(names = "--warm", defaultValue = "2", paramLabel = "S",
            description = "Least seconds of untimed steps per net before timing; then until the step time is steady, "
                    + "at most 10x as long, then until the JIT's compile queue has drained (at most 10 s) and the step "
                    + "time is steady again (default ${DEFAULT-VALUE}; 0: only the timer's own warm-up).")
    double warmSeconds;

    @Option(names = "--profile", description = "Also time every layer's forward and backward and count allocated bytes per step.")
    boolean profile;

    static final int BATCH = 64;

    /**
     * The shipped net files by row name (kernel + " " + shape is the anchor's workload name). They are the anchor's
     * nets layer by layer: LeNet-5 = conv6 k5 p2, relu, maxpool2, conv16 k5, relu, maxpool2, fc120, relu, fc84, relu,
     * fc10 on 1x28x28 (61,706 parameters); digits CNN = conv32-bn-relu, conv32-bn-relu, maxpool2, conv64-bn-relu,
     * maxpool2, fc128, relu, fc10 on 1x8x8 (62,506 parameters); every conv and linear with a bias, as PyTorch's.
     */
    static final Map<String, String> NETS = Map.of("LeNet-5 step", "nets/lenet5.json", "digits-CNN step", "nets/digits_cnn.json");

    /** Row order: the anchor's. */
    static final List<String> ORDER = List.of("LeNet-5 step", "digits-CNN step");

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (common.threads < 1) throw new ParameterException(spec.commandLine(), "bench train: --threads must be >= 1, got " + common.threads);
        if (reps < 1) throw new ParameterException(spec.commandLine(), "bench train: --reps must be >= 1, got " + reps);
        if (!(warmSeconds >= 0 && warmSeconds <= 600)) {
            throw new ParameterException(spec.commandLine(), "bench train: --warm must be in [0, 600] seconds, got " + warmSeconds);
        }
        if (anchor.invalid() != null) throw new ParameterException(spec.commandLine(), "bench train: " + anchor.invalid());
        Ops ops = Ops.on(Device.cpu()).with(Parallelism.threads(common.threads));
        String impl = ops.device().kernels().impl().name().toLowerCase(Locale.ROOT);
        out.println("bench train: " + ops.device() + ", " + common.threads + " thread(s), batch " + BATCH + ", SGD momentum 0.9, median of " + reps);
        out.flush();
        List<BenchRow> rows = new ArrayList<>();
        Optional<TorchAnchor> torch = anchor.start(common.threads, out);
        try {
            for (String name : ORDER) {
                Step s = new Step(NetFile.resource(NETS.get(name)), ops);
                s.checkLearns(name);
                if (warmSeconds > 0) s.warm((long) (warmSeconds * 1e9));
                double ms = Timer.medianMs(s::run, reps);
                String shape = "b" + BATCH + " " + String.join("x", Arrays.stream(s.spec.inputShape()).mapToObj(Long::toString).toList());
                Interleaved vs = torch.map(t -> Interleaved.run(s::run, t, name + " " + shape, anchor.rounds, anchor.sampleMs)).orElse(null);
                if (vs != null) ms = vs.oursMedianMs();
                rows.add(new BenchRow(name, shape, impl, common.threads, ms, null, null));
                out.printf(Locale.ROOT, "%s %s: %.3f ms per step, %.0f images/s%n", name, shape, ms, BATCH / ms * 1e3);
                if (vs != null) {
                    rows.add(new BenchRow(name, shape, torch.get().impl(), common.threads, vs.torchMedianMs(), null, null));
                    out.println("  " + vs.summary(torch.get().impl()));
                }
                if (profile) s.profile(out, reps);
                out.flush();
            }
        } finally {
            torch.ifPresent(TorchAnchor::close);
        }
        BenchReport.printTable(out, rows);
        if (common.json != null) {
            BenchReport.writeJson(common.json, rows);
            out.println("wrote " + rows.size() + " rows to " + common.json);
        }
        out.flush();
        return 0;
    }

    /** One net's training step on a fixed random batch. */
    static final class Step {
        final NetFile.Spec spec;
        final Net net;
        final Loss loss;
        final Optimizer opt;
        final Tensor x, y;

        Step(NetFile.Spec spec, Ops ops) {
            this.spec = spec;
            this.net = spec.net();
            this.loss = spec.loss();
            net.setOps(ops);
            loss.setOps(ops);
            // as in the anchor (and the Solver): the input batch needs no gradient, so the first layer skips dx
            net.setInputGradient(false);
            opt = Optimizer.create("momentum", Map.of("lr", 0.01, "momentum", 0.9));
            opt.setOps(ops);
            long[] xs = new long[spec.inputShape().length + 1];
            xs[0] = BATCH;
            System.arraycopy(spec.inputShape(), 0, xs, 1, spec.inputShape().length);
            Random r = new Random(7);
            float[] xv = new float[Math.toIntExact(Arrays.stream(xs).reduce(1, Math::multiplyExact))];
            for (int i = 0; i < xv.length; i++) xv[i] = (float) r.nextGaussian();
            int[] yv = new int[BATCH];
            for (int i = 0; i < BATCH; i++) yv[i] = r.nextInt(10);
            // in native memory, as the Dataset's batches (heap segments in the kernels' loops slow them all)
            x = Tensor.allocate(Arena.ofAuto(), DType.F32, xs);
            MemorySegment.copy(xv, 0, x.segment(), JAVA_FLOAT, 0, xv.length);
            y = Tensor.allocate(Arena.ofAuto(), DType.I32, BATCH);
            MemorySegment.copy(yv, 0, y.segment(), JAVA_INT, 0, BATCH);
        }

        double run() {
            net.zeroGrad();
            LossResult l = loss.forward(net.forward(x, Mode.TRAIN), y);
            net.backward(l.grad());
            opt.step(net.params());
            return l.loss();
        }

        /**
         * Steps until the JIT has settled: at least minNanos, then until two 0.5 s windows give the same mean step
         * time within 5% (at most 10 x minNanos), then waits for the JIT's queue to drain and settles once more. A step runs dozens of kernels whose C2 compiles (many of them OSR) queue up
         * behind each other; on a loaded 2-core machine the 1 s warm-up of {@link Timer} timed LeNet-5 steps
         * still running partly interpreted (3-4x the settled time).
         */
        void warm(long minNanos) {
            steady(minNanos);
            // a step time can be steady while C2 is still working through its queue (the digits CNN's steps ran
            // at ~2x their compiled time for 7 s on this 2-core machine): let the queue drain, then settle again
            JitQuiet.await(10_000);
            steady(Math.min(minNanos, 1_000_000_000L));
            JitQuiet.await(3_000);
        }

        private void steady(long minNanos) {
            long start = System.nanoTime(), minEnd = start + minNanos, maxEnd = start + 10 * minNanos;
            double previous = Double.NaN;
            while (true) {
                long t0 = System.nanoTime();
                int n = 0;
                do {
                    run();
                    n++;
                } while (System.nanoTime() - t0 < 500_000_000L);
                double perStep = (System.nanoTime() - t0) / (double) n;
                long now = System.nanoTime();
                if (now >= maxEnd || (now >= minEnd && Math.abs(perStep - previous) <= 0.05 * previous)) return;
                previous = perStep;
            }
        }

        /** Steps on one batch must fit it: the loss has to fall, or forward/backward/update are broken. */
        void checkLearns(String name) {
            double first = run(), last = first;
            for (int i = 0; i < 30; i++) last = run();
            if (!(last < 0.5 * first)) {
                throw new ResultMismatchException(name + ": 30 SGD steps on one batch took the loss from " + first + " to " + last
                        + " (expected it to halve)");
            }
        }

        /** Median forward and backward time of each layer, and the JVM's allocation per step. */
        void profile(PrintWriter out, int reps) {
            List<NetNode> nodes = net.nodes();
            int n = nodes.size();
            double[][] fwd = new double[n][reps], bwd = new double[n][reps];
            double[] lossT = new double[reps], upd = new double[reps];
            var mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long tid = Thread.currentThread().threadId();
            long allocBefore = mx.getCurrentThreadAllocatedBytes();
            for (int r = 0; r < reps; r++) {
                net.zeroGrad();
                Tensor a = x;
                for (int i = 0; i < n; i++) {
                    long t0 = System.nanoTime();
                    a = nodes.get(i).layer().forward(a, Mode.TRAIN);
                    fwd[i][r] = (System.nanoTime() - t0) / 1e6;
                }
                long t0 = System.nanoTime();
                LossResult l = loss.forward(a, y);
                lossT[r] = (System.nanoTime() - t0) / 1e6;
                Tensor d = l.grad();
                for (int i = n - 1; i >= 0 && d != null; i--) {
                    t0 = System.nanoTime();
                    d = nodes.get(i).layer().backward(d);
                    bwd[i][r] = (System.nanoTime() - t0) / 1e6;
                }
                t0 = System.nanoTime();
                opt.step(net.params());
                upd[r] = (System.nanoTime() - t0) / 1e6;
            }
            long alloc = (mx.getCurrentThreadAllocatedBytes() - allocBefore) / reps;
            out.printf(Locale.ROOT, "  %-16s %-16s %10s %10s%n", "layer", "output", "fwd ms", "bwd ms");
            long[] shape = x.shape();
            double total = 0;
            for (int i = 0; i < n; i++) {
                shape = nodes.get(i).layer().outputShape(shape);
                double f = median(fwd[i]), b = median(bwd[i]);
                total += f + b;
                out.printf(Locale.ROOT, "  %-16s %-16s %10.3f %10.3f%n", nodes.get(i).name(), Arrays.toString(shape).replace(" ", ""), f, b);
            }
            double lm = median(lossT), um = median(upd);
            out.printf(Locale.ROOT, "  loss %.3f ms, update %.3f ms, layers %.3f ms; JVM heap allocated per step %.1f KiB (thread %d)%n",
                    lm, um, total, alloc / 1024.0, tid);
        }

        static double median(double[] v) {
            double[] s = v.clone();
            Arrays.sort(s);
            return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }
    }
}
