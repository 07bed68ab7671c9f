package io.tensorlane.bench.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.tensorlane.runtime.DType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One golden case file (format: the reference corpus README): op, params, inputs, expected outputs
 * and grads, and the tolerance that covers all of them.
 */
public record GoldenCase(String file, String op, JsonNode params, Map<String, GoldenTensor> inputs,
                         Map<String, GoldenTensor> outputs, Map<String, GoldenTensor> grads, double rtol, double atol) {

    /**
     * Floats are read as BigDecimal so each value's decimal text reaches Float.parseFloat unchanged (exact
     * float32, no double rounding in between); NaN/Infinity tokens (as Python's json writes them) are accepted.
     */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    /** Parses a case file; any structural problem is a {@link MalformedCaseException} naming the file and field. */
    public static GoldenCase read(Path path) throws IOException {
        String file = path.getFileName().toString();
        JsonNode root;
        try {
            root = JSON.readTree(path.toFile());
        } catch (IOException e) {
            throw new MalformedCaseException(file + ": not valid JSON (" + firstLine(e.getMessage()) + ")");
        }
        if (root == null || !root.isObject()) throw new MalformedCaseException(file + ": top level is not a JSON object");
        String op = text(root, "op", file);
        JsonNode tol = field(root, "tolerance", file);
        double rtol = number(tol, "rtol", file + " tolerance");
        double atol = number(tol, "atol", file + " tolerance");
        JsonNode params = root.has("params") ? root.get("params") : JSON.createObjectNode();
        return new GoldenCase(file, op, params, tensors(field(root, "inputs", file), file + " inputs"),
                tensors(field(root, "outputs", file), file + " outputs"),
                root.has("grads") ? tensors(root.get("grads"), file + " grads") : Map.of(), rtol, atol);
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    private static JsonNode field(JsonNode n, String name, String where) {
        JsonNode v = n.get(name);
        if (v == null || v.isNull()) throw new MalformedCaseException(where + ": missing field '" + name + "'");
        return v;
    }

    private static String text(JsonNode n, String name, String where) {
        JsonNode v = field(n, name, where);
        if (!v.isTextual()) throw new MalformedCaseException(where + ": field '" + name + "' is not a string");
        return v.asText();
    }

    private static double number(JsonNode n, String name, String where) {
        JsonNode v = field(n, name, where);
        if (!v.isNumber()) throw new MalformedCaseException(where + ": field '" + name + "' is not a number");
        return v.asDouble();
    }

    private static Map<String, GoldenTensor> tensors(JsonNode node, String where) {
        if (!node.isObject()) throw new MalformedCaseException(where + ": not an object");
        Map<String, GoldenTensor> out = new LinkedHashMap<>();
        for (var it = node.properties().iterator(); it.hasNext(); ) {
            var e = it.next();
            out.put(e.getKey(), tensor(e.getValue(), where + "." + e.getKey()));
        }
        return out;
    }

    private static GoldenTensor tensor(JsonNode t, String where) {
        JsonNode shapeNode = field(t, "shape", where);
        if (!shapeNode.isArray()) throw new MalformedCaseException(where + ": shape is not a list");
        long[] shape = new long[shapeNode.size()];
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new MalformedCaseException(where + ": shape " + shapeNode + " has a bad dim");
            }
            shape[i] = d.asLong();
            n = Math.multiplyExact(n, shape[i]);
        }
        String dtype = text(t, "dtype", where);
        JsonNode data = field(t, "data", where);
        if (!data.isArray()) throw new MalformedCaseException(where + ": data is not a list");
        if (data.size() != n) {
            throw new MalformedCaseException(where + ": data has " + data.size() + " values but shape " + shapeNode + " needs " + n);
        }
        switch (dtype) {
            case "float32" -> {
                float[] v = new float[(int) n];
                for (int i = 0; i < v.length; i++) {
                    JsonNode x = data.get(i);
                    if (!x.isNumber()) throw new MalformedCaseException(where + ": data[" + i + "] is not a number");
                    v[i] = toFloat(x);
                }
                return new GoldenTensor(shape, DType.F32, v, null);
            }
            case "int32" -> {
                int[] v = new int[(int) n];
                for (int i = 0; i < v.length; i++) {
                    JsonNode x = data.get(i);
                    if (!x.isIntegralNumber() || !x.canConvertToInt()) {
                        throw new MalformedCaseException(where + ": data[" + i + "] is not an int32");
                    }
                    v[i] = x.asInt();
                }
                return new GoldenTensor(shape, DType.I32, null, v);
            }
            default -> throw new MalformedCaseException(where + ": unknown dtype '" + dtype + "' (float32 or int32)");
        }
    }

    /** The float32 a JSON number denotes: its decimal text parsed as a float (the corpus's 9 digits round-trip). */
    static float toFloat(JsonNode x) {
        if (x.isBigDecimal()) return Float.parseFloat(x.decimalValue().toString());
        if (x.isIntegralNumber()) return Float.parseFloat(x.bigIntegerValue().toString());
        return (float) x.doubleValue(); // NaN / Infinity
    }

    public GoldenTensor input(String name) {
        GoldenTensor t = inputs.get(name);
        if (t == null) throw new MalformedCaseException(file + ": op " + op + " needs input '" + name + "'");
        return t;
    }

    public GoldenTensor output(String name) {
        GoldenTensor t = outputs.get(name);
        if (t == null) throw new MalformedCaseException(file + ": op " + op + " needs output '" + name + "'");
        return t;
    }

    public GoldenTensor grad(String name) {
        GoldenTensor t = grads.get(name);
        if (t == null) throw new MalformedCaseException(file + ": op " + op + " needs grad '" + name + "'");
        return t;
    }

    public double param(String name, double fallback) {
        JsonNode v = params.get(name);
        return v == null || !v.isNumber() ? fallback : v.asDouble();
    }

    public boolean flag(String name) {
        JsonNode v = params.get(name);
        if (v == null || !v.isBoolean()) throw new MalformedCaseException(file + ": param '" + name + "' is not a boolean");
        return v.asBoolean();
    }

    public String string(String name, String fallback) {
        JsonNode v = params.get(name);
        return v == null || !v.isTextual() ? fallback : v.asText();
    }
}
