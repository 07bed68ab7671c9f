package io.tensorlane.layers;

import io.tensorlane.layers.nn.Add;
import io.tensorlane.layers.nn.AvgPool2d;
import io.tensorlane.layers.nn.GlobalAvgPool;
import io.tensorlane.layers.nn.MaxPool2d;
import io.tensorlane.layers.nn.MaxUnpool2d;
import io.tensorlane.layers.nn.ROIPool;
import io.tensorlane.layers.nn.BatchNorm;
import io.tensorlane.layers.nn.BatchNorm1d;
import io.tensorlane.layers.nn.BatchNorm2d;
import io.tensorlane.layers.nn.Conv2d;
import io.tensorlane.layers.nn.ConvTranspose2d;
import io.tensorlane.layers.nn.Dropout;
import io.tensorlane.layers.nn.LSTM;
import io.tensorlane.layers.nn.Mul;
import io.tensorlane.layers.nn.RNN;
import io.tensorlane.layers.nn.Recurrent;
import io.tensorlane.layers.nn.Concat;
import io.tensorlane.layers.nn.Embedding;
import io.tensorlane.layers.nn.Flatten;
import io.tensorlane.layers.nn.LeakyReLU;
import io.tensorlane.layers.nn.Linear;
import io.tensorlane.layers.nn.ReLU;
import io.tensorlane.layers.nn.Reshape;
import io.tensorlane.layers.nn.Sigmoid;
import io.tensorlane.layers.nn.Tanh;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;

/**
 * Layer types by name: what net files refer to. Built-in layers are registered here; a user's layer
 * is one class plus one {@link #register} call. An unknown type or option is an error listing the
 * known ones.
 */
public final class LayerRegistry {
    /** Keys every net-file layer entry may have besides its options. */
    public static final List<String> RESERVED = List.of("type", "name", "inputs");

    /** A registered type: its name, the options it accepts, and how to build it. */
    public record Entry(String type, List<String> options, LayerFactory factory) {
        public Entry {
            options = List.copyOf(options);
        }
    }

    private static final Map<String, Entry> TYPES = new ConcurrentHashMap<>();

    static {
        register("linear", Linear.OPTIONS, Linear::create);
        register("relu", List.of(), (c, in, r) -> new ReLU());
        register("sigmoid", List.of(), (c, in, r) -> new Sigmoid());
        register("tanh", List.of(), (c, in, r) -> new Tanh());
        register("leaky_relu", LeakyReLU.OPTIONS, LeakyReLU::create);
        register("flatten", List.of(), (c, in, r) -> new Flatten());
        register("reshape", Reshape.OPTIONS, Reshape::create);
        register("add", List.of(), (c, in, r) -> new Add());
        register("mul", List.of(), (c, in, r) -> new Mul());
        register("concat", Concat.OPTIONS, Concat::create);
        register("embedding", Embedding.OPTIONS, Embedding::create);
        register("conv2d", Conv2d.OPTIONS, Conv2d::create);
        register("conv_transpose2d", ConvTranspose2d.OPTIONS, ConvTranspose2d::create);
        register("batch_norm1d", BatchNorm.OPTIONS, BatchNorm1d::create);
        register("batch_norm2d", BatchNorm.OPTIONS, BatchNorm2d::create);
        register("dropout", Dropout.OPTIONS, Dropout::create);
        register("rnn", Recurrent.OPTIONS, RNN::create);
        register("lstm", Recurrent.OPTIONS, LSTM::create);
        register("max_pool2d", MaxPool2d.OPTIONS, MaxPool2d::create);
        register("avg_pool2d", AvgPool2d.OPTIONS, AvgPool2d::create);
        register("global_avg_pool", GlobalAvgPool.OPTIONS, GlobalAvgPool::create);
        register("max_unpool2d", MaxUnpool2d.OPTIONS, MaxUnpool2d::create);
        register("roi_pool", ROIPool.OPTIONS, ROIPool::create);
    }

    private LayerRegistry() {
    }

    /**
     * Registers (or replaces) a layer type.
     *
     * @param type    the name net files use, e.g. {@code "swish"}
     * @param options the option names it accepts (others are rejected with this list)
     * @param factory builds the layer from its options and input shapes
     */
    public static void register(String type, List<String> options, LayerFactory factory) {
        if (type == null || type.isBlank()) throw new IllegalArgumentException("register: type is blank");
        for (String o : options) {
            if (RESERVED.contains(o)) throw new IllegalArgumentException("register: option name " + o + " of " + type + " is reserved");
        }
        TYPES.put(type, new Entry(type, options, java.util.Objects.requireNonNull(factory, "factory")));
    }

    /** The registered type names, sorted. */
    public static List<String> types() {
        return List.copyOf(new TreeSet<>(TYPES.keySet()));
    }

    /** The entry for {@code type}; an unknown type lists the known ones. */
    public static Entry entry(String type) {
        Entry e = TYPES.get(type);
        if (e == null) throw new IllegalArgumentException("unknown layer type \"" + type + "\" (known: " + String.join(", ", types()) + ")");
        return e;
    }

    /** Builds a layer: validates the type and option names, then calls the factory. */
    public static Layer create(LayerConfig config, List<long[]> inputShapes, RandomGenerator rng) {
        Entry e = TYPES.get(config.type());
        if (e == null) {
            throw new IllegalArgumentException(config.path() + ".type: unknown layer type \"" + config.type()
                    + "\" (known: " + String.join(", ", types()) + ")");
        }
        for (String key : config.options().keySet()) {
            if (!e.options().contains(key)) {
                List<String> valid = new ArrayList<>(e.options());
                Collections.sort(valid);
                throw config.error(key, "unknown option for " + e.type() + " (valid: "
                        + (valid.isEmpty() ? "none" : String.join(", ", valid)) + ")");
            }
        }
        return e.factory().create(config, inputShapes, rng);
    }

    /** Builds a layer of {@code type} in code, e.g. {@code create("linear", Map.of("out", 10), new long[] {1, 64}, rng)}. */
    public static Layer create(String type, Map<String, ?> options, long[] inputShape, RandomGenerator rng) {
        return create(new LayerConfig(type, type, new TreeMap<>(options)), List.of(inputShape), rng);
    }
}
