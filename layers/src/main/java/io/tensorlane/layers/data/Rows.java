package io.tensorlane.layers.data;

/** Samples that can be subset by row: what {@link DataSplit} needs to split a data set. */
public interface Rows<T> {
    /** Number of samples. */
    int n();

    /** The samples at {@code rows} (in that order), copied; {@code name} names the subset. */
    T select(int[] rows, String name);

    /** The data set's name. */
    String name();
}
