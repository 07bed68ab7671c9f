package io.tensorlane.layers.data;

import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CsvTest {
    static CsvTable parse(String text, CsvFormat f) {
        return Csv.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "t.csv", f);
    }

    static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(b)) {
            g.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return b.toByteArray();
    }

    @Test
    void headerAndNumbers() {
        CsvTable t = parse("a, b ,c\n1,2.5,-3e2\n\n+4,.5,6.\r\n", CsvFormat.comma().withHeader());
        assertEquals(List.of("a", "b", "c"), t.columns());
        assertEquals(2, t.rows());
        assertEquals(3, t.cols());
        assertArrayEquals(new double[] {1, 2.5, -300, 4, 0.5, 6}, t.values());
        assertArrayEquals(new float[] {2.5f, -300f, 0.5f, 6f}, t.floats(1, 3));
    }

    @Test
    void whitespaceSkipLinesAndGzipFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("data.txt"); // gzip recognised by content, not by name
        Files.write(f, gzip("meta line\n  1 2\t3 \n4  5 6\n"));
        CsvTable t = Csv.read(f, CsvFormat.whitespace().skipping(1));
        assertEquals(List.of("meta line"), t.skipped());
        assertArrayEquals(new double[] {1, 2, 3, 4, 5, 6}, t.values());
        assertEquals(List.of(), t.columns());
    }

    @Test
    void badNumberNamesFileLineAndColumn() {
        for (String bad : new String[] {"abc", "1f", "0x10", "NaN", "Infinity", "1e", "1.2.3", "", "--1", "1e999"}) {
            CsvFormatException e = assertThrows(CsvFormatException.class,
                    () -> parse("x,y,z\n1,2,3\n4," + bad + ",6\n", CsvFormat.comma().withHeader()), bad);
            assertEquals(3, e.line(), bad);
            assertEquals(2, e.column(), bad);
            assertTrue(e.getMessage().startsWith("csv t.csv: line 3, column 2: "), e.getMessage());
        }
    }

    @Test
    void raggedRowsEmptyFilesAndIntColumns() {
        CsvFormatException e = assertThrows(CsvFormatException.class, () -> parse("1,2\n3\n", CsvFormat.comma()));
        assertEquals(2, e.line());
        assertTrue(e.getMessage().contains("has 1 fields, expected 2"), e.getMessage());
        assertThrows(CsvFormatException.class, () -> parse("\n\n", CsvFormat.comma()));
        assertThrows(CsvFormatException.class, () -> parse("only meta\n", CsvFormat.comma().skipping(2)));
        CsvTable t = parse("1,2.5\n", CsvFormat.comma());
        IllegalArgumentException ie = assertThrows(IllegalArgumentException.class, () -> t.ints(1, 0, 9));
        assertTrue(ie.getMessage().contains("column 2"), ie.getMessage());
        assertArrayEquals(new int[] {1}, t.ints(0, 0, 9));
        assertThrows(IllegalArgumentException.class, () -> t.ints(0, 2, 9));
    }

    @Test
    void missingFileIsAnIoError(@TempDir Path dir) {
        var e = assertThrows(java.io.UncheckedIOException.class, () -> Csv.read(dir.resolve("nope.csv"), CsvFormat.comma()));
        assertTrue(e.getMessage().contains("nope.csv"), e.getMessage());
    }
}
