package io.tensorlane.bench.examples;

import io.tensorlane.layers.Mode;
import io.tensorlane.layers.net.Net;
import io.tensorlane.layers.net.NetFile;
import io.tensorlane.layers.optim.Optimizer;
import io.tensorlane.runtime.LossResult;
import io.tensorlane.runtime.Ops;
import io.tensorlane.runtime.Tensor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * A fully convolutional net segments synthetic images (rectangle, disk, background) pixel by pixel:
 * two stride-2 conv stages down, transposed convolutions back up with skip connections (FCN-style),
 * a 1x1 conv giving 3 class scores per pixel, trained with per-pixel softmax cross-entropy.
 */
final class FcnExample implements Example {
    static final int SIZE = 16;

    static final String NET = """
            { "name": "fcn", "input": [1, %d, %d], "seed": %d,
              "nodes": [ {"name": "c1", "type": "conv2d", "out": 16, "kernel": 3, "pad": 1, "init": "he_normal", "inputs": ["input"]},
                         {"name": "r1", "type": "relu"},
                         {"name": "c2", "type": "conv2d", "out": 32, "kernel": 3, "pad": 1, "stride": 2, "init": "he_normal"},
                         {"name": "r2", "type": "relu"},
                         {"name": "c3", "type": "conv2d", "out": 32, "kernel": 3, "pad": 1, "stride": 2, "init": "he_normal"},
                         {"name": "r3", "type": "relu"},
                         {"name": "up1", "type": "conv_transpose2d", "out": 32, "kernel": 2, "stride": 2},
                         {"name": "skip1", "type": "add", "inputs": ["up1", "r2"]},
                         {"name": "r4", "type": "relu"},
                         {"name": "up2", "type": "conv_transpose2d", "out": 16, "kernel": 2, "stride": 2},
                         {"name": "skip2", "type": "add", "inputs": ["up2", "r1"]},
                         {"name": "r5", "type": "relu"},
                         {"name": "head", "type": "conv2d", "out": 3, "kernel": 1} ],
              "output": "head" }
            """;

    @Override public String name() { return "fcn"; }

    @Override public String summary() { return "FCN (conv-transpose + skips) segments synthetic rectangles and disks, test mean IoU >= 0.8"; }

    @Override public int defaultEpochs() { return 15; }

    @Override
    public Outcome run(int epochs, long seed, Ops ops, Path outDir, PrintWriter out) {
        SyntheticShapes train = SyntheticShapes.generate(512, SIZE, seed), test = SyntheticShapes.generate(128, SIZE, seed + 1000);
        NetFile.Spec spec = NetFile.parse(NET.formatted(SIZE, SIZE, seed), "fcn");
        Net net = spec.net();
        net.setOps(ops);
        Optimizer opt = Optimizer.create("adam", Map.of("lr", 3e-3));
        out.printf(Locale.ROOT, "fcn: %d parameters; %d training and %d test images of %dx%d%n", net.paramCount(), train.n(), test.n(), SIZE, SIZE);
        int batch = 32, px = SIZE * SIZE;
        Random rng = new Random(seed);
        int[] order = new int[train.n()];
        for (int i = 0; i < order.length; i++) order[i] = i;
        float[] xb = new float[batch * px];
        int[] yb = new int[batch * px];
        long start = System.nanoTime();
        for (int e = 0; e < epochs; e++) {
            if (e == epochs * 2 / 3) opt.setLearningRate(opt.baseLearningRate() * 0.3f);
            for (int i = order.length - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            double sum = 0;
            int steps = 0;
            for (int b = 0; b + batch <= order.length; b += batch) {
                for (int k = 0; k < batch; k++) {
                    System.arraycopy(train.images(), order[b + k] * px, xb, k * px, px);
                    System.arraycopy(train.masks(), order[b + k] * px, yb, k * px, px);
                }
                net.zeroGrad();
                Tensor scores = net.forward(Tensor.of(xb, batch, 1, SIZE, SIZE), Mode.TRAIN);
                LossResult l = pixelLoss(ops, scores, yb);
                net.backward(l.grad());
                opt.step(net.params());
                sum += l.loss();
                steps++;
            }
            out.printf(Locale.ROOT, "epoch %d/%d: loss %.4f%n", e + 1, epochs, sum / steps);
            out.flush();
        }
        double secs = (System.nanoTime() - start) / 1e9;
        int[] pred = predict(ops, net, test);
        double[] iou = SyntheticShapes.iou(test.masks(), pred, SyntheticShapes.CLASSES);
        out.printf(Locale.ROOT, "trained in %.1f s; test IoU: background %.3f, rectangle %.3f, disk %.3f, mean %.3f%n",
                secs, iou[0], iou[1], iou[2], iou[3]);
        out.flush();
        return Outcome.atLeast("test mean IoU", iou[3], 0.8);
    }

    /** Softmax cross-entropy of every pixel: scores (N, C, H, W) are read as (N*H*W, C); the gradient is laid back. */
    static LossResult pixelLoss(Ops ops, Tensor scores, int[] labels) {
        long n = scores.dim(0), c = scores.dim(1), h = scores.dim(2), w = scores.dim(3);
        Tensor rows = scores.permute(0, 2, 3, 1).contiguous().reshape(n * h * w, c);
        LossResult r = ops.softmaxCrossEntropy(rows, Tensor.ofInts(labels, n * h * w));
        Tensor grad = r.grad().reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous();
        return new LossResult(r.loss(), grad);
    }

    static int[] predict(Ops ops, Net net, SyntheticShapes d) {
        Tensor scores = net.forward(Tensor.of(d.images(), d.n(), 1, d.size(), d.size()), Mode.EVAL);
        return ops.argmax(scores, 1).toIntArray();
    }
}
