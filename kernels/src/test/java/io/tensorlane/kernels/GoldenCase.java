package io.tensorlane.kernels;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * One golden case from {@code src/test/resources/reference} (format: that folder's README): tensors
 * by name from inputs, outputs and grads, plus params and the case's tolerance.
 */
record GoldenCase(String file, JsonNode root, double rtol, double atol) {
    // decimals stay BigDecimal, so each number's text is parsed once, straight to float (no double rounding)
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    static GoldenCase load(String file) {
        try (InputStream in = GoldenCase.class.getResourceAsStream("/reference/" + file)) {
            if (in == null) throw new IllegalStateException("missing test resource reference/" + file);
            JsonNode root = JSON.readTree(in);
            JsonNode tol = root.get("tolerance");
            return new GoldenCase(file, root, tol.get("rtol").asDouble(), tol.get("atol").asDouble());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** File names of every case of {@code op} (the part before "__"), sorted; fails when there are none. */
    static List<String> filesOf(String op) {
        URL dir = GoldenCase.class.getResource("/reference");
        if (dir == null) throw new IllegalStateException("missing test resource folder reference/");
        try (Stream<Path> files = Files.list(Path.of(dir.toURI()))) {
            List<String> names = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.startsWith(op + "__") && n.endsWith(".json"))
                    .sorted().toList();
            if (names.isEmpty()) throw new IllegalStateException("no golden cases for " + op);
            return names;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private JsonNode tensor(String section, String name) {
        JsonNode t = root.get(section).get(name);
        if (t == null) throw new IllegalStateException(file + ": no " + section + "." + name);
        return t;
    }

    float[] floats(String section, String name) {
        JsonNode data = tensor(section, name).get("data");
        float[] out = new float[data.size()];
        // parse the printed text as float: 9 significant digits give back the exact float32
        for (int i = 0; i < out.length; i++) out[i] = Float.parseFloat(data.get(i).asText());
        return out;
    }

    int[] ints(String section, String name) {
        JsonNode data = tensor(section, name).get("data");
        int[] out = new int[data.size()];
        for (int i = 0; i < out.length; i++) out[i] = data.get(i).asInt();
        return out;
    }

    long[] shape(String section, String name) {
        JsonNode s = tensor(section, name).get("shape");
        long[] out = new long[s.size()];
        for (int i = 0; i < out.length; i++) out[i] = s.get(i).asLong();
        return out;
    }

    JsonNode param(String name) {
        JsonNode p = root.get("params").get(name);
        if (p == null) throw new IllegalStateException(file + ": no params." + name);
        return p;
    }

    @Override
    public String toString() {
        return file;
    }
}
