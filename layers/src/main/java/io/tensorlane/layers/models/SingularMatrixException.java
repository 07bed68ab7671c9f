package io.tensorlane.layers.models;

/** A linear system with no unique solution: the message names the operation and the first dependent column. */
public final class SingularMatrixException extends IllegalArgumentException {
    private final int column;

    public SingularMatrixException(String message, int column) {
        super(message);
        this.column = column;
    }

    /** The first column found to depend on the earlier ones (0-based). */
    public int column() {
        return column;
    }
}
