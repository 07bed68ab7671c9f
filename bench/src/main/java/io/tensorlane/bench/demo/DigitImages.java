package io.tensorlane.bench.demo;

import io.tensorlane.layers.data.DataSplit;
import io.tensorlane.layers.data.Dataset;
import io.tensorlane.layers.data.Datasets;
import io.tensorlane.layers.data.LabeledData;

/**
 * The bundled digits as 1x8x8 images scaled to [0, 1] (pixel / 16), with the documented split: the last
 * 360 rows are the test set; the last 10% of the training rows validate (the Solver's per-epoch check).
 *
 * @param train      the training rows without the validation tail (1294 images)
 * @param validation the last 10% of the training rows (143 images)
 * @param trainAll   every training row (1437 images): train + validation
 * @param test       the last 360 rows of the file
 */
public record DigitImages(Dataset train, Dataset validation, Dataset trainAll, Dataset test) {
    /** One sample's shape: channels, height, width. */
    public static final long[] SHAPE = {1, 8, 8};

    public static DigitImages load() {
        DataSplit<LabeledData> s = Datasets.digits();
        LabeledData tr = s.train();
        DataSplit<LabeledData> v = DataSplit.tail(tr, tr.n() / 10);
        return new DigitImages(images(v.train()), images(v.test()), images(tr), images(s.test()));
    }

    static Dataset images(LabeledData d) {
        float[] x = d.x().clone();
        for (int i = 0; i < x.length; i++) x[i] /= 16f;
        return Dataset.of(x, SHAPE, d.y().clone());
    }
}
