package io.tensorlane.layers.data;

import java.util.Arrays;
import java.util.Objects;
import java.util.function.IntPredicate;

/**
 * A fixed train/test split of a data set: which rows (0-based, in file order) went where, and the rule that
 * chose them. Both parts keep the original row order. Fixed rules (no shuffling) keep results comparable.
 *
 * @param all       the whole data set
 * @param train     the training rows, as data
 * @param test      the test rows, as data
 * @param trainRows indices into {@code all} of the training rows
 * @param testRows  indices into {@code all} of the test rows
 * @param rule      the rule in words, e.g. {@code "test = last 360 rows"}
 */
public record DataSplit<T extends Rows<T>>(T all, T train, T test, int[] trainRows, int[] testRows, String rule) {
    public DataSplit {
        Objects.requireNonNull(all, "all");
        Objects.requireNonNull(rule, "rule");
    }

    /** Test = the last {@code testCount} rows (a contiguous tail). */
    public static <T extends Rows<T>> DataSplit<T> tail(T data, int testCount) {
        if (testCount < 0 || testCount > data.n()) {
            throw new IllegalArgumentException("split " + data.name() + ": tail of " + testCount + " rows out of " + data.n());
        }
        int cut = data.n() - testCount;
        return by(data, i -> i >= cut, "test = last " + testCount + " rows (index >= " + cut + ")");
    }

    /** Test = rows with {@code index % modulus == remainder}. */
    public static <T extends Rows<T>> DataSplit<T> modulo(T data, int modulus, int remainder) {
        if (modulus <= 0 || remainder < 0 || remainder >= modulus) {
            throw new IllegalArgumentException("split " + data.name() + ": bad modulo rule index % " + modulus + " == " + remainder);
        }
        return by(data, i -> i % modulus == remainder, "test = rows with index % " + modulus + " == " + remainder);
    }

    /** Test = the rows where {@code isTest} holds. */
    public static <T extends Rows<T>> DataSplit<T> by(T data, IntPredicate isTest, String rule) {
        int n = data.n();
        int[] tr = new int[n], te = new int[n];
        int a = 0, b = 0;
        for (int i = 0; i < n; i++) {
            if (isTest.test(i)) te[b++] = i;
            else tr[a++] = i;
        }
        tr = Arrays.copyOf(tr, a);
        te = Arrays.copyOf(te, b);
        return new DataSplit<>(data, data.select(tr, data.name() + "/train"), data.select(te, data.name() + "/test"), tr, te, rule);
    }
}
