package io.tensorlane.bench.verify;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The ops {@code verify} knows, by case-file op name. */
public final class GoldenOps {
    private static final Map<String, GoldenOp> OPS;

    static {
        List<GoldenOp> all = new ArrayList<>();
        all.addAll(ActivationGoldenOps.all());
        all.addAll(SoftmaxGoldenOps.all());
        all.addAll(LossGoldenOps.all());
        all.add(new GemmGoldenOp());
        all.addAll(ConvGoldenOps.all());
        all.addAll(NormGoldenOps.all());
        all.addAll(OptimizerGoldenOps.all());
        all.addAll(RecurrentGoldenOps.all());
        all.addAll(DetectionGoldenOps.all());
        all.add(new PcaGoldenOp());
        all.addAll(PoolGoldenOps.all());
        all.add(new GradcheckGoldenOp());
        Map<String, GoldenOp> m = new LinkedHashMap<>();
        for (GoldenOp op : all) m.put(op.name(), op);
        OPS = Collections.unmodifiableMap(m);
    }

    private GoldenOps() {
    }

    public static Map<String, GoldenOp> all() {
        return OPS;
    }
}
