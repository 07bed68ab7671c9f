package io.tensorlane.bench.verify;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Parsing of case files and the comparison rule, below the CLI. */
class GoldenCaseTest {
    static String relu(String xData, String outData) {
        return """
                {"op": "relu", "variant": "t", "params": {},
                 "inputs": {"x": {"shape": [2], "dtype": "float32", "data": [%s]}},
                 "outputs": {"out": {"shape": [2], "dtype": "float32", "data": [%s]}},
                 "grads": {}, "tolerance": {"rtol": 0, "atol": 0}}
                """.formatted(xData, outData);
    }

    @Test
    void floatsAreParsedFromTheirTextWithoutDoubleRounding(@TempDir Path dir) throws Exception {
        // 1 + 2^-24 is the midpoint between 1f and the next float. This text lies 2.5e-17 above it: as a
        // double it rounds onto the midpoint, which then rounds (to even) down to 1f; parsed as a float
        // directly, it is above the midpoint and gives the next float up.
        Path f = dir.resolve("relu__t.json");
        Files.writeString(f, relu("1.0000000596046448, -0", "1e-05, 3"));
        GoldenCase c = GoldenCase.read(f);
        assertEquals(Math.nextUp(1f), c.input("x").floats()[0]);
        assertEquals(0f, c.input("x").floats()[1]);
        assertEquals(1e-5f, c.output("out").floats()[0]);
        assertEquals(3f, c.output("out").floats()[1]);
    }

    @Test
    void nanTokensAreAcceptedAndNanMatchesOnlyNan(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("relu__nan.json");
        Files.writeString(f, relu("1, 2", "NaN, 2"));
        GoldenCase c = GoldenCase.read(f);
        assertTrue(Float.isNaN(c.output("out").floats()[0]));

        Checker ok = new Checker(c);
        ok.tensor("out", c.output("out"), Tensor.of(new float[] {Float.NaN, 2f}, 2));
        assertEquals(java.util.List.of(), ok.failures());

        Checker bad = new Checker(c);
        bad.tensor("out", c.output("out"), Tensor.of(new float[] {1f, Float.NaN}, 2));
        assertEquals(1, bad.failures().size());
        assertTrue(bad.failures().getFirst().startsWith("out: 2 of 2 values off"), bad.failures().toString());
    }

    @Test
    void toleranceIsAtolPlusRtolTimesExpected() {
        GoldenCase c = new GoldenCase("x.json", "relu", JsonNodeFactory.instance.objectNode(), Map.of(), Map.of(),
                Map.of(), 1e-3, 1e-2);
        GoldenTensor expected = new GoldenTensor(new long[] {2}, DType.F32, new float[] {100f, 0f}, null);
        Checker inside = new Checker(c);
        inside.tensor("out", expected, Tensor.of(new float[] {100.109f, -0.0099f}, 2)); // 0.01 + 0.1 = 0.11 allowed
        assertEquals(java.util.List.of(), inside.failures());
        Checker outside = new Checker(c);
        outside.tensor("out", expected, Tensor.of(new float[] {100.111f, 0f}, 2));
        assertEquals(1, outside.failures().size());
        assertTrue(outside.failures().getFirst().contains("1 of 2 values off"), outside.failures().toString());
        Checker shape = new Checker(c);
        shape.tensor("out", expected, Tensor.of(new float[] {100f, 0f}, 1, 2));
        assertTrue(shape.failures().getFirst().contains("shape [1, 2] but expected [2]"), shape.failures().toString());
    }
}
