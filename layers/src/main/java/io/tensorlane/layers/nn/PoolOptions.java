package io.tensorlane.layers.nn;

import io.tensorlane.kernels.Pool2dDesc;
import io.tensorlane.layers.LayerConfig;
import java.util.Map;

/** Net-file options of the pooling windows: kernel, stride (default = kernel), pad. */
final class PoolOptions {
    private PoolOptions() {
    }

    static Pool2dDesc desc(LayerConfig c) {
        int[] k = ConvOptions.requiredPair(c, "kernel", 1);
        int[] s = ConvOptions.pair(c, "stride", 1, 1);
        if (!c.has("stride")) s = k;
        int[] p = ConvOptions.pair(c, "pad", 0, 0);
        if (2 * p[0] > k[0] || 2 * p[1] > k[1]) throw c.error("pad", "must be at most half the kernel");
        return new Pool2dDesc(k[0], k[1], s[0], s[1], p[0], p[1], true);
    }

    static Map<String, Object> config(Pool2dDesc d, Map<String, Object> m, boolean avg) {
        m.put("kernel", ConvOptions.pair(d.kernelH(), d.kernelW()));
        if (d.strideH() != d.kernelH() || d.strideW() != d.kernelW()) m.put("stride", ConvOptions.pair(d.strideH(), d.strideW()));
        if (d.padH() != 0 || d.padW() != 0) m.put("pad", ConvOptions.pair(d.padH(), d.padW()));
        if (avg && !d.countIncludePad()) m.put("count_include_pad", false);
        return m;
    }
}
