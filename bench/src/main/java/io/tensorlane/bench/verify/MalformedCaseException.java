package io.tensorlane.bench.verify;

/** A golden case file that does not follow the corpus format; reported per file, never aborts a run. */
public final class MalformedCaseException extends RuntimeException {
    public MalformedCaseException(String message) {
        super(message);
    }
}
