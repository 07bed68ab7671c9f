package io.tensorlane.bench.examples;

import io.tensorlane.kernels.Parallelism;
import io.tensorlane.runtime.Device;
import io.tensorlane.runtime.Ops;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code example NAME}: runs one of the {@link Examples}. */
@Command(name = "example", mixinStandardHelpOptions = true,
        header = "Runs an example: a model trained or fitted on bundled or synthetic data, with its headline result.",
        description = {
                "Examples (NAME):",
                "  linreg       linear regression on diabetes (normal equation + gradient descent), test R2 >= 0.40",
                "  logreg       logistic regression on breast cancer (standardised), test accuracy >= 0.95",
                "  pca          PCA of the 8x8 digits: components for 90%% of the variance (<= 30)",
                "  autoencoder  64-32-8-32-64 autoencoder on the digits, test reconstruction error falls >= 5x",
                "  char-lstm    character LSTM that learns to continue \"hello\" as \"hello world hello world\"",
                "  resnet       small ResNet (basic residual blocks, batch norm) on the digits, test accuracy >= 0.95",
                "  inception    small inception net (one GoogLeNet block) on the digits, test accuracy >= 0.95",
                "  fcn          fully convolutional net (conv-transpose + skips) segmenting disks among rectangles, mean IoU >= 0.8",
                "",
                "Prints what it does and a last line `NAME: METRIC = VALUE (target ..., met|NOT met)`; the exit status is "
                        + "0 when the target is met, 1 when not. Seeded: the same options give the same result.",
                "",
                "Examples:",
                "  ./tensorlane example linreg",
                "  ./tensorlane example autoencoder --epochs 10 --threads 1"})
public final class ExampleCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The example to run (see above).")
    String name;

    @Option(names = "--epochs", paramLabel = "N", description = "Training epochs (iterations for linreg/logreg); default: the example's own.")
    Integer epochs;

    @Option(names = "--seed", defaultValue = "1", paramLabel = "S", description = "Seed of weights, shuffling and synthetic data (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", paramLabel = "T", description = "Threads (default: all processors).")
    Integer threads;

    @Option(names = "--out", defaultValue = "example-out", paramLabel = "DIR", description = "Where charts go (default ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter w = spec.commandLine().getOut();
        if (name == null) {
            throw new ParameterException(spec.commandLine(), "example: name an example: " + String.join(", ", Examples.all().keySet()));
        }
        Example e;
        try {
            e = Examples.get(name);
        } catch (IllegalArgumentException ex) {
            throw new ParameterException(spec.commandLine(), "example: " + ex.getMessage());
        }
        int n = epochs == null ? e.defaultEpochs() : epochs;
        if (n < 1) throw new ParameterException(spec.commandLine(), "example: --epochs must be >= 1, got " + n);
        int t = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (t < 1) throw new ParameterException(spec.commandLine(), "example: --threads must be >= 1, got " + t);
        Files.createDirectories(out);
        Example.Outcome o = e.run(n, seed, Ops.on(Device.cpu()).with(Parallelism.threads(t)), out, w);
        w.printf(Locale.ROOT, "%s: %s = %.4f (target %s, %s)%n", e.name(), o.metric(), o.value(), o.target(), o.met() ? "met" : "NOT met");
        w.flush();
        return o.met() ? 0 : 1;
    }
}
