package io.tensorlane.layers.nn;

import io.tensorlane.layers.Init;
import io.tensorlane.layers.LayerConfig;
import java.util.List;

/** Net-file option forms the convolution and pooling layers share. */
final class ConvOptions {
    private ConvOptions() {
    }

    /** An (h, w) option as a net file writes it: one integer when both agree, else [h, w]. */
    static Object pair(int h, int w) {
        return h == w ? (Object) h : List.of(h, w);
    }

    /** The {@code init} option, an error naming it when unknown. */
    static Init init(LayerConfig c, String fallback) {
        try {
            return Init.parse(c.getString("init", fallback));
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith("$")) throw e;
            throw c.error("init", e.getMessage());
        }
    }

    /** A required (h, w) option (an integer or a list of two), each at least {@code min}. */
    static int[] requiredPair(LayerConfig c, String key, int min) {
        if (!c.has(key)) c.getInt(key); // throws the "required option" error
        return pair(c, key, min, min);
    }

    /** An optional (h, w) option, each at least {@code min}. */
    static int[] pair(LayerConfig c, String key, int fallback, int min) {
        int[] p = c.getPair(key, fallback);
        if (p[0] < min || p[1] < min) throw c.error(key, "must be >= " + min + ", got " + (p[0] == p[1] ? "" + p[0] : "[" + p[0] + ", " + p[1] + "]"));
        return p;
    }
}
