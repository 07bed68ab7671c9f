package io.tensorlane.bench.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.tensorlane.kernels.Parallelism;
import io.tensorlane.layers.Mode;
import io.tensorlane.layers.data.Batch;
import io.tensorlane.layers.data.Dataset;
import io.tensorlane.layers.io.NetModels;
import io.tensorlane.layers.metrics.ConfusionMatrix;
import io.tensorlane.layers.net.Net;
import io.tensorlane.layers.net.NetFile;
import io.tensorlane.layers.optim.LrSchedule;
import io.tensorlane.layers.solver.ProgressBar;
import io.tensorlane.layers.solver.Solver;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code demo}: trains the demo CNN on the bundled digits with the Solver, saves it, reloads it and
 * reports its test accuracy and inference speed.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        header = "Trains a small CNN on the bundled handwritten digits, saves it, reloads it and tests it.",
        description = {
                "Trains the demo CNN of the shipped net file nets/digits_cnn.json (conv32-bn-relu, conv32-bn-relu, "
                        + "max pool, conv64-bn-relu, max pool, fc128, fc10) on the 8x8 digits bundled with tensorlane: every "
                        + "training row (1437), mini-batches of 32, Adam (lr 2e-3, x0.3 every 40%% of the epochs), random "
                        + "+-1 pixel shifts of each training image. The per-epoch check runs on the test rows (the last 360, "
                        + "never trained on) and only watches them: no early stopping, the last epoch's weights are kept. "
                        + "Seeded: the same options give the same result. Then writes OUT/training.png (loss and accuracy), "
                        + "OUT/digits-cnn.tlm (the model file), reloads that file, reports its test accuracy, writes "
                        + "OUT/confusion.png and times inference (images/s).",
                "",
                "Examples:",
                "  ./tensorlane demo",
                "  ./tensorlane demo --epochs 5 --threads 1 --json demo.json"})
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--epochs", defaultValue = "" + DEFAULT_EPOCHS, paramLabel = "N", description = "Training epochs (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--threads", paramLabel = "T", description = "Threads (default: all processors).")
    Integer threads;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write {test_accuracy, train_seconds, images_per_second, device} as JSON.")
    Path json;

    @Option(names = "--out", defaultValue = "demo-out", paramLabel = "DIR", description = "Where the chart, the model file and the confusion matrix go (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "Seed of shuffling and augmentation (default ${DEFAULT-VALUE}; the net file seeds the weights).")
    long seed;

    static final int DEFAULT_EPOCHS = 20;
    static final String MODEL_FILE = "digits-cnn.tlm";

    /**
     * The training recipe: epochs, mini-batch size, Adam's learning rate and its step decay (multiplied by
     * {@code gamma} every {@code stepEpochs} epochs).
     */
    public record Recipe(int epochs, int batchSize, double lr, int stepEpochs, float gamma) {
        /** The demo's recipe for {@code epochs} epochs: batch 32, lr 2e-3, x0.3 every 40% of the epochs. */
        public static Recipe of(int epochs) {
            return new Recipe(epochs, 32, 2e-3, Math.max(1, epochs * 2 / 5), 0.3f);
        }
    }

    /** What the demo measured. */
    public record Result(double testAccuracy, double trainSeconds, double imagesPerSecond, String device) {
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        if (epochs < 1) throw new ParameterException(spec.commandLine(), "demo: --epochs must be >= 1, got " + epochs);
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (t < 1) throw new ParameterException(spec.commandLine(), "demo: --threads must be >= 1, got " + t);
        Result r = run(w, epochs, t, seed, out);
        if (json != null) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("test_accuracy", r.testAccuracy());
            m.put("train_seconds", r.trainSeconds());
            m.put("images_per_second", r.imagesPerSecond());
            m.put("device", r.device());
            Path parent = json.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), m);
            w.println("wrote " + json);
        }
        w.flush();
        return 0;
    }

    /** The demo net, as the shipped net file describes it (fresh weights from its seed). */
    static NetFile.Spec net() {
        return NetFile.resource("nets/digits_cnn.json");
    }

    /** Trains, saves, reloads and tests; progress and the report go to {@code w}. */
    public static Result run(PrintWriter w, int epochs, int threads, long seed, Path outDir) throws Exception {
        return run(w, Recipe.of(epochs), threads, seed, outDir);
    }

    /** Trains with {@code recipe}, saves, reloads and tests; progress and the report go to {@code w}. */
    public static Result run(PrintWriter w, Recipe recipe, int threads, long seed, Path outDir) throws Exception {
        int epochs = recipe.epochs();
        Ops ops = Ops.on(Device.cpu()).with(Parallelism.threads(threads));
        String device = ops.device() + ", " + threads + " thread" + (threads == 1 ? "" : "s");
        DigitImages data = DigitImages.load();
        NetFile.Spec spec = net();
        w.printf(Locale.ROOT, "demo: %s trained on %d digit images (8x8), tested on %d (the last rows, never trained on; "
                + "the per-epoch check only watches them: no early stopping, the last epoch's weights are kept); %s%n", spec.name(),
                data.trainAll().size(), data.test().size(), device);
        w.println(spec.net().summary(spec.inputShape()));
        w.flush();
        Files.createDirectories(outDir);
        Path chart = outDir.resolve("training.png"), model = outDir.resolve(MODEL_FILE), confusion = outDir.resolve("confusion.png");
        Solver solver = Solver.builder(spec.net(), spec.loss(), data.trainAll(), data.test())
                .optimizer("adam", Map.of("lr", recipe.lr()))
                .schedule(LrSchedule.step(recipe.stepEpochs(), recipe.gamma()))
                .epochs(epochs).batchSize(recipe.batchSize()).seed(seed).keepBest(false)
                .augment(new ShiftAugment(1, seed + 1))
                .trainAccuracySamples(256)
                .progress(WriterStream.of(w)).terminal(ProgressBar.stdoutIsTerminal())
                .chart(chart).ops(ops).build();
        Solver.History h = solver.train();
        w.printf(Locale.ROOT, "trained %d epochs in %.1f s; best validation accuracy %.4f (epoch %d)%n", epochs, h.seconds(),
                h.bestValMetric(), h.bestEpoch() + 1);
        NetModels.save(model, spec, solver.optimizer());
        w.println("wrote " + chart + " and " + model);

        NetModels.Loaded loaded = NetModels.load(model);
        Net net = loaded.net();
        net.setOps(ops);
        Tensor x = images(data.test());
        int[] pred = predict(ops, net, x);
        ConfusionMatrix cm = ConfusionMatrix.of(data.test().labels(), pred, IntStream.range(0, 10).mapToObj(Integer::toString).toList());
        cm.writePng(confusion, "digits test set (" + data.test().size() + " images)");
        double ips = imagesPerSecond(ops, net, x);
        w.println("reloaded " + model + "; test set (last " + data.test().size() + " rows):");
        w.print(cm.toTable());
        w.printf(Locale.ROOT, "test accuracy %.4f, inference %.0f images/s (batch %d), wrote %s%n", cm.accuracy(), ips, x.dim(0), confusion);
        w.flush();
        return new Result(cm.accuracy(), h.seconds(), ips, device);
    }

    /** All images of {@code d} as one (N, 1, 8, 8) tensor. */
    static Tensor images(Dataset d) {
        int[] all = IntStream.range(0, d.size()).toArray();
        Batch b = d.batch(all);
        return b.x();
    }

    static int[] predict(Ops ops, Net net, Tensor x) {
        return ops.argmax(net.forward(x, Mode.EVAL), 1).toIntArray();
    }

    /** Forward passes over {@code x} in EVAL mode for about a second after a warm-up; images per second. */
    static double imagesPerSecond(Ops ops, Net net, Tensor x) {
        long warmUntil = System.nanoTime() + 300_000_000L;
        while (System.nanoTime() < warmUntil) net.forward(x, Mode.EVAL);
        long start = System.nanoTime(), images = 0;
        do {
            net.forward(x, Mode.EVAL);
            images += x.dim(0);
        } while (System.nanoTime() - start < 1_000_000_000L);
        return images / ((System.nanoTime() - start) / 1e9);
    }
}
