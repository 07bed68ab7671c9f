package io.tensorlane.bench.harness;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One benchmark result, the row format of every {@code bench --json} file.
 *
 * @param kernel    what was timed, e.g. {@code relu fwd}
 * @param shape     the workload, e.g. {@code 16777216} or {@code 256x1000}
 * @param impl      {@code scalar}, {@code simd}, {@code jdk} (the copy baseline) or a native anchor
 * @param threads   threads used
 * @param medianMs  median wall time of one call, milliseconds
 * @param gflops    floating-point work per second, where meaningful (null for data movement)
 * @param gbps      bytes read + bytes written per second, in 1e9 bytes
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record BenchRow(String kernel, String shape, String impl, int threads,
                       @JsonProperty("median_ms") double medianMs, Double gflops, Double gbps) {
}
