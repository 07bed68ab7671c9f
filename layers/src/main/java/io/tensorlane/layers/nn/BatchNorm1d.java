package io.tensorlane.layers.nn;

import io.tensorlane.layers.LayerConfig;
import java.util.List;
import java.util.random.RandomGenerator;

/** {@link BatchNorm} of features: x (N, D), statistics over N per feature. */
public final class BatchNorm1d extends BatchNorm {
    /** D features, momentum 0.9 (running value kept), eps 1e-5. */
    public BatchNorm1d(int features) {
        this(features, 0.9f, 1e-5f);
    }

    public BatchNorm1d(int features, float momentum, float eps) {
        super(features, momentum, eps);
    }

    /** Builds it from net-file options (see {@link BatchNorm#OPTIONS}). */
    public static BatchNorm1d create(LayerConfig c, List<long[]> in, RandomGenerator rng) {
        return new BatchNorm1d(channels(c, in.get(0), 2, "(N, D)"), momentum(c), eps(c));
    }

    @Override
    public String type() { return "batch_norm1d"; }

    @Override
    int rank() { return 2; }

    @Override
    String layout() { return "(N, D)"; }
}
