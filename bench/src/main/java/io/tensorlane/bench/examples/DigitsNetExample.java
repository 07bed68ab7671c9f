package io.tensorlane.bench.examples;

import io.tensorlane.bench.demo.DigitImages;
import io.tensorlane.bench.demo.ShiftAugment;
import io.tensorlane.layers.Mode;
import io.tensorlane.layers.metrics.Metrics;
import io.tensorlane.layers.net.Net;
import io.tensorlane.layers.net.NetFile;
import io.tensorlane.layers.optim.LrSchedule;
import io.tensorlane.layers.solver.Solver;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * A shipped graph net file trained on the 8x8 digits; test accuracy (last 360 rows) >= 0.95. {@code resnet}:
 * {@code nets/resnet_small.json} (stem, three basic residual blocks, the second down-sampling with a 1x1 projection,
 * global average pooling, classifier); {@code inception}: {@code nets/inception_small.json} (stem, one GoogLeNet
 * block: 1x1 | 1x1-3x3 | 1x1-5x5 | maxpool-1x1 concatenated, batch norm, max pooling) with a flattening head
 * ({@link #INCEPTION}). Both train on the training rows without their last 10% (which the Solver checks each epoch,
 * for the chart only: the last epoch's weights are kept). The net file seeds the weights; {@code --seed} seeds shuffling and augmentation.
 */
final class DigitsNetExample implements Example {
    /**
     * The shipped inception net with its head changed: global average pooling of the 4x4 maps threw away where
     * the strokes are (88% test accuracy after 10 epochs), so the pooled maps are flattened into the classifier.
     */
    static final String INCEPTION = """
            { "name": "inception-small-flat", "input": [1, 8, 8], "seed": 1, "loss": "softmax_cross_entropy",
              "nodes": [ {"name": "stem", "type": "conv2d", "out": 16, "kernel": 3, "pad": 1},
                         {"name": "stem_bn", "type": "batch_norm2d"}, {"name": "stem_relu", "type": "relu"},
                         {"name": "b1x1", "type": "conv2d", "out": 8, "kernel": 1, "inputs": ["stem_relu"]}, {"name": "b1x1_relu", "type": "relu"},
                         {"name": "b3x3_reduce", "type": "conv2d", "out": 8, "kernel": 1, "inputs": ["stem_relu"]},
                         {"name": "b3x3_reduce_relu", "type": "relu"},
                         {"name": "b3x3", "type": "conv2d", "out": 16, "kernel": 3, "pad": 1}, {"name": "b3x3_relu", "type": "relu"},
                         {"name": "b5x5_reduce", "type": "conv2d", "out": 4, "kernel": 1, "inputs": ["stem_relu"]},
                         {"name": "b5x5_reduce_relu", "type": "relu"},
                         {"name": "b5x5", "type": "conv2d", "out": 8, "kernel": 5, "pad": 2}, {"name": "b5x5_relu", "type": "relu"},
                         {"name": "bpool", "type": "max_pool2d", "kernel": 3, "stride": 1, "pad": 1, "inputs": ["stem_relu"]},
                         {"name": "bpool_proj", "type": "conv2d", "out": 8, "kernel": 1}, {"name": "bpool_relu", "type": "relu"},
                         {"name": "mixed", "type": "concat", "inputs": ["b1x1_relu", "b3x3_relu", "b5x5_relu", "bpool_relu"]},
                         {"name": "mixed_bn", "type": "batch_norm2d"},
                         {"name": "pool", "type": "max_pool2d", "kernel": 2},
                         {"name": "flatten", "type": "flatten"}, {"name": "fc", "type": "linear", "out": 10} ],
              "output": "fc" }
            """;

    private final String name, resource, json;

    /** A net from the shipped {@code resource}, or else from {@code json}. */
    private DigitsNetExample(String name, String resource, String json) {
        this.name = name;
        this.resource = resource;
        this.json = json;
    }

    static DigitsNetExample resnet() {
        return new DigitsNetExample("resnet", "nets/resnet_small.json", null);
    }

    static DigitsNetExample inception() {
        return new DigitsNetExample("inception", null, INCEPTION);
    }

    @Override public String name() { return name; }

    @Override
    public String summary() {
        return (name.equals("resnet") ? "small ResNet (basic residual blocks)" : "small inception net (one GoogLeNet block)")
                + " on the digits, test accuracy >= 0.95";
    }

    @Override public int defaultEpochs() { return 15; }

    @Override
    public Outcome run(int epochs, long seed, Ops ops, Path outDir, PrintWriter out) {
        DigitImages d = DigitImages.load();
        NetFile.Spec spec = resource == null ? NetFile.parse(json, name) : NetFile.resource(resource);
        Net model = spec.net();
        out.printf(Locale.ROOT, "%s: %d parameters, %d training / %d validation / %d test digit images%n", name, model.paramCount(),
                d.train().size(), d.validation().size(), d.test().size());
        Path chart = outDir.resolve(name + "-training.png");
        Solver s = Solver.builder(model, spec.loss(), d.train(), d.validation()).optimizer("adam", Map.of("lr", 3e-3))
                .schedule(LrSchedule.step(Math.max(1, epochs / 3), 0.3f)).epochs(epochs).batchSize(64).seed(seed)
                .augment(new ShiftAugment(1, seed + 1)).keepBest(false).progress(null).chart(chart).ops(ops).build();
        Solver.History h = s.train();
        Tensor x = d.test().batch(IntStream.range(0, d.test().size()).toArray()).x();
        int[] pred = ops.argmax(model.forward(x, Mode.EVAL), 1).toIntArray();
        double acc = Metrics.accuracy(d.test().labels(), pred);
        out.printf(Locale.ROOT, "trained %d epochs in %.1f s (best validation accuracy %.3f); test accuracy %.4f; wrote %s%n",
                epochs, h.seconds(), h.bestValMetric(), acc, chart);
        out.flush();
        return Outcome.atLeast("test accuracy", acc, 0.95);
    }
}
