package io.tensorlane.layers.data;

/**
 * How a numeric CSV file is laid out: the field separator, how many leading lines to skip (metadata such
 * as breast_cancer.csv's {@code 569,30,malignant,benign}) and whether the next line names the columns.
 * Blank lines are ignored everywhere; gzip is detected from the content, not from this format.
 *
 * @param separator   the field separator, or {@link #WHITESPACE} for runs of spaces and tabs
 * @param skipLines   leading lines skipped before anything is parsed (>= 0)
 * @param header      whether the first line after the skipped ones holds column names
 */
public record CsvFormat(char separator, int skipLines, boolean header) {
    /** Separator value meaning "one or more spaces or tabs" (leading and trailing blanks ignored). */
    public static final char WHITESPACE = '\0';

    public CsvFormat {
        if (skipLines < 0) throw new IllegalArgumentException("csv: skipLines must be >= 0, got " + skipLines);
        if (separator == '\n' || separator == '\r' || separator == '"') {
            throw new IllegalArgumentException("csv: separator " + (int) separator + " cannot be a line break or quote");
        }
    }

    /** Comma-separated, no header. */
    public static CsvFormat comma() {
        return new CsvFormat(',', 0, false);
    }

    /** Whitespace-separated, no header. */
    public static CsvFormat whitespace() {
        return new CsvFormat(WHITESPACE, 0, false);
    }

    /** This format with a column-name header line. */
    public CsvFormat withHeader() {
        return new CsvFormat(separator, skipLines, true);
    }

    /** This format skipping {@code lines} leading lines. */
    public CsvFormat skipping(int lines) {
        return new CsvFormat(separator, lines, header);
    }
}
