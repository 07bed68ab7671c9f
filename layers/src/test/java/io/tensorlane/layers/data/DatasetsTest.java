package io.tensorlane.layers.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DatasetsTest {
    @Test
    void bundledFilesAreTheDocumentedBytes() throws Exception {
        Map<String, String> sha = Map.of(
                "digits.csv.gz", "46abec6b12486ad9e51943373abcf22bbea1b5a51a1619b361570d8893f1464a",
                "breast_cancer.csv", "fed3eb72d0575ef6192293f5093c6e801b1476b577d0386bf4455504522172ed",
                "diabetes_data_raw.csv.gz", "fc08fc59c1cbfe65550d9ebb36321d505de9e8f004bf92c1566d2908962f08ff",
                "diabetes_target.csv.gz", "bf1ddd1f9d377278450a5f02c24b5e77b1501f2ad673fe9fdf4c4090d27eb5cc");
        for (var e : sha.entrySet()) {
            try (InputStream in = Datasets.open(e.getKey())) {
                byte[] d = MessageDigest.getInstance("SHA-256").digest(in.readAllBytes());
                assertEquals(e.getValue(), HexFormat.of().formatHex(d), e.getKey());
            }
        }
        var ex = assertThrows(IllegalArgumentException.class, () -> Datasets.open("mnist.csv"));
        assertTrue(ex.getMessage().contains("digits.csv.gz"), ex.getMessage());
    }

    @Test
    void digitsSplitIsTheLast360Rows() {
        DataSplit<LabeledData> s = Datasets.digits();
        assertEquals(1797, s.all().n());
        assertEquals(64, s.all().d());
        assertEquals(1437, s.train().n());
        assertEquals(360, s.test().n());
        assertEquals(1437, s.testRows()[0]);
        assertArrayEquals(new int[] {178, 182, 177, 183, 181, 182, 181, 179, 174, 180}, s.all().classCounts());
        assertArrayEquals(new int[] {143, 146, 142, 146, 144, 145, 144, 143, 141, 143}, s.train().classCounts());
        assertArrayEquals(new int[] {35, 36, 35, 37, 37, 37, 37, 36, 33, 37}, s.test().classCounts());
        // first row of the file: 0,0,5,13,9,1,0,0,... label 0
        assertEquals(5f, s.all().x()[2]);
        assertEquals(13f, s.all().x()[3]);
        assertEquals(0, s.all().y()[0]);
        float max = 0;
        for (float v : s.all().x()) max = Math.max(max, v);
        assertEquals(16f, max);
        assertArrayEquals(java.util.Arrays.copyOfRange(s.all().x(), 1437 * 64, 1438 * 64), java.util.Arrays.copyOf(s.test().x(), 64));
    }

    @Test
    void breastCancerModuloSplit() {
        DataSplit<LabeledData> s = Datasets.breastCancer();
        assertEquals(569, s.all().n());
        assertEquals(30, s.all().d());
        assertEquals(java.util.List.of("malignant", "benign"), s.all().classNames());
        assertArrayEquals(new int[] {212, 357}, s.all().classCounts());
        assertArrayEquals(new int[] {170, 286}, s.train().classCounts());
        assertArrayEquals(new int[] {42, 71}, s.test().classCounts());
        assertEquals(17.99f, s.all().x()[0]);
        assertEquals(0.1189f, s.all().x()[29]);
        for (int r : s.testRows()) assertEquals(4, r % 5);
        // validation rule from the docs: index % 5 == 3 of the original rows
        DataSplit<LabeledData> v = DataSplit.modulo(s.train(), 4, 3);
        for (int p : v.testRows()) assertEquals(3, s.trainRows()[p] % 5);
        assertEquals(114, v.test().n());
    }

    @Test
    void diabetesRawAndTarget() {
        DataSplit<RegressionData> s = Datasets.diabetes();
        assertEquals(442, s.all().n());
        assertEquals(354, s.train().n());
        assertEquals(88, s.test().n());
        assertEquals(59f, s.all().x()[0]);
        assertEquals(87f, s.all().x()[9]);
        assertEquals(151f, s.all().y()[0]);
        double mean = 0;
        for (float v : s.all().y()) mean += v;
        assertEquals(152.13, mean / 442, 0.01);
    }
}
