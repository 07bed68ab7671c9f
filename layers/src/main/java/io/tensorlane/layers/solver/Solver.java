package io.tensorlane.layers.solver;

import io.tensorlane.layers.Mode;
import io.tensorlane.layers.Param;
import io.tensorlane.layers.data.Batch;
import io.tensorlane.layers.data.Dataset;
import io.tensorlane.layers.loss.Loss;
import io.tensorlane.layers.net.Net;
import io.tensorlane.layers.optim.LrSchedule;
import io.tensorlane.layers.optim.Optimizer;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Trains a net (the cs231n Solver): built from a model, its loss, training and validation data and
 * options; {@link #train()} runs epochs of {@link #step(Batch)} (mini-batch forward, loss, backward,
 * update), sets the learning rate of each epoch from the schedule, measures accuracy on (a sample
 * of) the training data and on the validation data after each epoch, keeps the parameters of the
 * best validation epoch (restored at the end) and the loss and accuracy histories. For a regression
 * loss the validation loss takes the place of accuracy (lower is better).
 *
 * <pre>{@code
 * Solver s = Solver.builder(net, new SoftmaxCrossEntropy(), train, val)
 *     .optimizer("adam", Map.of("lr", 1e-3)).schedule(LrSchedule.step(5, 0.5))
 *     .epochs(10).batchSize(64).seed(42).chart(Path.of("out/training.png")).build();
 * Solver.History h = s.train();
 * }</pre>
 */
public final class Solver {
    /** What training produced: per-step losses, per-epoch metrics, the best epoch. */
    public record History(List<Double> loss, List<Double> trainAccuracy, List<Double> valAccuracy, List<Double> valLoss,
                          double bestValMetric, int bestEpoch, double seconds) {
    }

    private final Net model;
    private final Loss loss;
    private final Dataset train;
    private final Dataset val;
    private final Optimizer optimizer;
    private final LrSchedule schedule;
    private final int epochs;
    private final int batchSize;
    private final int evalBatchSize;
    private final int trainAccuracySamples;
    private final int valAccuracySamples;
    private final boolean keepBest;
    private final PrintStream progress;
    private final boolean terminal;
    private final Path chart;
    private final Consumer<Batch> augment;
    private final Random rng;
    private final Ops ops;

    private final List<Double> lossHistory = new ArrayList<>();
    private final List<Double> trainAccHistory = new ArrayList<>();
    private final List<Double> valAccHistory = new ArrayList<>();
    private final List<Double> valLossHistory = new ArrayList<>();
    private Map<Param, float[]> best;
    private double bestMetric = Double.NaN;
    private int bestEpoch = -1;
    private double lastBatchAccuracy = Double.NaN;

    private Solver(Builder b) {
        this.model = b.model;
        this.loss = b.loss;
        this.train = b.train;
        this.val = b.val;
        this.optimizer = Optimizer.create(b.optimizerName, b.optimizerOptions);
        this.schedule = b.schedule;
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.evalBatchSize = b.evalBatchSize;
        this.trainAccuracySamples = b.trainAccuracySamples;
        this.valAccuracySamples = b.valAccuracySamples;
        this.keepBest = b.keepBest;
        this.progress = b.progress;
        this.terminal = b.terminal != null ? b.terminal : b.progress == System.out && ProgressBar.stdoutIsTerminal();
        this.chart = b.chart;
        this.augment = b.augment;
        this.rng = new Random(b.seed);
        this.ops = b.ops;
        model.setOps(ops);
        model.setInputGradient(false); // training never needs d loss / d images: the first layers skip it
        loss.setOps(ops);
        optimizer.setOps(ops);
        if (loss.classification() && (!train.hasLabels() || !val.hasLabels())) {
            throw new IllegalArgumentException("solver: " + loss.type() + " needs data sets with class labels");
        }
        if (!loss.classification() && (train.hasLabels() || val.hasLabels())) {
            throw new IllegalArgumentException("solver: " + loss.type() + " needs data sets with float targets, got class labels");
        }
    }

    public static Builder builder(Net model, Loss loss, Dataset train, Dataset val) {
        return new Builder(model, loss, train, val);
    }

    /** Options of a {@link Solver}; each is validated when set. */
    public static final class Builder {
        private final Net model;
        private final Loss loss;
        private final Dataset train;
        private final Dataset val;
        private String optimizerName = "sgd";
        private Map<String, ?> optimizerOptions = Map.of();
        private LrSchedule schedule = LrSchedule.constant();
        private int epochs = 10;
        private int batchSize = 64;
        private int evalBatchSize = 256;
        private int trainAccuracySamples = 1000;
        private int valAccuracySamples = 0;
        private boolean keepBest = true;
        private PrintStream progress = System.out;
        private Boolean terminal;
        private Path chart;
        private Consumer<Batch> augment;
        private long seed;
        private Ops ops = Ops.on(Device.cpu());

        private Builder(Net model, Loss loss, Dataset train, Dataset val) {
            this.model = java.util.Objects.requireNonNull(model, "model");
            this.loss = java.util.Objects.requireNonNull(loss, "loss");
            this.train = java.util.Objects.requireNonNull(train, "train");
            this.val = java.util.Objects.requireNonNull(val, "val");
            if (train.size() == 0 || val.size() == 0) throw new IllegalArgumentException("solver: empty training or validation data");
        }

        /** The update rule and its options (validated now: an unknown option lists the valid ones). */
        public Builder optimizer(String name, Map<String, ?> options) {
            Optimizer.create(name, options);
            this.optimizerName = name;
            this.optimizerOptions = Map.copyOf(options);
            return this;
        }

        /** The learning rate of each epoch from the optimizer's {@code lr} (default constant). */
        public Builder schedule(LrSchedule schedule) { this.schedule = java.util.Objects.requireNonNull(schedule); return this; }

        public Builder epochs(int n) { this.epochs = positive("epochs", n); return this; }

        public Builder batchSize(int n) { this.batchSize = positive("batchSize", n); return this; }

        /** Batch size of accuracy checks (default 256). */
        public Builder evalBatchSize(int n) { this.evalBatchSize = positive("evalBatchSize", n); return this; }

        /** Training samples drawn for the per-epoch train accuracy (default 1000; 0 = all). */
        public Builder trainAccuracySamples(int n) { this.trainAccuracySamples = nonNegative("trainAccuracySamples", n); return this; }

        /** Validation samples for the per-epoch accuracy (default 0 = all). */
        public Builder valAccuracySamples(int n) { this.valAccuracySamples = nonNegative("valAccuracySamples", n); return this; }

        /** Restore the parameters of the best validation epoch at the end (default true). */
        public Builder keepBest(boolean b) { this.keepBest = b; return this; }

        /** Where progress goes (default System.out); null = silent. */
        public Builder progress(PrintStream out) { this.progress = out; return this; }

        /** Force the in-place bar (true) or plain lines (false); default: a bar only when stdout is a terminal. */
        public Builder terminal(boolean t) { this.terminal = t; return this; }

        /** Write the loss / accuracy PNG here after training. */
        public Builder chart(Path png) { this.chart = png; return this; }

        /** A transform applied to every training batch in place before the step (augmentation). */
        public Builder augment(Consumer<Batch> a) { this.augment = a; return this; }

        /** Seeds shuffling and accuracy sampling. */
        public Builder seed(long seed) { this.seed = seed; return this; }

        /** The ops (device, threads) the model computes with. */
        public Builder ops(Ops ops) { this.ops = java.util.Objects.requireNonNull(ops); return this; }

        public Solver build() { return new Solver(this); }

        private static int positive(String name, int n) {
            if (n < 1) throw new IllegalArgumentException("solver: " + name + " must be >= 1, got " + n);
            return n;
        }

        private static int nonNegative(String name, int n) {
            if (n < 0) throw new IllegalArgumentException("solver: " + name + " must be >= 0, got " + n);
            return n;
        }
    }

    public Optimizer optimizer() { return optimizer; }

    public Net model() { return model; }

    /**
     * One update on one mini-batch: zero the gradients, forward in TRAIN mode, loss, backward,
     * optimizer step. Returns the batch loss (NaN when the step was skipped for a non-finite gradient).
     */
    public double step(Batch batch) {
        model.zeroGrad();
        Tensor scores = model.forward(batch.x(), Mode.TRAIN);
        LossResult r = loss.forward(scores, batch.y());
        model.backward(r.grad());
        boolean applied = optimizer.step(model.params());
        lastBatchAccuracy = loss.classification() ? accuracy(scores, batch.y()) : Double.NaN;
        return applied ? r.loss() : Double.NaN;
    }

    private double accuracy(Tensor scores, Tensor labels) {
        int[] pred = ops.argmax(scores, 1).toIntArray();
        int[] y = labels.toIntArray();
        int ok = 0;
        for (int i = 0; i < pred.length; i++) if (pred[i] == y[i]) ok++;
        return (double) ok / pred.length;
    }

    /**
     * Fraction of {@code numSamples} samples (drawn at random; 0 or more than there are = all) whose
     * arg-max score is their label, run in EVAL mode in batches of {@code batchSize}.
     */
    public double checkAccuracy(Dataset data, int numSamples, int batchSize) {
        if (!data.hasLabels()) throw new IllegalArgumentException("checkAccuracy: the data set has no class labels");
        Dataset d = sample(data, numSamples);
        long ok = 0;
        for (Batch b : d.batches(batchSize, false, rng)) {
            Tensor scores = model.forward(b.x(), Mode.EVAL);
            ok += Math.round(accuracy(scores, b.y()) * b.size());
        }
        return (double) ok / d.size();
    }

    /** {@link #checkAccuracy(Dataset, int, int)} over X (N, sample...) F32 and y (N) I32. */
    public double checkAccuracy(Tensor x, Tensor y, int numSamples, int batchSize) {
        long[] s = x.shape();
        return checkAccuracy(Dataset.of(x.contiguous().toFloatArray(), java.util.Arrays.copyOfRange(s, 1, s.length),
                y.contiguous().toIntArray()), numSamples, batchSize);
    }

    /** Mean loss over the data in EVAL mode (regression's validation metric). */
    public double evaluateLoss(Dataset data, int numSamples, int batchSize) {
        Dataset d = sample(data, numSamples);
        double sum = 0;
        for (Batch b : d.batches(batchSize, false, rng)) {
            sum += loss.forward(model.forward(b.x(), Mode.EVAL), b.y()).loss() * b.size();
        }
        return sum / d.size();
    }

    private Dataset sample(Dataset data, int numSamples) {
        if (numSamples <= 0 || numSamples >= data.size()) return data;
        int[] idx = new int[numSamples];
        int[] all = new int[data.size()];
        for (int i = 0; i < all.length; i++) all[i] = i;
        for (int i = 0; i < numSamples; i++) { // partial Fisher-Yates: a sample without repeats
            int j = i + rng.nextInt(all.length - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
            idx[i] = all[i];
        }
        return data.subset(idx);
    }

    /** Runs all epochs; returns the history (the best parameters are in the model when keepBest). */
    public History train() {
        long start = System.nanoTime();
        int batches = train.batchCount(batchSize);
        ProgressBar bar = progress == null ? null : new ProgressBar(progress, terminal, epochs, batches, train.size());
        long samples = 0;
        for (int epoch = 0; epoch < epochs; epoch++) {
            optimizer.setLearningRate(schedule.rate(optimizer.baseLearningRate(), epoch));
            int k = 0;
            double epochLoss = 0;
            int counted = 0;
            for (Batch b : train.batches(batchSize, true, rng)) {
                if (augment != null) augment.accept(b);
                double l = step(b);
                lossHistory.add(l);
                if (!Double.isNaN(l)) {
                    epochLoss += l;
                    counted++;
                }
                samples += b.size();
                k++;
                if (bar != null) bar.batch(epoch, k, l, lastBatchAccuracy, samples);
            }
            double trainAcc, metric;
            if (loss.classification()) {
                trainAcc = checkAccuracy(train, trainAccuracySamples, evalBatchSize);
                metric = checkAccuracy(val, valAccuracySamples, evalBatchSize);
                trainAccHistory.add(trainAcc);
                valAccHistory.add(metric);
            } else {
                trainAcc = Double.NaN;
                metric = evaluateLoss(val, valAccuracySamples, evalBatchSize);
                valLossHistory.add(metric);
            }
            boolean better = loss.classification() ? !(metric <= bestMetric) : !(metric >= bestMetric);
            if (bestEpoch < 0 || better) {
                bestMetric = metric;
                bestEpoch = epoch;
                if (keepBest) best = snapshot();
            }
            if (bar != null) bar.epoch(epoch, counted == 0 ? Double.NaN : epochLoss / counted, trainAcc, metric, optimizer.learningRate());
        }
        if (keepBest && best != null) restore(best);
        double seconds = (System.nanoTime() - start) / 1e9;
        if (chart != null) {
            try {
                TrainingChart.write(chart, lossHistory, loss.classification() ? trainAccHistory : nanList(valLossHistory.size()),
                        loss.classification() ? valAccHistory : valLossHistory);
            } catch (IOException e) {
                throw new UncheckedIOException("solver: cannot write the chart " + chart, e);
            }
        }
        return history(seconds);
    }

    private static List<Double> nanList(int n) {
        return new ArrayList<>(Collections.nCopies(n, Double.NaN));
    }

    private History history(double seconds) {
        return new History(List.copyOf(lossHistory), List.copyOf(trainAccHistory), List.copyOf(valAccHistory),
                List.copyOf(valLossHistory), bestMetric, bestEpoch, seconds);
    }

    private Map<Param, float[]> snapshot() {
        Map<Param, float[]> m = new IdentityHashMap<>();
        for (Param p : model.params()) m.put(p, p.value().toFloatArray());
        return m;
    }

    private void restore(Map<Param, float[]> snap) {
        for (Param p : model.params()) {
            float[] v = snap.get(p);
            if (v != null) ops.copy(Tensor.of(v, p.value().shape()), p.value());
        }
    }
}
