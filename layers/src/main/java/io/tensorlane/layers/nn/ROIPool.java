package io.tensorlane.layers.nn;

import io.tensorlane.kernels.RoiPoolDesc;
import io.tensorlane.layers.AbstractLayer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.Mode;
import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * Fast R-CNN max ROI pooling, two inputs: feature maps x (N, C, H, W) and regions rois (R, 5) F32,
 * rows {@code [batch_index, x1, y1, x2, y2]} in input-image pixels (scaled by {@code spatial_scale}
 * onto the map); output (R, C, pooledH, pooledW), each bin the max of its cells (0 for an empty bin).
 * The regions get no gradient (backward returns null for them).
 */
public final class ROIPool extends AbstractLayer {
    /**
     * Net-file options: {@code output} (pooled size, integer or [h, w], required), {@code spatial_scale}
     * (default 1), {@code clamp_malformed} (default false: an ROI with x2 &lt; x1 or y2 &lt; y1 is an error;
     * true: it becomes one pixel, as in Caffe and torchvision).
     */
    public static final List<String> OPTIONS = List.of("output", "spatial_scale", "clamp_malformed");

    private final RoiPoolDesc desc;
    private Tensor rois;
    private Tensor argmax;
    private long[] inShape;

    public ROIPool(RoiPoolDesc desc) {
        this.desc = java.util.Objects.requireNonNull(desc, "desc");
    }

    /** Builds it from net-file options (see {@link #OPTIONS}). */
    public static ROIPool create(LayerConfig c, List<long[]> in, RandomGenerator rng) {
        int[] out = ConvOptions.requiredPair(c, "output", 1);
        float scale = c.getFloat("spatial_scale", 1f);
        if (!(scale > 0)) throw c.error("spatial_scale", "must be > 0, got " + scale);
        return new ROIPool(new RoiPoolDesc(out[0], out[1], scale, c.getBool("clamp_malformed", false)));
    }

    @Override
    public String type() { return "roi_pool"; }

    public RoiPoolDesc desc() { return desc; }

    @Override
    public int minInputs() { return 2; }

    @Override
    public int maxInputs() { return 2; }

    @Override
    public long[] outputShape(long[] in) {
        throw error("takes 2 inputs (feature maps and rois), got 1");
    }

    @Override
    public long[] outputShape(List<long[]> in) {
        if (in.size() != 2) throw error("takes 2 inputs (feature maps and rois), got " + in.size());
        long[] x = in.get(0), r = in.get(1);
        requireRank(x, 4, "(N, C, H, W)");
        if (r.length != 2 || r[1] != 5) throw error("rois must be (R, 5) rows [batch, x1, y1, x2, y2], got " + Arrays.toString(r));
        return new long[] {r[0], x[1], desc.pooledH(), desc.pooledW()};
    }

    @Override
    public Tensor forward(Tensor in, Mode mode) {
        throw error("takes 2 inputs (feature maps and rois), got 1");
    }

    @Override
    public Tensor backward(Tensor dOut) {
        throw error("takes 2 inputs: use backwardAll");
    }

    @Override
    public Tensor forward(List<Tensor> in, Mode mode) {
        long[] s = outputShape(List.of(in.get(0).shape(), in.get(1).shape()));
        Tensor out = buffer(0, s);
        Tensor am = workspace.get(ops, 1, DType.I32, s);
        ops.roiPool(in.get(0), in.get(1), desc, out, am);
        rois = in.get(1);
        argmax = am;
        inShape = in.get(0).shape();
        return out;
    }

    @Override
    public List<Tensor> backwardAll(Tensor dOut) {
        requireForward(argmax);
        if (!Arrays.equals(dOut.shape(), argmax.shape())) {
            throw error("dOut has shape " + Arrays.toString(dOut.shape()) + " but the output was " + Arrays.toString(argmax.shape()));
        }
        Tensor dx = buffer(2, inShape);
        ops.roiPoolBackward(dOut, argmax, rois, desc, dx);
        List<Tensor> d = new ArrayList<>(2);
        d.add(dx);
        d.add(null); // region coordinates are not differentiable here
        return d;
    }

    @Override
    public Map<String, Object> config() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("output", ConvOptions.pair(desc.pooledH(), desc.pooledW()));
        if (desc.spatialScale() != 1f) m.put("spatial_scale", desc.spatialScale());
        if (desc.clampMalformed()) m.put("clamp_malformed", true);
        return m;
    }
}
