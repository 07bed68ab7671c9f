package io.tensorlane.bench.harness;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class ResultCheckTest {
    @Test
    void aResultOutsideTheToleranceIsRefusedNamingKernelAndIndex() {
        MemorySegment ref = MemorySegment.ofArray(new float[] {1f, 2f, 3f});
        MemorySegment same = MemorySegment.ofArray(new float[] {1f, 2.000001f, 3f});
        ResultCheck.assertClose("sigmoid fwd", "simd", ref, same, 3, 1e-6, 0);
        MemorySegment off = MemorySegment.ofArray(new float[] {1f, 2f, 3.1f});
        ResultMismatchException e = assertThrows(ResultMismatchException.class,
                () -> ResultCheck.assertClose("sigmoid fwd", "simd", ref, off, 3, 1e-6, 0));
        assertTrue(e.getMessage().startsWith("sigmoid fwd (simd): 1 of 3 values differ from the scalar reference (first at 2"),
                e.getMessage());
        MemorySegment nan = MemorySegment.ofArray(new float[] {Float.NaN, 2f, 3f});
        assertThrows(ResultMismatchException.class, () -> ResultCheck.assertClose("k", "simd", ref, nan, 3, 1, 1));
    }
}
