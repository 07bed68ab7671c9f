package io.tensorlane.bench.examples;

import io.tensorlane.layers.Mode;
import io.tensorlane.layers.data.Dataset;
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

/**
 * The shipped FCN net file ({@code nets/fcn_small.json}: conv-bn-relu + max pooling down twice, transposed
 * convolutions back up with skip connections, a 1x1 conv scoring every pixel, sigmoid cross-entropy) learns to
 * segment the disks in synthetic images that also hold a rectangle of the same brightness: a pixel's own value
 * cannot tell the two shapes apart, only the shape around it can. Reports the test IoU of both classes
 * (not-disk, disk) and their mean.
 */
final class FcnExample implements Example {
    static final int SIZE = 16;
    static final long[] SAMPLE = {1, SIZE, SIZE};

    @Override public String name() { return "fcn"; }

    @Override public String summary() { return "FCN (conv-transpose + skips) segments disks among rectangles in synthetic images, test mean IoU >= 0.8"; }

    @Override public int defaultEpochs() { return 12; }

    @Override
    public Outcome run(int epochs, long seed, Ops ops, Path outDir, PrintWriter out) {
        SyntheticShapes train = SyntheticShapes.generate(512, SIZE, seed), val = SyntheticShapes.generate(64, SIZE, seed + 500),
                test = SyntheticShapes.generate(128, SIZE, seed + 1000);
        NetFile.Spec spec = NetFile.resource("nets/fcn_small.json");
        Net net = spec.net();
        out.printf(Locale.ROOT, "fcn: %s, %d parameters; %d training, %d validation and %d test images of %dx%d; target: the disk's pixels%n",
                spec.name(), net.paramCount(), train.n(), val.n(), test.n(), SIZE, SIZE);
        Path chart = outDir.resolve("fcn-training.png");
        Solver s = Solver.builder(net, spec.loss(), masks(train), masks(val)).optimizer("adam", Map.of("lr", 3e-3))
                .schedule(LrSchedule.step(Math.max(1, epochs * 2 / 3), 0.3f)).epochs(epochs).batchSize(32).seed(seed)
                .keepBest(false).progress(null).chart(chart).ops(ops).build();
        Solver.History h = s.train();
        int[] actual = diskMask(test), pred = predict(net, test);
        double[] iou = SyntheticShapes.iou(actual, pred, 2);
        out.printf(Locale.ROOT, "trained %d epochs in %.1f s; test IoU: not-disk %.3f, disk %.3f, mean %.3f; wrote %s%n",
                epochs, h.seconds(), iou[0], iou[1], iou[2], chart);
        out.flush();
        return Outcome.atLeast("test mean IoU", iou[2], 0.8);
    }

    /** 1 where the pixel belongs to the disk, else 0 (background and rectangle alike). */
    static int[] diskMask(SyntheticShapes d) {
        int[] m = new int[d.masks().length];
        for (int i = 0; i < m.length; i++) m[i] = d.masks()[i] == 2 ? 1 : 0;
        return m;
    }

    /** Images with their disk masks as (1, SIZE, SIZE) float targets. */
    static Dataset masks(SyntheticShapes d) {
        int[] m = diskMask(d);
        float[] t = new float[m.length];
        for (int i = 0; i < m.length; i++) t[i] = m[i];
        return Dataset.regression(d.images(), SAMPLE, t, SAMPLE);
    }

    /** A pixel is a disk pixel when its logit is positive (sigmoid > 0.5). */
    static int[] predict(Net net, SyntheticShapes d) {
        float[] logits = net.forward(Tensor.of(d.images(), d.n(), 1, d.size(), d.size()), Mode.EVAL).toFloatArray();
        int[] p = new int[logits.length];
        for (int i = 0; i < p.length; i++) p[i] = logits[i] > 0 ? 1 : 0;
        return p;
    }
}
