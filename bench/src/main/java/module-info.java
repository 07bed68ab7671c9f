/**
 * The tensorlane command line ({@code info}, {@code verify}, {@code bench}), the golden-case verifier,
 * the benchmark harness and JMH benchmarks. Depends on everything; nothing depends on it.
 *
 * <p>The launcher runs it on the class path (target/tensorlane-bench.jar + target/lib/*), where this
 * descriptor is ignored; it still states the dependencies, and the {@code opens} let picocli and Jackson
 * reflect over the commands and the result records when it runs on the module path. JMH's generated
 * classes ({@code io.tensorlane.bench.jmh.jmh_generated}) are compiled into this module too; JMH itself
 * is run from the class path (see bench/README.md).
 */
module io.tensorlane.bench {
    requires io.tensorlane.runtime;
    requires io.tensorlane.layers;
    requires info.picocli;
    requires com.fasterxml.jackson.databind;
    requires jmh.core;
    requires dev.ludovic.netlib.blas;
    requires org.knowm.xchart;
    requires java.management;
    requires jdk.management;

    opens io.tensorlane.bench.cli to info.picocli;
    opens io.tensorlane.bench.harness to info.picocli, com.fasterxml.jackson.databind;
    opens io.tensorlane.bench.act to info.picocli;
    opens io.tensorlane.bench.gemm to info.picocli;
    opens io.tensorlane.bench.conv to info.picocli;
    opens io.tensorlane.bench.pool to info.picocli;
    opens io.tensorlane.bench.norm to info.picocli;
    opens io.tensorlane.bench.lstm to info.picocli;
    opens io.tensorlane.bench.demo to info.picocli;
    opens io.tensorlane.bench.examples to info.picocli;
    opens io.tensorlane.bench.train to info.picocli;
    opens io.tensorlane.bench.targets to info.picocli, com.fasterxml.jackson.databind;
    opens io.tensorlane.bench.verify to info.picocli, com.fasterxml.jackson.databind;

    exports io.tensorlane.bench.verify;
    exports io.tensorlane.bench.harness;
}
