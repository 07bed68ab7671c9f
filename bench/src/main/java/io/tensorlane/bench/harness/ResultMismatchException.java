package io.tensorlane.bench.harness;

/**
 * An implementation's result differs from the scalar reference beyond tolerance: the benchmark refuses
 * to time a wrong kernel. The CLI reports the message and exits with status 3.
 */
public final class ResultMismatchException extends RuntimeException {
    public ResultMismatchException(String message) {
        super(message);
    }
}
