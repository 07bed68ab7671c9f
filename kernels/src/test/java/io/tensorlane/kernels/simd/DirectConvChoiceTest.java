package io.tensorlane.kernels.simd;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.Conv2dDesc;
import io.tensorlane.kernels.ConvGeometry;
import org.junit.jupiter.api.Test;

/**
 * Which convolutions take the direct kernels (a function of the shape only): unsupported parameters
 * (groups, pointwise, backward-data at stride 2 or with padding beyond d(k-1)) fall back to im2col, and the
 * direct shapes of ConvSimdMatchesScalarTest really run the direct kernels (that test compares the results).
 */
class DirectConvChoiceTest {
    private static ConvGeometry g(long n, long c, long h, long w, long f, Conv2dDesc d) {
        return d.forward(new long[] {n, c, h, w}, new long[] {f, c / d.groups(), d.kh(), d.kw()});
    }

    @Test
    void smallImagesAndFewFiltersGoDirect() {
        // the demo CNN (F a multiple of every vector width up to 512 bits)
        assertTrue(DirectConv.forward(g(64, 32, 8, 8, 32, Conv2dDesc.of(3).pad(1))));
        assertTrue(DirectConv.forward(g(64, 32, 4, 4, 64, Conv2dDesc.of(3).pad(1))));
        assertTrue(DirectConv.supportsBackwardData(g(64, 32, 8, 8, 32, Conv2dDesc.of(3).pad(1))));
        // the direct-path shapes of ConvSimdMatchesScalarTest
        assertTrue(DirectConv.forward(g(3, 32, 8, 8, 32, Conv2dDesc.of(3).pad(1))));
        assertTrue(DirectConv.supportsBackwardData(g(3, 32, 8, 8, 32, Conv2dDesc.of(3).pad(1))));
        assertTrue(DirectConv.forward(g(2, 4, 11, 9, 32, Conv2dDesc.of(3).stride(2).pad(1))));
        assertTrue(DirectConv.forward(g(2, 4, 10, 10, 64, Conv2dDesc.of(3).pad(2).dilation(2))));
        assertTrue(DirectConv.supportsBackwardData(g(2, 64, 4, 4, 32, Conv2dDesc.of(3).pad(1))));
    }

    @Test
    void wastedLanesLargeImagesAndManyFiltersStayOnIm2col() {
        // 1 input channel (Digits 1->32, LeNet-A), 1600 taps, F = 17 (over a third of the lanes wasted)
        assertFalse(DirectConv.forward(g(64, 1, 8, 8, 32, Conv2dDesc.of(3).pad(1))));
        assertFalse(DirectConv.forward(g(64, 1, 28, 28, 20, Conv2dDesc.of(5))));
        assertFalse(DirectConv.forward(g(64, 64, 12, 12, 64, Conv2dDesc.of(5))));
        assertFalse(DirectConv.forward(g(64, 32, 8, 8, 17, Conv2dDesc.of(3).pad(1))));
        // LeNet-A backward-data: 1 channel on the vector axis
        assertFalse(DirectConv.backwardData(g(64, 1, 28, 28, 20, Conv2dDesc.of(5))));
        // 1 filter; large image (AlexNet-conv1); 256 filters (Deep-3x3)
        assertFalse(DirectConv.forward(g(2, 3, 9, 11, 1, Conv2dDesc.of(3).pad(1))));
        assertFalse(DirectConv.forward(g(1, 3, 227, 227, 96, Conv2dDesc.of(11).stride(4))));
        assertFalse(DirectConv.forward(g(8, 256, 14, 14, 256, Conv2dDesc.of(3).pad(1))));
        // but the kernels support them
        assertTrue(DirectConv.supportsBackwardData(g(64, 1, 28, 28, 20, Conv2dDesc.of(5))));
        assertTrue(DirectConv.supportsForward(g(1, 3, 227, 227, 96, Conv2dDesc.of(11).stride(4))));
    }

    @Test
    void unsupportedParametersFallBackToIm2col() {
        assertFalse(DirectConv.forward(g(2, 4, 8, 8, 8, Conv2dDesc.of(3).pad(1).groups(2))));
        assertFalse(DirectConv.backwardData(g(2, 4, 8, 8, 8, Conv2dDesc.of(3).pad(1).groups(2))));
        assertFalse(DirectConv.forward(g(2, 8, 5, 7, 12, Conv2dDesc.of(1))));
        assertFalse(DirectConv.backwardData(g(2, 3, 11, 9, 9, Conv2dDesc.of(3).stride(2).pad(1))));
        assertFalse(DirectConv.backwardData(g(2, 4, 6, 6, 9, Conv2dDesc.of(3).pad(3))));
        // backward-data: the forward's rule with the channel axes swapped (dx's channels on the vector axis)
        assertTrue(DirectConv.backwardData(g(64, 32, 8, 8, 32, Conv2dDesc.of(3).pad(1))));
        assertTrue(DirectConv.backwardData(g(64, 32, 4, 4, 64, Conv2dDesc.of(3).pad(1))));
        assertFalse(DirectConv.backwardData(g(64, 6, 14, 14, 16, Conv2dDesc.of(5)))); // 6 channels: wasted lanes
        // backward-weights: small images (any channel counts), not large ones, not groups
        assertTrue(DirectConv.backwardWeights(g(64, 1, 28, 28, 6, Conv2dDesc.of(5).pad(2))));
        assertTrue(DirectConv.backwardWeights(g(64, 6, 14, 14, 16, Conv2dDesc.of(5))));
        assertTrue(DirectConv.backwardWeights(g(64, 32, 8, 8, 32, Conv2dDesc.of(3).pad(1))));
        assertFalse(DirectConv.backwardWeights(g(8, 64, 56, 56, 64, Conv2dDesc.of(3).pad(1))));
        // its channels-last variant: the digits CNN's 32 channels, not LeNet's 6 nor Deep-3x3's 256
        assertTrue(DirectConv.channelsLastWeights(g(64, 32, 8, 8, 32, Conv2dDesc.of(3).pad(1))));
        assertTrue(DirectConv.channelsLastWeights(g(64, 32, 4, 4, 64, Conv2dDesc.of(3).pad(1))));
        assertFalse(DirectConv.channelsLastWeights(g(64, 6, 14, 14, 16, Conv2dDesc.of(5))));
        assertFalse(DirectConv.channelsLastWeights(g(8, 256, 14, 14, 256, Conv2dDesc.of(3).pad(1))));
        assertFalse(DirectConv.backwardWeights(g(2, 4, 8, 8, 8, Conv2dDesc.of(3).pad(1).groups(2))));
        assertFalse(DirectConv.backwardWeights(g(2, 8, 5, 7, 12, Conv2dDesc.of(1))));
        assertFalse(DirectConv.supportsBackwardData(g(2, 4, 6, 6, 9, Conv2dDesc.of(3).pad(3))));
        assertFalse(DirectConv.supportsForward(g(2, 4, 8, 8, 8, Conv2dDesc.of(3).pad(1).groups(2))));
    }
}
