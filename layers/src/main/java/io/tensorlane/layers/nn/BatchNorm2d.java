package io.tensorlane.layers.nn;

import io.tensorlane.layers.LayerConfig;
import java.util.List;
import java.util.random.RandomGenerator;

/** {@link BatchNorm} of channels: x (N, C, H, W), statistics over N, H and W per channel. */
public final class BatchNorm2d extends BatchNorm {
    /** C channels, momentum 0.9 (running value kept), eps 1e-5. */
    public BatchNorm2d(int channels) {
        this(channels, 0.9f, 1e-5f);
    }

    public BatchNorm2d(int channels, float momentum, float eps) {
        super(channels, momentum, eps);
    }

    /** Builds it from net-file options (see {@link BatchNorm#OPTIONS}). */
    public static BatchNorm2d create(LayerConfig c, List<long[]> in, RandomGenerator rng) {
        return new BatchNorm2d(channels(c, in.get(0), 4, "(N, C, H, W)"), momentum(c), eps(c));
    }

    @Override
    public String type() { return "batch_norm2d"; }

    @Override
    int rank() { return 4; }

    @Override
    String layout() { return "(N, C, H, W)"; }
}
