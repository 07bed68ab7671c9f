package io.tensorlane.layers.nn;

import static io.tensorlane.layers.nn.LayerGradientTest.check;
import static io.tensorlane.layers.nn.LayerGradientTest.input;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.kernels.Pool2dDesc;
import io.tensorlane.kernels.RoiPoolDesc;
import io.tensorlane.layers.GradientCheck;
import io.tensorlane.layers.Layer;
import io.tensorlane.layers.LayerConfig;
import io.tensorlane.layers.LayerRegistry;
import io.tensorlane.layers.Mode;
import io.tensorlane.layers.net.Graph;
import io.tensorlane.layers.net.NetFile;
import io.tensorlane.runtime.Tensor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Pooling layers: gradient checks, values, options, and the unpool layer's reference to its pool. */
class PoolLayersTest {
    /** Distinct values 0.05 apart in random order: no two within a finite-difference step of each other (no max ties). */
    static Tensor distinct(long seed, long... shape) {
        int n = 1;
        for (long d : shape) n *= (int) d;
        List<Float> v = new ArrayList<>();
        for (int i = 0; i < n; i++) v.add(0.05f * i - 0.025f * n);
        Collections.shuffle(v, new Random(seed));
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = v.get(i);
        return Tensor.of(a, shape);
    }

    @Test
    void maxPoolGradientsValuesAndIndices() {
        check(new MaxPool2d(2), distinct(1, 2, 3, 4, 6));
        check(new MaxPool2d(Pool2dDesc.of(3).stride(2).pad(1)), distinct(2, 1, 2, 5, 5));
        MaxPool2d p = new MaxPool2d(2);
        Tensor x = Tensor.of(new float[] {1, 5, 2, 0, 3, 4, 8, 7, 0, 0, 1, 1, 0, 9, 1, 2}, 1, 1, 4, 4);
        assertArrayEquals(new float[] {5, 8, 9, 2}, p.forward(x, Mode.EVAL).toFloatArray());
        assertArrayEquals(new int[] {1, 6, 13, 15}, p.indices().toIntArray());
        assertArrayEquals(new long[] {1, 1, 4, 4}, p.inputShape());
        Layer l = LayerRegistry.create("max_pool2d", Map.of("kernel", 3, "stride", 2, "pad", 1), new long[] {1, 4, 8, 8}, new Random(1));
        assertArrayEquals(new long[] {2, 4, 4, 4}, l.outputShape(new long[] {2, 4, 8, 8}));
        assertEquals(Map.of("kernel", 3, "stride", 2, "pad", 1), l.config());
        assertEquals(Map.of("kernel", 2), new MaxPool2d(2).config());
        var big = assertThrows(IllegalArgumentException.class, () -> p.outputShape(new long[] {1, 1, 1, 1}));
        assertTrue(big.getMessage().startsWith("max_pool2d: kernel 2 larger than padded input 1"), big.getMessage());
        var pad = assertThrows(IllegalArgumentException.class, () -> LayerRegistry.create(
                new LayerConfig("$.layers[3]", "max_pool2d", Map.of("kernel", 2, "pad", 2)), List.of(new long[] {1, 1, 8, 8}), new Random(1)));
        assertEquals("$.layers[3].pad: must be at most half the kernel", pad.getMessage());
    }

    @Test
    void avgAndGlobalPool() {
        check(new AvgPool2d(2), input(1, 2, 3, 4, 4));
        check(new AvgPool2d(Pool2dDesc.of(3).stride(2).pad(1).countIncludePad(false)), input(2, 2, 2, 5, 6));
        AvgPool2d a = new AvgPool2d(2);
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, 1, 1, 2, 4);
        assertArrayEquals(new float[] {3.5f, 5.5f}, a.forward(x, Mode.EVAL).toFloatArray());
        Layer l = LayerRegistry.create("avg_pool2d", Map.of("kernel", 2, "count_include_pad", false), new long[] {1, 1, 4, 4}, new Random(1));
        assertEquals(Map.of("kernel", 2, "count_include_pad", false), l.config());

        GlobalAvgPool g = new GlobalAvgPool();
        assertArrayEquals(new float[] {4.5f}, g.forward(x, Mode.EVAL).toFloatArray());
        assertArrayEquals(new long[] {3, 5}, g.outputShape(new long[] {3, 5, 2, 2}));
        check(g, input(3, 2, 3, 3, 2));
        GlobalAvgPool keep = (GlobalAvgPool) LayerRegistry.create("global_avg_pool", Map.of("keep_dims", true), new long[] {1, 2, 3, 3}, new Random(1));
        assertArrayEquals(new long[] {3, 5, 1, 1}, keep.outputShape(new long[] {3, 5, 2, 2}));
        check(keep, input(4, 2, 3, 2, 2));
        var e = assertThrows(IllegalArgumentException.class, () -> g.outputShape(new long[] {3, 5}));
        assertEquals("global_avg_pool: input must be (N, C, H, W), got [3, 5]", e.getMessage());
    }

    static final String SEGNET = """
            {"name": "unpool", "input": [2, 4, 5], "nodes": [
              {"name": "pool", "type": "max_pool2d", "kernel": 2},
              {"name": "scale", "type": "conv2d", "out": 2, "kernel": 1},
              {"name": "unpool", "type": "max_unpool2d", "pool": "pool", "output_size": [4, 5]}
            ]}""";

    @Test
    void unpoolReadsItsPoolsIndicesInAGraph() {
        NetFile.Spec spec = NetFile.parse(SEGNET, "segnet.json");
        var net = spec.net();
        assertArrayEquals(new long[] {3, 2, 4, 5}, net.outputShape(new long[] {3, 2, 4, 5}));
        Tensor x = distinct(5, 3, 2, 4, 5);
        Tensor y = net.forward(x, Mode.TRAIN);
        // H = 4, W = 5: the last column is not pooled, so the unpooled output keeps it zero
        assertArrayEquals(new long[] {3, 2, 4, 5}, y.shape());
        for (int n = 0; n < 3; n++) for (int c = 0; c < 2; c++) for (int h = 0; h < 4; h++) assertEquals(0f, y.getFloat(n, c, h, 4));
        var rs = GradientCheck.layer(net, List.of(x), Mode.TRAIN, 3, GradientCheck.DEFAULT_STEP);
        for (var r : rs) r.requireBelow(LayerGradientTest.TOL);
        assertTrue(NetFile.toJson("unpool", new long[] {2, 4, 5}, 0, net, null).contains("\"pool\" : \"pool\""));

        // Written in code: the unpool node may be listed first; the graph still runs the pool before it.
        MaxPool2d pool = new MaxPool2d(2);
        Graph g = Graph.builder()
                .add("unpool", new MaxUnpool2d("pool", pool), "pool")
                .add("pool", pool, "input")
                .output("unpool")
                .build();
        assertEquals(List.of("pool", "unpool"), g.nodes().stream().map(n -> n.name()).toList());
        Tensor z = Tensor.of(new float[] {1, 5, 2, 0, 3, 4, 8, 7, 0, 0, 1, 1, 0, 9, 1, 2}, 1, 1, 4, 4);
        assertArrayEquals(new float[] {0, 5, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 9, 0, 2}, g.forward(z, Mode.EVAL).toFloatArray());
        var outside = assertThrows(IllegalArgumentException.class,
                () -> Graph.builder().add("unpool", new MaxUnpool2d("p", new MaxPool2d(2)), "input").build());
        assertEquals("graph: node unpool (max_unpool2d) refers to a max_pool2d layer that is not a node of this graph", outside.getMessage());
        var odd = assertThrows(IllegalArgumentException.class, () -> NetFile.parse(SEGNET.replace(", \"output_size\": [4, 5]", ""), "f.json")
                .net().forward(distinct(1, 1, 2, 4, 5), Mode.EVAL));
        assertEquals("max_unpool2d: output [1, 2, 4, 4] differs from the input [1, 2, 4, 5] of max_pool2d pool (set output_size to [4, 5])",
                odd.getMessage());
        var notRun = assertThrows(IllegalArgumentException.class, () -> new MaxUnpool2d("p", new MaxPool2d(2)).forward(z, Mode.EVAL));
        assertEquals("max_unpool2d: max_pool2d p has not run yet (no indices)", notRun.getMessage());
    }

    @Test
    void unpoolNetFileErrorsNameThePlace() {
        var unknown = assertThrows(IllegalArgumentException.class, () -> NetFile.parse(SEGNET.replace("\"pool\": \"pool\",", "\"pool\": \"pool9\","), "f.json"));
        assertEquals("f.json: $.nodes[2].pool: no node \"pool9\" before this one", unknown.getMessage());
        var kind = assertThrows(IllegalArgumentException.class, () -> NetFile.parse(SEGNET.replace("\"pool\": \"pool\",", "\"pool\": \"scale\","), "f.json"));
        assertEquals("f.json: $.nodes[2].pool: node \"scale\" is a conv2d, not a MaxPool2d", kind.getMessage());
    }

    @Test
    void roiPoolOverFeatureMaps() {
        ROIPool r = new ROIPool(RoiPoolDesc.of(2, 2, 0.5f));
        Tensor x = distinct(7, 2, 3, 6, 6);
        Tensor rois = Tensor.of(new float[] {0, 0, 0, 7, 7, 1, 2, 2, 11, 9, 1, 0, 4, 5, 11}, 3, 5);
        Tensor y = r.forward(List.of(x, rois), Mode.TRAIN);
        assertArrayEquals(new long[] {3, 3, 2, 2}, y.shape());
        // ROI 0 covers map cells 0..3 x 0..3 (scale 0.5): its top-left bin is the max of cells 0..1 x 0..1
        float m = Float.NEGATIVE_INFINITY;
        for (int h = 0; h < 2; h++) for (int w = 0; w < 2; w++) m = Math.max(m, x.getFloat(0, 1, h, w));
        assertEquals(m, y.getFloat(0, 1, 0, 0));
        // The features' gradient by finite differences; the regions get none.
        Tensor dOut = input(8, 3, 3, 2, 2);
        r.forward(List.of(x, rois), Mode.TRAIN);
        List<Tensor> d = r.backwardAll(dOut);
        assertNull(d.get(1));
        Tensor analytic = Tensor.of(d.get(0).toFloatArray(), x.shape());
        float[] g = dOut.toFloatArray();
        double[] numeric = GradientCheck.numeric(() -> {
            float[] v = r.forward(List.of(x, rois), Mode.TRAIN).toFloatArray();
            double s = 0;
            for (int i = 0; i < v.length; i++) s += (double) v[i] * g[i];
            return s;
        }, x, GradientCheck.DEFAULT_STEP);
        GradientCheck.compare("roi_pool x", analytic, numeric).requireBelow(LayerGradientTest.TOL);

        Layer l = LayerRegistry.create(new LayerConfig("$.nodes[4]", "roi_pool", Map.of("output", 7, "spatial_scale", 0.0625)),
                List.of(new long[] {1, 8, 14, 14}, new long[] {5, 5}), new Random(1));
        assertArrayEquals(new long[] {5, 8, 7, 7}, l.outputShape(List.of(new long[] {1, 8, 14, 14}, new long[] {5, 5})));
        assertEquals(Map.of("output", 7, "spatial_scale", 0.0625f), l.config());
        var e = assertThrows(IllegalArgumentException.class, () -> l.outputShape(List.of(new long[] {1, 8, 14, 14}, new long[] {5, 4})));
        assertEquals("roi_pool: rois must be (R, 5) rows [batch, x1, y1, x2, y2], got [5, 4]", e.getMessage());
    }
}
