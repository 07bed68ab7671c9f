package io.tensorlane.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tensorlane.runtime.Tensor;
import org.junit.jupiter.api.Test;

class ParamTest {
    @Test
    void zeroGradClearsOnlyTheGradient() {
        Param p = Param.of("weight", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
        p.grad().setFloat(5f, 1, 1);
        p.zeroGrad();
        assertArrayEquals(new float[4], p.grad().toFloatArray());
        assertArrayEquals(new float[] {1, 2, 3, 4}, p.value().toFloatArray());
    }

    @Test
    void rejectsGradOfAnotherShape() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new Param("w", Tensor.of(new float[4], 2, 2), Tensor.of(new float[4], 4)));
        assertTrue(e.getMessage().contains("param w: grad has shape [4] but value has [2, 2]"), e.getMessage());
    }
}
