package io.tensorlane.layers.io;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tensorlane.layers.Param;
import io.tensorlane.layers.loss.Loss;
import io.tensorlane.layers.net.Net;
import io.tensorlane.layers.net.NetFile;
import io.tensorlane.layers.optim.Optimizer;
import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Saves a whole net to a {@link ModelFile} and loads it back: the architecture (its net file, from
 * {@link NetFile#toJson}), every parameter and state tensor (batch-norm running stats) and, optionally, the
 * optimizer with its state, so training can go on where it stopped.
 *
 * <p>The model file's JSON text is
 * <pre>{@code
 * { "format": "tensorlane-model", "net": { ...the net file... },
 *   "optimizer": { "type": "adam", "options": {"lr": 0.001}, "lr": 0.0005, "steps": 1200 } }   // optional
 * }</pre>
 * its tensors are the net's {@link Net#namedParams() parameters} then its {@link Net#namedState()
 * state} by name ({@code conv1.weight}, {@code bn1.running_mean}), and its extras the optimizer state,
 * {@code optimizer/<param>/<k>} for the rule's k-th state tensor. A plain net file as the JSON text (no
 * {@code "format"}) is read as a model without optimizer.
 *
 * <p>Loading rebuilds the net from the JSON, then checks that the file has exactly the tensors that net
 * has, each of the same shape, before it copies any of them: a missing, extra or misshapen tensor is an
 * {@link ModelFileException} that names it (and the shapes).
 */
public final class NetModels {
    /** The {@code "format"} value of a saved net. */
    public static final String FORMAT = "tensorlane-model";
    private static final String STATE_PREFIX = "optimizer/";
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private NetModels() {
    }

    /**
     * A loaded model.
     *
     * @param spec      the rebuilt net (with the saved parameters and state), its name, sample shape, seed and loss
     * @param optimizer the saved optimizer with its state, or null when none was saved
     */
    public record Loaded(NetFile.Spec spec, Optimizer optimizer) {
        /** The net. */
        public Net net() {
            return spec.net();
        }
    }

    /** Saves the net of {@code spec} (its current parameters) and, when not null, {@code optimizer} and its state. */
    public static void save(Path file, NetFile.Spec spec, Optimizer optimizer) throws IOException {
        save(file, spec.name(), spec.inputShape(), spec.seed(), spec.net(), spec.loss(), optimizer);
    }

    /**
     * Saves a net built in code or from a file.
     *
     * @param name       the net's name
     * @param inputShape the sample shape (no batch dim), e.g. {@code [1, 8, 8]}
     * @param seed       the seed the net file records (parameters are saved, so it only matters for re-initialising)
     * @param net        the net; every layer must have a net-file form ({@link NetFile#toJson})
     * @param loss       the loss the file names, or null
     * @param optimizer  saved with its state when not null
     */
    public static void save(Path file, String name, long[] inputShape, long seed, Net net, Loss loss, Optimizer optimizer)
            throws IOException {
        Objects.requireNonNull(net, "net");
        String netJson = NetFile.toJson(name, inputShape, seed, net, loss);
        ObjectNode root = MAPPER.createObjectNode();
        root.put("format", FORMAT);
        root.set("net", MAPPER.readTree(netJson));
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Map<String, Param> params = net.namedParams();
        params.forEach((k, p) -> tensors.put(k, p.value()));
        net.namedState().forEach((k, t) -> {
            if (tensors.put(k, t) != null) throw new IllegalArgumentException("save: state tensor " + k + " has the name of a parameter");
        });
        Map<String, Tensor> extras = new LinkedHashMap<>();
        if (optimizer != null) {
            ObjectNode o = root.putObject("optimizer");
            o.put("type", optimizer.name());
            o.set("options", MAPPER.valueToTree(optimizer.options()));
            o.put("lr", optimizer.learningRate());
            o.put("steps", optimizer.steps());
            // Parameters that have not taken a step yet get their (zero) state created here, so a file always holds all of it.
            params.forEach((k, p) -> {
                List<Tensor> s = optimizer.state(p);
                for (int i = 0; i < s.size(); i++) extras.put(STATE_PREFIX + k + "/" + i, s.get(i));
            });
        }
        new ModelFile(MAPPER.writeValueAsString(root), tensors, extras).write(file);
    }

    /** Loads a model file written by {@link #save}: rebuilds the net, checks and copies every tensor. */
    public static Loaded load(Path file) throws IOException {
        return load(file, ModelFileLimits.DEFAULT);
    }

    /** {@link #load(Path)} with explicit limits on what the file may declare. */
    public static Loaded load(Path file, ModelFileLimits limits) throws IOException {
        String src = "model file " + file;
        ModelFile mf = ModelFile.read(file, limits);
        JsonNode root;
        try {
            root = MAPPER.readTree(mf.netJson());
        } catch (JsonProcessingException e) {
            throw new ModelFileException(src + ": the JSON text is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) throw new ModelFileException(src + ": the JSON text is not an object");
        JsonNode netNode = root;
        JsonNode optNode = null;
        if (root.has("format")) {
            if (!FORMAT.equals(root.get("format").asText())) {
                throw new ModelFileException(src + ": format \"" + root.get("format").asText() + "\", expected \"" + FORMAT + "\"");
            }
            for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!List.of("format", "net", "optimizer").contains(k)) throw new ModelFileException(src + ": unknown key \"" + k + "\" (valid: format, net, optimizer)");
            }
            netNode = root.get("net");
            if (netNode == null || !netNode.isObject()) throw new ModelFileException(src + ": \"net\" is missing or not an object");
            optNode = root.get("optimizer");
        }
        NetFile.Spec spec;
        try {
            spec = NetFile.parse(MAPPER.writeValueAsString(netNode), src + " (net)");
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(e.getMessage());
        }
        Net net = spec.net();
        Map<String, Tensor> targets = new LinkedHashMap<>();
        net.namedParams().forEach((k, p) -> targets.put(k, p.value()));
        targets.putAll(net.namedState());
        checkNames(src, "tensor", targets, mf.tensors());
        Optimizer optimizer = null;
        Map<String, Tensor> stateTargets = new LinkedHashMap<>();
        if (optNode != null) {
            optimizer = optimizer(src, optNode);
            for (var e : net.namedParams().entrySet()) {
                List<Tensor> s = optimizer.state(e.getValue());
                for (int i = 0; i < s.size(); i++) stateTargets.put(STATE_PREFIX + e.getKey() + "/" + i, s.get(i));
            }
        }
        checkNames(src, "optimizer state tensor", stateTargets, mf.extras());
        // Everything matched: only now are the net's tensors overwritten.
        targets.forEach((k, t) -> copy(mf.tensors().get(k), t));
        stateTargets.forEach((k, t) -> copy(mf.extras().get(k), t));
        return new Loaded(spec, optimizer);
    }

    private static Optimizer optimizer(String src, JsonNode o) throws ModelFileException {
        if (!o.isObject()) throw new ModelFileException(src + ": \"optimizer\" is not an object");
        JsonNode type = o.get("type"), options = o.get("options"), lr = o.get("lr"), steps = o.get("steps");
        if (type == null || !type.isTextual() || options == null || !options.isObject() || lr == null || !lr.isNumber()
                || steps == null || !steps.canConvertToLong() || !steps.isIntegralNumber()) {
            throw new ModelFileException(src + ": \"optimizer\" needs type (string), options (object), lr (number) and steps (integer), got " + o);
        }
        try {
            Map<String, Object> opts = new LinkedHashMap<>();
            for (var it = options.fields(); it.hasNext(); ) {
                var f = it.next();
                if (!f.getValue().isNumber()) throw new IllegalArgumentException("option " + f.getKey() + " is not a number: " + f.getValue());
                opts.put(f.getKey(), f.getValue().doubleValue());
            }
            Optimizer opt = Optimizer.create(type.asText(), opts);
            opt.setLearningRate(lr.floatValue());
            opt.restoreSteps(steps.asLong());
            return opt;
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(src + ": bad optimizer: " + e.getMessage());
        }
    }

    /** Exactly the expected names, each with the expected shape; the message lists every difference. */
    private static void checkNames(String src, String kind, Map<String, Tensor> expected, Map<String, Tensor> actual)
            throws ModelFileException {
        List<String> problems = new ArrayList<>();
        List<String> missing = new ArrayList<>(expected.keySet());
        missing.removeAll(actual.keySet());
        if (!missing.isEmpty()) problems.add("missing " + kind + "(s) " + String.join(", ", missing));
        List<String> extra = new ArrayList<>(actual.keySet());
        extra.removeAll(expected.keySet());
        if (!extra.isEmpty()) problems.add("unexpected " + kind + "(s) " + String.join(", ", extra) + " (not in the net)");
        for (var e : expected.entrySet()) {
            Tensor a = actual.get(e.getKey());
            if (a != null && !Arrays.equals(a.shape(), e.getValue().shape())) {
                problems.add(kind + " " + e.getKey() + " has shape " + Arrays.toString(a.shape()) + " in the file but "
                        + Arrays.toString(e.getValue().shape()) + " in the net");
            }
        }
        if (!problems.isEmpty()) throw new ModelFileException(src + ": does not match its net: " + String.join("; ", problems));
    }

    private static void copy(Tensor src, Tensor dst) {
        if (dst.dtype() != DType.F32 || !dst.isContiguous()) throw new IllegalStateException("load: target tensor is not contiguous F32");
        Tensor s = src.contiguous();
        MemorySegment.copy(s.segment(), ValueLayout.JAVA_FLOAT, s.offset() * 4, dst.segment(), ValueLayout.JAVA_FLOAT,
                dst.offset() * 4, dst.numel());
    }
}
