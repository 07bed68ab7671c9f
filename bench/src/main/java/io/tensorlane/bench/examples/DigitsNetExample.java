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

/** A graph net (residual or inception blocks) trained on the 8x8 digits; test accuracy (last 360 rows) >= 0.95. */
final class DigitsNetExample implements Example {
    /** Stem, two basic residual blocks (conv-bn-relu-conv-bn + identity), a stride-2 conv, classifier. */
    static final String RESNET = """
            { "name": "resnet", "input": [1, 8, 8], "seed": %d, "loss": "softmax_cross_entropy",
              "nodes": [ {"name": "stem", "type": "conv2d", "out": 16, "kernel": 3, "pad": 1, "bias": false, "inputs": ["input"]},
                         {"name": "stem_bn", "type": "batch_norm2d"}, {"name": "stem_relu", "type": "relu"},
                         {"name": "b1_conv1", "type": "conv2d", "out": 16, "kernel": 3, "pad": 1, "bias": false},
                         {"name": "b1_bn1", "type": "batch_norm2d"}, {"name": "b1_relu1", "type": "relu"},
                         {"name": "b1_conv2", "type": "conv2d", "out": 16, "kernel": 3, "pad": 1, "bias": false},
                         {"name": "b1_bn2", "type": "batch_norm2d"},
                         {"name": "b1_add", "type": "add", "inputs": ["b1_bn2", "stem_relu"]}, {"name": "b1_relu", "type": "relu"},
                         {"name": "b2_conv1", "type": "conv2d", "out": 16, "kernel": 3, "pad": 1, "bias": false},
                         {"name": "b2_bn1", "type": "batch_norm2d"}, {"name": "b2_relu1", "type": "relu"},
                         {"name": "b2_conv2", "type": "conv2d", "out": 16, "kernel": 3, "pad": 1, "bias": false},
                         {"name": "b2_bn2", "type": "batch_norm2d"},
                         {"name": "b2_add", "type": "add", "inputs": ["b2_bn2", "b1_relu"]}, {"name": "b2_relu", "type": "relu"},
                         {"name": "down", "type": "conv2d", "out": 32, "kernel": 3, "pad": 1, "stride": 2},
                         {"name": "down_bn", "type": "batch_norm2d"}, {"name": "down_relu", "type": "relu"},
                         {"name": "flat", "type": "flatten"}, {"name": "fc", "type": "linear", "out": 10} ],
              "output": "fc" }
            """;

    /** Stem, one GoogLeNet block (1x1 | 1x1-3x3 | 1x1-5x5 | pool-1x1, concatenated), pool, classifier. */
    static final String INCEPTION = """
            { "name": "inception", "input": [1, 8, 8], "seed": %d, "loss": "softmax_cross_entropy",
              "nodes": [ {"name": "stem", "type": "conv2d", "out": 16, "kernel": 3, "pad": 1, "inputs": ["input"]},
                         {"name": "stem_relu", "type": "relu"},
                         {"name": "a_1x1", "type": "conv2d", "out": 8, "kernel": 1, "inputs": ["stem_relu"]}, {"name": "a_relu", "type": "relu"},
                         {"name": "b_1x1", "type": "conv2d", "out": 8, "kernel": 1, "inputs": ["stem_relu"]}, {"name": "b_relu1", "type": "relu"},
                         {"name": "b_3x3", "type": "conv2d", "out": 12, "kernel": 3, "pad": 1}, {"name": "b_relu", "type": "relu"},
                         {"name": "c_1x1", "type": "conv2d", "out": 4, "kernel": 1, "inputs": ["stem_relu"]}, {"name": "c_relu1", "type": "relu"},
                         {"name": "c_5x5", "type": "conv2d", "out": 6, "kernel": 5, "pad": 2}, {"name": "c_relu", "type": "relu"},
                         {"name": "d_pool", "type": "max_pool2d", "kernel": 3, "stride": 1, "pad": 1, "inputs": ["stem_relu"]},
                         {"name": "d_1x1", "type": "conv2d", "out": 6, "kernel": 1}, {"name": "d_relu", "type": "relu"},
                         {"name": "concat", "type": "concat", "inputs": ["a_relu", "b_relu", "c_relu", "d_relu"]},
                         {"name": "pool", "type": "max_pool2d", "kernel": 2},
                         {"name": "flat", "type": "flatten"}, {"name": "fc", "type": "linear", "out": 10} ],
              "output": "fc" }
            """;

    private final String name, net;

    private DigitsNetExample(String name, String net) {
        this.name = name;
        this.net = net;
    }

    static DigitsNetExample resnet() {
        return new DigitsNetExample("resnet", RESNET);
    }

    static DigitsNetExample inception() {
        return new DigitsNetExample("inception", INCEPTION);
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
        NetFile.Spec spec = NetFile.parse(net.formatted(seed), name);
        Net model = spec.net();
        out.printf(Locale.ROOT, "%s: %d parameters, %d training / %d validation / %d test digit images%n", name, model.paramCount(),
                d.train().size(), d.validation().size(), d.test().size());
        Path chart = outDir.resolve(name + "-training.png");
        Solver s = Solver.builder(model, spec.loss(), d.train(), d.validation()).optimizer("adam", Map.of("lr", 3e-3))
                .schedule(LrSchedule.step(Math.max(1, epochs / 3), 0.3f)).epochs(epochs).batchSize(64).seed(seed)
                .augment(new ShiftAugment(1, seed + 1)).progress(null).chart(chart).ops(ops).build();
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
