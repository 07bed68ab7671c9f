package io.tensorlane.layers.loss;

import io.tensorlane.kernels.MseReduction;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/** Losses by name (net files' {@code "loss"}); an unknown name lists the known ones. */
public final class LossRegistry {
    private static final Map<String, Supplier<Loss>> LOSSES = new ConcurrentHashMap<>();

    static {
        register("softmax_cross_entropy", SoftmaxCrossEntropy::new);
        register("multiclass_svm", MulticlassSvm::new);
        register("mse", () -> new MeanSquaredError(MseReduction.MEAN));
        register("euclidean", () -> new MeanSquaredError(MseReduction.EUCLIDEAN));
        register("sigmoid_bce", SigmoidBce::new);
    }

    private LossRegistry() {
    }

    public static void register(String name, Supplier<Loss> factory) {
        LOSSES.put(name, java.util.Objects.requireNonNull(factory, "factory"));
    }

    /** The registered names, sorted. */
    public static List<String> names() {
        return List.copyOf(new TreeSet<>(LOSSES.keySet()));
    }

    /** A new loss of that name. */
    public static Loss create(String name) {
        Supplier<Loss> f = LOSSES.get(name);
        if (f == null) throw new IllegalArgumentException("unknown loss \"" + name + "\" (known: " + String.join(", ", names()) + ")");
        return f.get();
    }
}
