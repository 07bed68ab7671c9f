package io.tensorlane.layers;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;

import io.tensorlane.runtime.Tensor;
import java.util.Arrays;
import java.util.Locale;
import java.util.random.RandomGenerator;

/**
 * Weight initialisers. They draw from the generator the caller passes (a net seeds one), so a seed
 * fixes every weight. Fan-in / fan-out: (in, out) of a linear layer; C*kh*kw and F*kh*kw of a conv.
 */
public enum Init {
    /** U(-a, a), a = sqrt(6 / (fanIn + fanOut)) (Glorot and Bengio 2010). */
    XAVIER_UNIFORM,
    /** N(0, 2 / (fanIn + fanOut)). */
    XAVIER_NORMAL,
    /** N(0, 2 / fanIn) (He et al. 2015): keeps ReLU activations' variance. */
    HE_NORMAL,
    /** U(-a, a), a = sqrt(6 / fanIn). */
    HE_UNIFORM,
    /** All zeros (biases). */
    ZEROS;

    /** The net-file name, e.g. {@code "xavier_uniform"}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a net-file name; an unknown one lists the valid ones. */
    public static Init parse(String id) {
        for (Init i : values()) if (i.id().equals(id)) return i;
        throw new IllegalArgumentException("unknown init \"" + id + "\" (valid: "
                + String.join(", ", Arrays.stream(values()).map(Init::id).toList()) + ")");
    }

    /** Fills the contiguous F32 tensor {@code w} in place. */
    public void fill(Tensor w, long fanIn, long fanOut, RandomGenerator rng) {
        if (fanIn <= 0 || fanOut <= 0) {
            throw new IllegalArgumentException("init " + id() + ": fanIn and fanOut must be positive, got " + fanIn + ", " + fanOut);
        }
        if (!w.isContiguous()) throw new IllegalArgumentException("init " + id() + ": tensor must be contiguous");
        double bound;
        boolean normal;
        switch (this) {
            case XAVIER_UNIFORM -> { bound = Math.sqrt(6.0 / (fanIn + fanOut)); normal = false; }
            case XAVIER_NORMAL -> { bound = Math.sqrt(2.0 / (fanIn + fanOut)); normal = true; }
            case HE_NORMAL -> { bound = Math.sqrt(2.0 / fanIn); normal = true; }
            case HE_UNIFORM -> { bound = Math.sqrt(6.0 / fanIn); normal = false; }
            default -> { bound = 0; normal = false; }
        }
        long n = w.numel(), off = w.offset();
        var seg = w.segment();
        for (long i = 0; i < n; i++) {
            double v = this == ZEROS ? 0 : normal ? rng.nextGaussian() * bound : (2 * rng.nextDouble() - 1) * bound;
            seg.setAtIndex(JAVA_FLOAT, off + i, (float) v);
        }
    }
}
