package io.tensorlane.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every golden case of the convolution ops (issue 5) passes {@code verify} with both implementations. */
class ConvVerifyTest {
    static final List<String> OPS = List.of("affine", "im2col", "im2col_batch", "col2im", "col2im_batch", "conv2d",
            "conv_transpose2d");

    @ParameterizedTest
    @ValueSource(strings = {"scalar", "simd"})
    void everyConvolutionGoldenCasePasses(String impl) throws Exception {
        Path dir = CliTest.corpus();
        long expected = CliTest.casesOf(dir, OPS);
        assertTrue(expected >= 40, "corpus has the convolution cases: " + expected);
        CliTest.Run r = CliTest.run("verify", dir.toString(), "--ops", String.join(",", OPS), "--impl", impl);
        assertEquals(0, r.exit(), r.out() + r.err());
        assertTrue(r.out().contains("verify: " + expected + " passed, 0 failed"), r.out());
    }
}
