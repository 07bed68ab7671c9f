package io.tensorlane.layers.data;

/** A CSV file that does not hold a numeric table; the message names the source, line (1-based) and column (1-based). */
public final class CsvFormatException extends IllegalArgumentException {
    private final String source;
    private final long line;
    private final int column;

    public CsvFormatException(String source, long line, int column, String problem) {
        super("csv " + source + ": line " + line + (column > 0 ? ", column " + column : "") + ": " + problem);
        this.source = source;
        this.line = line;
        this.column = column;
    }

    public String source() { return source; }

    /** 1-based physical line number in the (decompressed) file. */
    public long line() { return line; }

    /** 1-based column, or 0 when the problem is the whole line. */
    public int column() { return column; }
}
