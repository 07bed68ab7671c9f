/**
 * The tensorlane command line ({@code info}, {@code verify}, {@code bench}), the golden-case verifier,
 * the benchmark harness and JMH benchmarks. Depends on everything; nothing depends on it.
 */
module io.tensorlane.bench {
    requires io.tensorlane.runtime;
    requires info.picocli;
    requires com.fasterxml.jackson.databind;
    requires jmh.core;

    opens io.tensorlane.bench.cli to info.picocli;
    opens io.tensorlane.bench.act to info.picocli;
    opens io.tensorlane.bench.verify to info.picocli;

    exports io.tensorlane.bench.verify;
}
