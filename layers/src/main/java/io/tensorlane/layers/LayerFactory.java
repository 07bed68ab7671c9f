package io.tensorlane.layers;

import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Builds a layer from its options and the shapes of its inputs (first dim = batch), so a net file
 * says only what it must ({@code {"type": "linear", "out": 10}}: the input width is inferred).
 * Parameters are initialised from {@code rng} (seeded by the net), so builds are reproducible.
 */
@FunctionalInterface
public interface LayerFactory {
    Layer create(LayerConfig config, List<long[]> inputShapes, RandomGenerator rng);
}
