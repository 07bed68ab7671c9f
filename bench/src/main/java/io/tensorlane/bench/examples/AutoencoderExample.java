package io.tensorlane.bench.examples;

import io.tensorlane.bench.demo.DigitImages;
import io.tensorlane.layers.Mode;
import io.tensorlane.layers.data.Dataset;
import io.tensorlane.layers.loss.Loss;
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

/** A fully connected autoencoder squeezing the 64 digit pixels through 8 numbers; its error must fall 5x from init. */
final class AutoencoderExample implements Example {
    static final String NET = """
            { "name": "autoencoder", "input": [64], "seed": %d, "loss": "mse",
              "layers": [ {"name": "enc1", "type": "linear", "out": 32}, {"type": "tanh"},
                          {"name": "code", "type": "linear", "out": 8}, {"type": "tanh"},
                          {"name": "dec1", "type": "linear", "out": 32}, {"type": "tanh"},
                          {"name": "dec2", "type": "linear", "out": 64}, {"type": "sigmoid"} ] }
            """;

    @Override public String name() { return "autoencoder"; }

    @Override public String summary() { return "64-32-8-32-64 autoencoder on the digits (MSE), test reconstruction error falls >= 5x"; }

    @Override public int defaultEpochs() { return 40; }

    @Override
    public Outcome run(int epochs, long seed, Ops ops, Path outDir, PrintWriter out) {
        DigitImages d = DigitImages.load();
        Dataset train = flat(d.train()), val = flat(d.validation()), test = flat(d.test());
        NetFile.Spec spec = NetFile.parse(NET.formatted(seed), "autoencoder");
        Net net = spec.net();
        Loss loss = spec.loss();
        net.setOps(ops);
        loss.setOps(ops);
        double before = error(net, loss, test);
        out.printf(Locale.ROOT, "autoencoder on %d digit images, %d parameters; test MSE at init %.5f%n", train.size(), net.paramCount(), before);
        Path chart = outDir.resolve("autoencoder-training.png");
        Solver s = Solver.builder(net, loss, train, val).optimizer("adam", Map.of("lr", 5e-3))
                .schedule(LrSchedule.step(Math.max(1, epochs / 2), 0.3f)).epochs(epochs).batchSize(32).seed(seed)
                .progress(null).chart(chart).ops(ops).build();
        Solver.History h = s.train();
        double after = error(net, loss, test);
        out.printf(Locale.ROOT, "after %d epochs (%.1f s): test MSE %.5f, %.1fx lower; wrote %s%n", epochs, h.seconds(), after, before / after, chart);
        out.flush();
        return Outcome.atLeast("test error reduction (x)", before / after, 5);
    }

    static Dataset flat(Dataset images) {
        float[] x = features(images);
        return Dataset.autoencoder(x, new long[] {64});
    }

    static double error(Net net, Loss loss, Dataset d) {
        float[] x = features(d);
        Tensor t = Tensor.of(x, d.size(), 64);
        return loss.forward(net.forward(t, Mode.EVAL), t).loss();
    }

    /** Every sample's features, in order. */
    static float[] features(Dataset d) {
        return d.batch(java.util.stream.IntStream.range(0, d.size()).toArray()).x().toFloatArray();
    }
}
