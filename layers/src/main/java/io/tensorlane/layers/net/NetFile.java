package io.tensorlane.layers.net;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tensorlane.layers.Layer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.LayerRegistry;
import io.tensorlane.layers.loss.Loss;
import io.tensorlane.layers.loss.LossRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Net files: a net described in JSON, so that it needs no code (the role of Caffe's prototxt).
 *
 * <pre>{@code
 * { "name": "mlp", "input": [4], "seed": 1, "loss": "softmax_cross_entropy",
 *   "layers": [ {"type": "linear", "out": 16}, {"type": "relu"}, {"name": "fc2", "type": "linear", "out": 3} ] }
 * }</pre>
 *
 * {@code input} is the sample shape (no batch dim); {@code layers} gives a {@link Sequential};
 * {@code nodes} (each with {@code name}, {@code type}, {@code inputs}; inputs default to the
 * previous node) plus an optional {@code output} gives a {@link Graph}, whose nodes may read only
 * nodes listed before them. Every other key of a layer is an option of its type (see
 * {@link LayerRegistry}); layers infer their input sizes. {@code seed} (default 0) seeds every
 * initial weight. Errors name the JSON path, e.g. {@code $.layers[2].out: expected an integer}.
 */
public final class NetFile {
    private static final Set<String> TOP = Set.of("name", "input", "seed", "loss", "layers", "nodes", "output");
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /** A parsed net file: the net, its sample shape, its loss (null when the file names none) and the JSON text. */
    public record Spec(String name, long[] inputShape, long seed, Net net, Loss loss, String json) {
    }

    private NetFile() {
    }

    /** Reads and builds a net file. */
    public static Spec read(Path file) throws IOException {
        return parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    }

    /** Builds a net file shipped in this module's resources, e.g. {@code "nets/lenet5.json"}. */
    public static Spec resource(String name) {
        try (InputStream in = NetFile.class.getModule().getResourceAsStream(name)) {
            if (in == null) throw new IllegalArgumentException("net file resource " + name + " not found");
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), name);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Builds a net from JSON text; {@code source} names it in error messages. */
    public static Spec parse(String json, String source) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new IllegalArgumentException(source + ": invalid JSON" + (loc == null ? "" : " at line " + loc.getLineNr()
                    + ", column " + loc.getColumnNr()) + ": " + e.getOriginalMessage());
        }
        try {
            return build(root, json);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(source + ": " + e.getMessage(), e);
        }
    }

    private static Spec build(JsonNode root, String json) {
        if (root == null || !root.isObject()) throw new IllegalArgumentException("$: expected a JSON object");
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!TOP.contains(k)) throw new IllegalArgumentException("$." + k + ": unknown key (valid: " + String.join(", ", new java.util.TreeSet<>(TOP)) + ")");
        }
        String name = root.has("name") ? text(root.get("name"), "$.name") : "net";
        long[] input = shape(root.get("input"), "$.input");
        long seed = root.has("seed") ? integer(root.get("seed"), "$.seed") : 0;
        Loss loss = null;
        if (root.has("loss")) {
            try {
                loss = LossRegistry.create(text(root.get("loss"), "$.loss"));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(e.getMessage().startsWith("$") ? e.getMessage() : "$.loss: " + e.getMessage());
            }
        }
        boolean seq = root.has("layers"), graph = root.has("nodes");
        if (seq == graph) throw new IllegalArgumentException("$: needs exactly one of \"layers\" (a chain) or \"nodes\" (a graph)");
        if (seq && root.has("output")) throw new IllegalArgumentException("$.output: only graphs (\"nodes\") name an output");
        Random rng = new Random(seed);
        long[] batched = Shapes.withBatch(input);
        Net net = seq ? sequential(root.get("layers"), batched, rng) : graph(root, batched, rng);
        return new Spec(name, input, seed, net, loss, json);
    }

    private static Sequential sequential(JsonNode layers, long[] in, Random rng) {
        ArrayNode arr = array(layers, "$.layers");
        Sequential net = new Sequential();
        long[] shape = in;
        for (int i = 0; i < arr.size(); i++) {
            String path = "$.layers[" + i + "]";
            JsonNode e = arr.get(i);
            if (e.has("inputs")) throw new IllegalArgumentException(path + ".inputs: only graph nodes have inputs");
            Layer l = layer(e, path, List.of(shape), rng, nodeLookup(net.nodes()));
            shape = outShape(l, List.of(shape), path);
            if (e.has("name")) net.add(uniqueName(net.nodes(), text(e.get("name"), path + ".name"), path), l);
            else net.add(l);
        }
        return net;
    }

    private static Graph graph(JsonNode root, long[] in, Random rng) {
        ArrayNode arr = array(root.get("nodes"), "$.nodes");
        Graph.Builder b = Graph.builder();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        Map<String, Layer> built = new HashMap<>();
        shapes.put(Net.INPUT, in);
        String previous = Net.INPUT;
        for (int i = 0; i < arr.size(); i++) {
            String path = "$.nodes[" + i + "]";
            JsonNode e = arr.get(i);
            if (!e.has("name")) throw new IllegalArgumentException(path + ".name: graph nodes need a name");
            String name = text(e.get("name"), path + ".name");
            if (shapes.containsKey(name)) throw new IllegalArgumentException(path + ".name: \"" + name + "\" is "
                    + (name.equals(Net.INPUT) ? "reserved for the net's input" : "used twice"));
            List<String> inputs = new ArrayList<>();
            if (e.has("inputs")) {
                ArrayNode ia = array(e.get("inputs"), path + ".inputs");
                for (int j = 0; j < ia.size(); j++) {
                    String s = text(ia.get(j), path + ".inputs[" + j + "]");
                    if (!shapes.containsKey(s)) {
                        throw new IllegalArgumentException(path + ".inputs[" + j + "]: unknown node \"" + s
                                + "\" (nodes defined before: " + String.join(", ", shapes.keySet()) + ")");
                    }
                    inputs.add(s);
                }
            } else {
                inputs.add(previous);
            }
            List<long[]> inShapes = inputs.stream().map(shapes::get).toList();
            Layer l = layer(e, path, inShapes, rng, built::get);
            built.put(name, l);
            try {
                b.add(name, l, inputs.toArray(String[]::new));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException(path + ": " + ex.getMessage());
            }
            shapes.put(name, outShape(l, inShapes, path));
            previous = name;
        }
        if (root.has("output")) {
            String out = text(root.get("output"), "$.output");
            if (!shapes.containsKey(out) || out.equals(Net.INPUT)) {
                throw new IllegalArgumentException("$.output: unknown node \"" + out + "\"");
            }
            b.output(out);
        }
        try {
            return b.build();
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("$.nodes: " + ex.getMessage());
        }
    }

    private static String uniqueName(List<NetNode> nodes, String name, String path) {
        if (name.equals(Net.INPUT) || nodes.stream().anyMatch(n -> n.name().equals(name))) {
            throw new IllegalArgumentException(path + ".name: \"" + name + "\" is reserved or used twice");
        }
        return name;
    }

    private static java.util.function.Function<String, Layer> nodeLookup(List<NetNode> nodes) {
        return name -> nodes.stream().filter(n -> n.name().equals(name)).map(NetNode::layer).findFirst().orElse(null);
    }

    private static Layer layer(JsonNode e, String path, List<long[]> inShapes, Random rng,
                               java.util.function.Function<String, Layer> nodes) {
        if (e == null || !e.isObject()) throw new IllegalArgumentException(path + ": expected an object");
        if (!e.has("type")) throw new IllegalArgumentException(path + ".type: missing (known: " + String.join(", ", LayerRegistry.types()) + ")");
        String type = text(e.get("type"), path + ".type");
        Map<String, Object> options = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = e.fields(); it.hasNext(); ) {
            var f = it.next();
            if (LayerRegistry.RESERVED.contains(f.getKey())) continue;
            options.put(f.getKey(), MAPPER.convertValue(f.getValue(), Object.class));
        }
        try {
            return LayerRegistry.create(new LayerConfig(path, type, options, nodes), inShapes, rng);
        } catch (IllegalArgumentException | ArithmeticException ex) {
            String m = ex.getMessage();
            throw new IllegalArgumentException(m != null && m.startsWith("$") ? m : path + " (" + type + "): " + m, ex);
        }
    }

    private static long[] outShape(Layer l, List<long[]> in, String path) {
        try {
            return l.outputShape(in);
        } catch (IllegalArgumentException | ArithmeticException ex) {
            throw new IllegalArgumentException(path + " (" + l.type() + "): " + ex.getMessage(), ex);
        }
    }

    private static ArrayNode array(JsonNode n, String path) {
        if (n == null) throw new IllegalArgumentException(path + ": missing");
        if (!n.isArray()) throw new IllegalArgumentException(path + ": expected a list, got " + n.getNodeType().toString().toLowerCase());
        if (n.isEmpty()) throw new IllegalArgumentException(path + ": is empty");
        return (ArrayNode) n;
    }

    private static String text(JsonNode n, String path) {
        if (n == null || !n.isTextual()) throw new IllegalArgumentException(path + ": expected a string, got " + n);
        return n.asText();
    }

    private static long integer(JsonNode n, String path) {
        if (n == null || !n.isIntegralNumber() || !n.canConvertToLong()) throw new IllegalArgumentException(path + ": expected an integer, got " + n);
        return n.asLong();
    }

    private static long[] shape(JsonNode n, String path) {
        if (n == null) throw new IllegalArgumentException(path + ": missing (the sample shape without the batch dim, e.g. [1, 28, 28])");
        ArrayNode a = array(n, path);
        long[] s = new long[a.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = integer(a.get(i), path + "[" + i + "]");
            if (s[i] < 1) throw new IllegalArgumentException(path + "[" + i + "]: must be >= 1, got " + s[i]);
        }
        return s;
    }

    /**
     * The net file of a net (built from a file or in code): node names, types, inputs (graphs) and
     * each layer's {@link Layer#config()}. Parsing the result with the same seed rebuilds the same net.
     */
    public static String toJson(String name, long[] inputShape, long seed, Net net, Loss loss) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("name", name);
        ArrayNode in = root.putArray("input");
        for (long d : inputShape) in.add(d);
        root.put("seed", seed);
        if (loss != null) root.put("loss", loss.type());
        boolean graph = net instanceof Graph;
        ArrayNode arr = root.putArray(graph ? "nodes" : "layers");
        for (NetNode n : net.nodes()) {
            if (n.layer() instanceof Net) throw new IllegalArgumentException("toJson: nested net " + n.name() + " has no net-file form");
            ObjectNode o = arr.addObject();
            o.put("name", n.name());
            o.put("type", n.layer().type());
            if (graph) {
                ArrayNode ia = o.putArray("inputs");
                n.inputs().forEach(ia::add);
            }
            n.layer().config().forEach((k, v) -> o.set(k, MAPPER.valueToTree(v)));
        }
        if (graph) root.put("output", net.outputName());
        try {
            return MAPPER.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
