package io.tensorlane.layers.data;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * Reads numeric CSV files, plain or gzip-compressed (recognised by the gzip magic bytes, whatever the file
 * is called), UTF-8. Every data line must have the same number of fields, and every field must be a
 * finite decimal number ({@code -1.5}, {@code 3}, {@code 1.51e+02}); anything else, including Java-only
 * forms such as {@code 1f}, {@code 0x10} or {@code NaN}, is a {@link CsvFormatException} naming the file,
 * the line and the column. No quoting: these are tables of numbers.
 */
public final class Csv {
    /** Refuse absurd tables rather than exhausting the heap: the values live in one double[]. */
    static final long MAX_VALUES = Integer.MAX_VALUE - 8;

    private Csv() {
    }

    /** Reads a file (gzip or plain). */
    public static CsvTable read(Path file, CsvFormat format) {
        Objects.requireNonNull(file, "file");
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString(), format);
        } catch (IOException e) {
            throw new UncheckedIOException("csv " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads a stream (gzip or plain); {@code source} names it in errors. The stream is not closed. */
    public static CsvTable read(InputStream in, String source, CsvFormat format) {
        Objects.requireNonNull(in, "in");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(format, "format");
        try {
            BufferedReader reader = new BufferedReader(new InputStreamReader(decompressed(in),
                    StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                            .onUnmappableCharacter(CodingErrorAction.REPORT)));
            return parse(reader, source, format);
        } catch (IOException e) {
            throw new UncheckedIOException("csv " + source + ": " + e.getMessage(), e);
        }
    }

    private static InputStream decompressed(InputStream in) throws IOException {
        BufferedInputStream b = new BufferedInputStream(in);
        b.mark(2);
        int m0 = b.read(), m1 = b.read();
        b.reset();
        return m0 == 0x1f && m1 == 0x8b ? new BufferedInputStream(new GZIPInputStream(b, 1 << 16)) : b;
    }

    private static CsvTable parse(BufferedReader reader, String source, CsvFormat format) throws IOException {
        List<String> skipped = new ArrayList<>();
        List<String> columns = List.of();
        boolean needHeader = format.header();
        int cols = -1;
        double[] values = new double[1024];
        long count = 0;
        int rows = 0;
        long lineNo = 0;
        String line;
        while ((line = reader.readLine()) != null) {
            lineNo++;
            if (skipped.size() < format.skipLines()) {
                skipped.add(line);
                continue;
            }
            if (line.isBlank()) continue;
            List<String> fields = split(line, format.separator());
            if (needHeader) {
                columns = fields.stream().map(String::strip).toList();
                cols = columns.size();
                needHeader = false;
                continue;
            }
            if (cols < 0) cols = fields.size();
            if (fields.size() != cols) {
                throw new CsvFormatException(source, lineNo, 0, "has " + fields.size() + " fields, expected " + cols
                        + (columns.isEmpty() ? " (as on the first data line)" : " (as in the header)"));
            }
            if (count + cols > MAX_VALUES) {
                throw new CsvFormatException(source, lineNo, 0, "table exceeds " + MAX_VALUES + " values");
            }
            if (count + cols > values.length) {
                values = java.util.Arrays.copyOf(values, (int) Math.min(MAX_VALUES, Math.max(count + cols, 2L * values.length)));
            }
            for (int c = 0; c < cols; c++) values[(int) count + c] = number(fields.get(c), source, lineNo, c + 1);
            count += cols;
            rows++;
        }
        if (skipped.size() < format.skipLines()) {
            throw new CsvFormatException(source, lineNo, 0, "file ends before the " + format.skipLines() + " lines to skip");
        }
        if (rows == 0) throw new CsvFormatException(source, lineNo, 0, "no data rows");
        return new CsvTable(source, columns, skipped, rows, cols, java.util.Arrays.copyOf(values, (int) count));
    }

    private static List<String> split(String line, char sep) {
        List<String> out = new ArrayList<>();
        if (sep == CsvFormat.WHITESPACE) {
            int i = 0, n = line.length();
            while (i < n) {
                while (i < n && isBlank(line.charAt(i))) i++;
                if (i == n) break;
                int start = i;
                while (i < n && !isBlank(line.charAt(i))) i++;
                out.add(line.substring(start, i));
            }
            return out;
        }
        int start = 0;
        for (int i = 0; i < line.length(); i++) {
            if (line.charAt(i) == sep) {
                out.add(line.substring(start, i));
                start = i + 1;
            }
        }
        out.add(line.substring(start));
        return out;
    }

    private static boolean isBlank(char c) {
        return c == ' ' || c == '\t';
    }

    /**
     * A strict decimal: [+-] digits [. digits] [(e|E) [+-] digits], at least one mantissa digit, blanks
     * around it allowed. Checked by hand because Double.parseDouble also takes 1f, 1d, 0x1p3, NaN, Infinity.
     */
    static double number(String field, String source, long line, int col) {
        String s = field.strip();
        int i = 0, n = s.length();
        if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
        int digits = 0;
        while (i < n && isDigit(s.charAt(i))) { i++; digits++; }
        if (i < n && s.charAt(i) == '.') {
            i++;
            while (i < n && isDigit(s.charAt(i))) { i++; digits++; }
        }
        boolean ok = digits > 0;
        if (ok && i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) i++;
            int exp = 0;
            while (i < n && isDigit(s.charAt(i))) { i++; exp++; }
            ok = exp > 0;
        }
        if (!ok || i != n) {
            throw new CsvFormatException(source, line, col, (s.isEmpty() ? "empty field" : "'" + abbreviate(s) + "'") + " is not a number");
        }
        double v = Double.parseDouble(s);
        if (Double.isInfinite(v)) throw new CsvFormatException(source, line, col, "'" + abbreviate(s) + "' overflows a double");
        return v;
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 37) + "...";
    }
}
