package io.tensorlane.bench.gemm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * OpenBLAS's {@code cblas_sgemm}, called in this process through the FFM API (no JNI, no copies: the
 * same off-heap matrices tensorlane reads). Debian: {@code apt-get install libopenblas0-pthread}, which
 * provides {@code libopenblas.so.0} on the loader path. OpenBLAS picks its kernels when it loads, from
 * {@code OPENBLAS_CORETYPE} if set (the launcher sets {@code SkylakeX} on CPUs with AVX-512, which OpenBLAS
 * 0.3.21 does not recognise on Zen 4/5), else from the CPU.
 */
public final class OpenBlasAnchor {
    private static final int ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;
    private static final String LIBRARY = "libopenblas.so.0";

    private final MethodHandle sgemm, setThreads;
    private final String coreName;

    private OpenBlasAnchor(MethodHandle sgemm, MethodHandle setThreads, String coreName) {
        this.sgemm = sgemm;
        this.setThreads = setThreads;
        this.coreName = coreName;
    }

    /** The loaded library, or why it cannot be used (as the text of the failure). */
    public static Result load() {
        SymbolLookup lib;
        try {
            lib = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
        } catch (IllegalArgumentException e) {
            return new Result(Optional.empty(), LIBRARY + " not found (Debian: apt-get install -y libopenblas0-pthread)");
        } catch (IllegalCallerException e) {
            return new Result(Optional.empty(), "native access is disabled (start the JVM with --enable-native-access=ALL-UNNAMED)");
        }
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> gemm = lib.find("cblas_sgemm"), threads = lib.find("openblas_set_num_threads");
        Optional<MemorySegment> core = lib.find("openblas_get_corename");
        if (gemm.isEmpty() || threads.isEmpty() || core.isEmpty()) {
            return new Result(Optional.empty(), LIBRARY + " lacks cblas_sgemm / openblas_set_num_threads / openblas_get_corename");
        }
        MethodHandle sgemm = linker.downcallHandle(gemm.get(), FunctionDescriptor.ofVoid(JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_FLOAT, ADDRESS, JAVA_INT));
        MethodHandle setThreads = linker.downcallHandle(threads.get(), FunctionDescriptor.ofVoid(JAVA_INT));
        MethodHandle coreName = linker.downcallHandle(core.get(), FunctionDescriptor.of(ADDRESS));
        String name;
        try {
            name = ((MemorySegment) coreName.invokeExact()).reinterpret(256).getString(0);
        } catch (Throwable t) {
            name = "unknown";
        }
        return new Result(Optional.of(new OpenBlasAnchor(sgemm, setThreads, name)), null);
    }

    /** The anchor when it loaded, else {@code whyNot}. */
    public record Result(Optional<OpenBlasAnchor> anchor, String whyNot) {
    }

    /** What {@code openblas_get_corename()} reports, e.g. {@code Haswell}, {@code Zen}, {@code SkylakeX}. */
    public String coreName() {
        return coreName;
    }

    public void setThreads(int threads) {
        try {
            setThreads.invokeExact(threads);
        } catch (Throwable t) {
            throw new IllegalStateException("openblas_set_num_threads failed", t);
        }
    }

    /** Row-major C = alpha * op(A) op(B) + beta * C on native segments (offsets 0). */
    public void sgemm(boolean ta, boolean tb, int m, int n, int k, float alpha, MemorySegment a, int lda,
                      MemorySegment b, int ldb, float beta, MemorySegment c, int ldc) {
        try {
            sgemm.invokeExact(ROW_MAJOR, ta ? TRANS : NO_TRANS, tb ? TRANS : NO_TRANS, m, n, k, alpha, a, lda, b, ldb,
                    beta, c, ldc);
        } catch (Throwable t) {
            throw new IllegalStateException("cblas_sgemm failed", t);
        }
    }
}
