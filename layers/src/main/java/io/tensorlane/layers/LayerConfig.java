package io.tensorlane.layers;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The options of one layer as read from a net file (or given in code), with typed getters whose
 * errors name the place in the file, e.g. {@code $.layers[2].kernel: expected an integer, got "3x3"}.
 * Values are plain Java: Number, String, Boolean, List.
 */
public final class LayerConfig {
    private final String path;
    private final String type;
    private final Map<String, Object> options;
    private final Function<String, Layer> nodes;

    /**
     * @param path    where the layer is, e.g. {@code $.layers[2]} (prefix of error messages)
     * @param type    the registry name
     * @param options option name to value (no {@code type}, {@code name} or {@code inputs})
     */
    public LayerConfig(String path, String type, Map<String, ?> options) {
        this(path, type, options, name -> null);
    }

    /**
     * A config that can also refer to the layers of nodes built before it (see {@link #getNode}).
     *
     * @param nodes the layer of a node by name, or null when there is no such node (yet)
     */
    public LayerConfig(String path, String type, Map<String, ?> options, Function<String, Layer> nodes) {
        this.path = path;
        this.type = type;
        this.options = Collections.unmodifiableMap(new LinkedHashMap<>(options));
        this.nodes = java.util.Objects.requireNonNull(nodes, "nodes");
    }

    public String path() { return path; }

    public String type() { return type; }

    public Map<String, Object> options() { return options; }

    public boolean has(String key) { return options.containsKey(key); }

    /** An error about option {@code key}: {@code "<path>.<key>: <message>"}. */
    public IllegalArgumentException error(String key, String message) {
        return new IllegalArgumentException(path + "." + key + ": " + message);
    }

    /** An error about the whole layer: {@code "<path> (<type>): <message>"}. */
    public IllegalArgumentException error(String message) {
        return new IllegalArgumentException(path + " (" + type + "): " + message);
    }

    private Object require(String key) {
        Object v = options.get(key);
        if (v == null) throw error(key, "required option of " + type + " is missing");
        return v;
    }

    private static String show(Object v) {
        return v instanceof String s ? "\"" + s + "\"" : String.valueOf(v);
    }

    private int toInt(String key, Object v) {
        if (v instanceof Integer || v instanceof Long || v instanceof Short) {
            long l = ((Number) v).longValue();
            if (l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) return (int) l;
            throw error(key, "integer " + l + " is out of range");
        }
        throw error(key, "expected an integer, got " + show(v));
    }

    /** A required integer. */
    public int getInt(String key) {
        return toInt(key, require(key));
    }

    /** An optional integer. */
    public int getInt(String key, int fallback) {
        return has(key) ? getInt(key) : fallback;
    }

    /** A required integer that must be at least {@code min}. */
    public int getInt(String key, int fallback, int min) {
        int v = getInt(key, fallback);
        if (v < min) throw error(key, "must be >= " + min + ", got " + v);
        return v;
    }

    /** A required positive integer (>= 1). */
    public int getPositiveInt(String key) {
        int v = getInt(key);
        if (v < 1) throw error(key, "must be >= 1, got " + v);
        return v;
    }

    /** An optional finite number. */
    public float getFloat(String key, float fallback) {
        if (!has(key)) return fallback;
        Object v = options.get(key);
        if (!(v instanceof Number n)) throw error(key, "expected a number, got " + show(v));
        double d = n.doubleValue();
        if (!Double.isFinite(d)) throw error(key, "must be finite, got " + d);
        return (float) d;
    }

    /** An optional boolean. */
    public boolean getBool(String key, boolean fallback) {
        if (!has(key)) return fallback;
        Object v = options.get(key);
        if (!(v instanceof Boolean b)) throw error(key, "expected true or false, got " + show(v));
        return b;
    }

    /** An optional string. */
    public String getString(String key, String fallback) {
        if (!has(key)) return fallback;
        Object v = options.get(key);
        if (!(v instanceof String s)) throw error(key, "expected a string, got " + show(v));
        return s;
    }

    /**
     * The layer of the node named by the string option {@code key}, which must be built before this
     * one and be a {@code kind} (e.g. the max-pool node whose indices an unpool layer uses).
     */
    public <L extends Layer> L getNode(String key, Class<L> kind) {
        Object v = require(key);
        if (!(v instanceof String name)) throw error(key, "expected a node name, got " + show(v));
        Layer l = nodes.apply(name);
        if (l == null) throw error(key, "no node \"" + name + "\" before this one");
        if (!kind.isInstance(l)) throw error(key, "node \"" + name + "\" is a " + l.type() + ", not a " + kind.getSimpleName());
        return kind.cast(l);
    }

    /** A pair (h, w) given as one integer (both) or a list of two; {@code fallback} when absent. */
    public int[] getPair(String key, int fallback) {
        if (!has(key)) return new int[] {fallback, fallback};
        Object v = options.get(key);
        if (v instanceof List<?> l) {
            if (l.size() != 2) throw error(key, "expected an integer or a list of 2, got a list of " + l.size());
            return new int[] {toInt(key + "[0]", l.get(0)), toInt(key + "[1]", l.get(1))};
        }
        int i = toInt(key, v);
        return new int[] {i, i};
    }

    /** A required list of integers (e.g. a shape). */
    public long[] getLongs(String key) {
        Object v = require(key);
        if (!(v instanceof List<?> l)) throw error(key, "expected a list of integers, got " + show(v));
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = toInt(key + "[" + i + "]", l.get(i));
        return out;
    }

    /** A {@link #getLongs(String)} as a JSON-friendly list (for {@link Layer#config()}). */
    public static List<Long> list(long... values) {
        List<Long> l = new ArrayList<>(values.length);
        for (long v : values) l.add(v);
        return l;
    }
}
