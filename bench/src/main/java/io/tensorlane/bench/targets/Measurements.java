package io.tensorlane.bench.targets;

import io.tensorlane.bench.harness.BenchRow;
import io.tensorlane.bench.harness.Interleaved;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/** The rows and interleaved comparisons of one {@code bench targets} run, with the lookups the targets need. */
public record Measurements(List<BenchRow> rows, Map<String, Interleaved> versus) {
    public Measurements {
        rows = List.copyOf(rows);
        versus = Map.copyOf(versus);
    }

    /** The last row with this kernel, shape, implementation (or implementation prefix ending in ':') and thread count. */
    public Optional<BenchRow> row(String kernel, String shape, String impl, int threads) {
        BenchRow found = null;
        for (BenchRow r : rows) {
            boolean implMatches = impl.endsWith(":") ? r.impl().startsWith(impl) : r.impl().equals(impl);
            if (r.kernel().equals(kernel) && r.shape().equals(shape) && implMatches && r.threads() == threads) found = r;
        }
        return Optional.ofNullable(found);
    }

    /** How many times faster {@code impl} ran than {@code other} (other's time over impl's), 1 thread, same kernel and shape. */
    public OptionalDouble speedup(String kernel, String shape, String impl, String other) {
        Optional<BenchRow> a = row(kernel, shape, impl, 1), b = row(kernel, shape, other, 1);
        return a.isPresent() && b.isPresent() ? OptionalDouble.of(b.get().medianMs() / a.get().medianMs()) : OptionalDouble.empty();
    }

    /** GB/s of a row over GB/s of another (e.g. a kernel against the copy baseline of the same run), 1 thread. */
    public OptionalDouble bandwidthRatio(String kernel, String shape, String impl, String baseKernel, String baseShape, String baseImpl) {
        Optional<BenchRow> a = row(kernel, shape, impl, 1), b = row(baseKernel, baseShape, baseImpl, 1);
        if (a.isEmpty() || b.isEmpty() || a.get().gbps() == null || b.get().gbps() == null) return OptionalDouble.empty();
        return OptionalDouble.of(a.get().gbps() / b.get().gbps());
    }

    /** The per-round median ratio ours / PyTorch of an interleaved workload. */
    public OptionalDouble ratio(String workload) {
        Interleaved v = versus.get(workload);
        return v == null ? OptionalDouble.empty() : OptionalDouble.of(v.medianRatio());
    }

    /** How many times faster ours ran than PyTorch: 1 / the per-round median ratio. */
    public OptionalDouble timesFaster(String workload) {
        OptionalDouble r = ratio(workload);
        return r.isPresent() ? OptionalDouble.of(1 / r.getAsDouble()) : OptionalDouble.empty();
    }
}
