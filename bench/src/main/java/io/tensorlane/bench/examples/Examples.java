package io.tensorlane.bench.examples;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The examples by name, in the order {@code example --help} lists them. */
public final class Examples {
    private static final Map<String, Example> ALL = new LinkedHashMap<>();

    static {
        for (Example e : List.of(new LinRegExample(), new LogRegExample(), new PcaExample(), new AutoencoderExample(), new CharLstmExample(),
                DigitsNetExample.resnet(), DigitsNetExample.inception(), new FcnExample())) {
            ALL.put(e.name(), e);
        }
    }

    private Examples() {
    }

    public static Map<String, Example> all() {
        return java.util.Collections.unmodifiableMap(ALL);
    }

    /** The example called {@code name}; an unknown name lists the known ones. */
    public static Example get(String name) {
        Example e = ALL.get(name);
        if (e == null) throw new IllegalArgumentException("unknown example '" + name + "'; examples: " + String.join(", ", ALL.keySet()));
        return e;
    }
}
