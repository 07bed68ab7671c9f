package io.tensorlane.layers.models;

import static org.junit.jupiter.api.Assertions.*;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tensorlane.layers.data.DataSplit;
import io.tensorlane.layers.data.Datasets;
import io.tensorlane.layers.data.LabeledData;
import java.io.InputStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class PCATest {
    static float[] floats(JsonNode t) {
        JsonNode d = t.get("data");
        float[] v = new float[d.size()];
        for (int i = 0; i < v.length; i++) v[i] = Float.parseFloat(d.get(i).asText());
        return v;
    }

    static void close(String what, JsonNode expected, double[] actual, double rtol, double atol) {
        float[] e = floats(expected);
        assertEquals(e.length, actual.length, what);
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(e[i] - actual[i]) <= atol + rtol * Math.abs(e[i]), what + "[" + i + "]: expected " + e[i] + ", got " + actual[i]);
        }
    }

    static double[] doubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    @ParameterizedTest
    @ValueSource(strings = {"pca__n15_d3_centered", "pca__n15_d3_std", "pca__n100_d8_centered", "pca__n100_d8_std"})
    void goldenCasesMatch(String name) throws Exception {
        JsonNode c;
        try (InputStream in = PCATest.class.getResourceAsStream("/reference/" + name + ".json")) {
            c = new ObjectMapper().readTree(in);
        }
        JsonNode p = c.get("params"), out = c.get("outputs");
        int d = p.get("d").asInt(), k = p.get("k").asInt();
        boolean scaled = p.get("scaled").asBoolean();
        double rtol = c.get("tolerance").get("rtol").asDouble(), atol = c.get("tolerance").get("atol").asDouble();
        float[] x = floats(c.get("inputs").get("X"));
        PCA pca = PCA.fit(x, d, scaled);
        close("mean", out.get("mean"), pca.mean(), rtol, atol);
        assertEquals(scaled, out.has("std"));
        if (scaled) close("std", out.get("std"), pca.std(), rtol, atol);
        close("components", out.get("components"), pca.components(), rtol, atol);
        close("explained_variance", out.get("explained_variance"), pca.explainedVariance(), rtol, atol);
        close("explained_variance_ratio", out.get("explained_variance_ratio"), pca.explainedVarianceRatio(), rtol, atol);
        float[] z = pca.transform(x, k);
        close("Z", out.get("Z"), doubles(z), rtol, atol);
        close("X_rec", out.get("X_rec"), doubles(pca.inverseTransform(z, k)), rtol, atol);
    }

    @Test
    void digitsKeep90PercentOfVarianceInAtMost30Components() {
        DataSplit<LabeledData> s = Datasets.digits();
        PCA pca = PCA.fit(s.train().x(), 64, false);
        int k = pca.componentsFor(0.90);
        System.out.printf("digits PCA: %d components keep %.4f of the variance (first: %.4f)%n", k, pca.cumulativeRatio(k),
                pca.explainedVarianceRatio()[0]);
        assertTrue(k <= 30, "components for 90%: " + k);
        assertTrue(pca.cumulativeRatio(k) >= 0.90);
        assertTrue(k == 1 || pca.cumulativeRatio(k - 1) < 0.90); // the smallest such k
        // reconstruction error on the test rows equals the discarded variance, roughly (same distribution)
        float[] x = s.test().x();
        float[] rec = pca.inverseTransform(pca.transform(x, k), k);
        double err = 0, tot = 0;
        double[] mean = pca.mean();
        for (int i = 0; i < x.length; i++) {
            err += Math.pow(x[i] - rec[i], 2);
            tot += Math.pow(x[i] - mean[i % 64], 2);
        }
        assertTrue(err / tot < 0.15, "test reconstruction keeps most variance: residual " + err / tot);
        // scaled PCA handles the always-zero border pixels (std 0 -> 1)
        PCA scaled = PCA.fit(s.train().x(), 64, true);
        assertEquals(1.0, scaled.std()[0]);
        for (double v : scaled.explainedVarianceRatio()) assertTrue(Double.isFinite(v) && v >= 0);
    }

    @Test
    void badArguments() {
        assertThrows(IllegalArgumentException.class, () -> PCA.fit(new float[] {1, 2, 3}, 3, false));
        assertThrows(IllegalArgumentException.class, () -> PCA.fit(new float[] {1, 2, 3, 4, 5}, 2, false));
        PCA p = PCA.fit(new float[] {1, 2, 3, 5, 4, 4}, 2, false);
        var e = assertThrows(IllegalArgumentException.class, () -> p.transform(new float[] {1, 2}, 3));
        assertTrue(e.getMessage().contains("k = 3"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> p.componentsFor(0));
    }
}
