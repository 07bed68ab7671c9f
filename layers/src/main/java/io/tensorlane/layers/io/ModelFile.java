package io.tensorlane.layers.io;

import io.tensorlane.runtime.DType;
import io.tensorlane.runtime.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A saved model: the net file (JSON text describing the architecture), its parameters as named float32
 * tensors, and optional extra named tensors (optimizer state such as momentum or Adam moments). Written
 * and read in a binary format of our own, never with Java serialization.
 *
 * <h2>Format, version 1 (all integers little-endian)</h2>
 * <pre>
 * header, 32 bytes:
 *   magic    8 bytes  0x89 'T' 'L' 'M' '\r' '\n' 0x1A '\n'  (PNG-style: catches text-mode and 7-bit mangling)
 *   version  u32      1
 *   flags    u32      0 (reserved; a reader of this version refuses other values)
 *   tensors  u32      number of parameter tensors
 *   extras   u32      number of extra tensors
 *   json     u64      byte length of the JSON text
 * body:
 *   the JSON text, UTF-8
 *   tensors + extras records, each:
 *     nameLen u16, name (UTF-8, 1..nameLen bytes, unique within its group)
 *     rank    u8, then rank dims as i64 (each >= 0)
 *     data    numel float32 values, row-major
 * trailer:
 *   SHA-256 (32 bytes) of every byte before it
 * </pre>
 *
 * <p>{@link #write} is atomic: it writes a temporary file in the target's directory, forces it to disk,
 * renames it over the target in one step and forces the directory, so a crash leaves either the old file or
 * the complete new one under the final name, never a part. {@link #read} checks the magic, version, flags,
 * file length and the SHA-256 before it parses anything, then checks every declared count, length and shape
 * against the bytes left in the file and against {@link ModelFileLimits} before allocating for it.
 *
 * @param netJson the net file text (may be empty)
 * @param tensors parameters by name, in order
 * @param extras  extra tensors by name (e.g. optimizer state), in order; empty when none
 */
public record ModelFile(String netJson, Map<String, Tensor> tensors, Map<String, Tensor> extras) {
    /** The format version this class writes and the only one it reads. */
    public static final int VERSION = 1;
    static final byte[] MAGIC = {(byte) 0x89, 'T', 'L', 'M', '\r', '\n', 0x1A, '\n'};
    static final int HEADER_BYTES = 32;
    static final int HASH_BYTES = 32;
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int CHUNK = 1 << 16;

    public ModelFile {
        Objects.requireNonNull(netJson, "netJson");
        tensors = checked("tensors", tensors);
        extras = checked("extras", extras);
    }

    /** A model file without extra tensors. */
    public ModelFile(String netJson, Map<String, Tensor> tensors) {
        this(netJson, tensors, Map.of());
    }

    private static Map<String, Tensor> checked(String group, Map<String, Tensor> m) {
        Objects.requireNonNull(m, group);
        Map<String, Tensor> copy = new LinkedHashMap<>();
        for (var e : m.entrySet()) {
            String name = Objects.requireNonNull(e.getKey(), group + ": null name");
            Tensor t = Objects.requireNonNull(e.getValue(), group + ": tensor " + name + " is null");
            int len = name.getBytes(StandardCharsets.UTF_8).length;
            if (len == 0 || len > ModelFileLimits.DEFAULT.maxNameBytes()) {
                throw new IllegalArgumentException("model file: " + group + " name '" + name + "' must be 1.."
                        + ModelFileLimits.DEFAULT.maxNameBytes() + " UTF-8 bytes, is " + len);
            }
            if (t.dtype() != DType.F32) throw new IllegalArgumentException("model file: " + group + " tensor " + name + " is " + t.dtype() + ", only F32 is stored");
            if (t.rank() > ModelFileLimits.DEFAULT.maxRank()) {
                throw new IllegalArgumentException("model file: " + group + " tensor " + name + " has rank " + t.rank() + " > " + ModelFileLimits.DEFAULT.maxRank());
            }
            copy.put(name, t);
        }
        return Collections.unmodifiableMap(copy);
    }

    // ------------------------------------------------------------------ writing

    /**
     * Writes this model to {@code path} atomically (temporary file in the same directory, fsync, atomic
     * rename, fsync of the directory). On any failure the temporary file is removed and an existing file at
     * {@code path} is left as it was.
     */
    public void write(Path path) throws IOException {
        Path target = path.toAbsolutePath();
        Path dir = target.getParent();
        String tmpName = "." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp";
        Path tmp = dir.resolve(tmpName);
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                writeTo(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("model file " + target + ": the file system cannot rename atomically, refusing a non-atomic write", e);
            }
            moved = true;
            forceDirectory(dir);
        } finally {
            if (!moved) Files.deleteIfExists(tmp);
        }
    }

    /** Makes the rename durable; some platforms cannot open a directory for sync, which is then skipped. */
    private static void forceDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Windows and some file systems do not allow this; the rename itself was still atomic.
        }
    }

    private void writeTo(FileChannel ch) throws IOException {
        MessageDigest sha = sha256();
        byte[] json = netJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(CHUNK).order(ByteOrder.LITTLE_ENDIAN);
        buf.put(MAGIC).putInt(VERSION).putInt(0).putInt(tensors.size()).putInt(extras.size()).putLong(json.length);
        Sink out = new Sink(ch, sha, buf);
        out.bytes(json);
        for (Map<String, Tensor> group : java.util.List.of(tensors, extras)) {
            for (var e : group.entrySet()) {
                byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
                Tensor t = e.getValue().contiguous();
                out.room(2 + name.length + 1 + 8 * t.rank());
                buf.putShort((short) name.length).put(name).put((byte) t.rank());
                for (long dim : t.shape()) buf.putLong(dim);
                out.floats(t.segment(), t.offset(), t.numel());
            }
        }
        out.flush();
        buf.put(sha.digest());
        out.flushRaw();
    }

    /** Buffered channel writer that hashes everything it writes. */
    private static final class Sink {
        final FileChannel ch;
        final MessageDigest sha;
        final ByteBuffer buf;

        Sink(FileChannel ch, MessageDigest sha, ByteBuffer buf) {
            this.ch = ch;
            this.sha = sha;
            this.buf = buf;
        }

        void room(int n) throws IOException {
            if (buf.remaining() < n) flush();
        }

        void bytes(byte[] b) throws IOException {
            int off = 0;
            while (off < b.length) {
                if (!buf.hasRemaining()) flush();
                int n = Math.min(buf.remaining(), b.length - off);
                buf.put(b, off, n);
                off += n;
            }
        }

        void floats(MemorySegment seg, long offset, long count) throws IOException {
            MemorySegment view = MemorySegment.ofArray(buf.array()); // the whole backing array, whatever the position
            long done = 0;
            while (done < count) {
                if (buf.remaining() < 4) flush();
                int n = (int) Math.min(buf.remaining() / 4, count - done);
                // Copies with a byte-order conversion where the platform is big-endian.
                MemorySegment.copy(seg, ValueLayout.JAVA_FLOAT, (offset + done) * 4, view, LE_FLOAT, buf.position(), n);
                buf.position(buf.position() + 4 * n);
                done += n;
            }
        }

        void flush() throws IOException {
            buf.flip();
            sha.update(buf.duplicate());
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }

        /** Writes the buffer without hashing it (the trailer). */
        void flushRaw() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) ch.write(buf);
            buf.clear();
        }
    }

    // ------------------------------------------------------------------ reading

    /** Reads and validates a model file with {@link ModelFileLimits#DEFAULT}. */
    public static ModelFile read(Path path) throws IOException {
        return read(path, ModelFileLimits.DEFAULT);
    }

    /**
     * Reads and validates a model file: magic, version, flags, length, checksum, then every count, name,
     * shape and data length against the bytes left and {@code limits}, before allocating for it. Tensors
     * come back as heap F32 tensors.
     *
     * @throws ModelFileException when the file is not a valid model file (the message says why and where)
     */
    public static ModelFile read(Path path, ModelFileLimits limits) throws IOException {
        Objects.requireNonNull(limits, "limits");
        String src = "model file " + path;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > limits.maxFileBytes()) throw new ModelFileException(src + ": " + size + " bytes exceeds the limit of " + limits.maxFileBytes());
            ByteBuffer head = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            head.limit((int) Math.min(HEADER_BYTES, size));
            readFully(ch, head, 0, src, "header");
            head.flip();
            // The magic first, on whatever is there: a short file of another kind is "not a model file".
            byte[] magic = new byte[Math.min(MAGIC.length, head.remaining())];
            head.get(magic);
            if (!Arrays.equals(magic, Arrays.copyOf(MAGIC, magic.length))) {
                throw new ModelFileException(src + ": not a tensorlane model file (wrong magic " + HexFormat.of().formatHex(magic) + ")");
            }
            if (size < HEADER_BYTES + HASH_BYTES) {
                throw new ModelFileException(src + ": truncated: " + size + " bytes, a model file has at least " + (HEADER_BYTES + HASH_BYTES));
            }
            int version = head.getInt();
            if (version != VERSION) throw new ModelFileException(src + ": format version " + Integer.toUnsignedString(version) + ", this reader handles version " + VERSION);
            int flags = head.getInt();
            if (flags != 0) throw new ModelFileException(src + ": unknown flags 0x" + Integer.toHexString(flags) + " for version " + VERSION);
            long tensorCount = Integer.toUnsignedLong(head.getInt());
            long extraCount = Integer.toUnsignedLong(head.getInt());
            long jsonLen = head.getLong();
            verifyChecksum(ch, size, src);
            long end = size - HASH_BYTES;
            // Every record takes at least 2 + 1 + 1 bytes, so the counts are bounded by the bytes left.
            long body = end - HEADER_BYTES;
            if (tensorCount + extraCount > limits.maxTensors()) {
                throw new ModelFileException(src + ": declares " + tensorCount + " + " + extraCount + " tensors, limit " + limits.maxTensors());
            }
            if (jsonLen < 0 || jsonLen > limits.maxJsonBytes() || jsonLen > body) {
                throw new ModelFileException(src + ": declares " + Long.toUnsignedString(jsonLen) + " JSON bytes but " + body
                        + " body bytes remain (limit " + limits.maxJsonBytes() + ")");
            }
            if ((tensorCount + extraCount) * 4 > body - jsonLen) {
                throw new ModelFileException(src + ": declares " + (tensorCount + extraCount) + " tensors, more than the "
                        + (body - jsonLen) + " bytes after the JSON can hold");
            }
            Source in = new Source(ch, HEADER_BYTES, end, src);
            String json = utf8(in.bytes((int) jsonLen, "JSON"), src, "JSON text");
            Map<String, Tensor> tensors = readGroup(in, tensorCount, "tensor", limits);
            Map<String, Tensor> extras = readGroup(in, extraCount, "extra", limits);
            if (in.pos != end) throw new ModelFileException(src + ": " + (end - in.pos) + " unexpected bytes after the last tensor");
            return new ModelFile(json, tensors, extras);
        }
    }

    private static Map<String, Tensor> readGroup(Source in, long count, String kind, ModelFileLimits limits) throws IOException {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (long i = 0; i < count; i++) {
            String where = kind + " #" + i;
            int nameLen = Short.toUnsignedInt(in.buffer(2, where + " name length").getShort());
            if (nameLen == 0 || nameLen > limits.maxNameBytes()) {
                throw new ModelFileException(in.src + ": " + where + " has a name of " + nameLen + " bytes (allowed 1.." + limits.maxNameBytes() + ")");
            }
            String name = utf8(in.bytes(nameLen, where + " name"), in.src, where + " name");
            where = kind + " '" + name + "'";
            if (out.containsKey(name)) throw new ModelFileException(in.src + ": duplicate " + where);
            int rank = Byte.toUnsignedInt(in.buffer(1, where + " rank").get());
            if (rank > limits.maxRank()) throw new ModelFileException(in.src + ": " + where + " has rank " + rank + " > " + limits.maxRank());
            ByteBuffer dimsBuf = in.buffer(8 * rank, where + " shape");
            long[] shape = new long[rank];
            long numel = 1;
            for (int d = 0; d < rank; d++) {
                shape[d] = dimsBuf.getLong();
                if (shape[d] < 0) throw new ModelFileException(in.src + ": " + where + " has a negative dim " + shape[d] + " at " + d);
                try {
                    numel = Math.multiplyExact(numel, shape[d]);
                } catch (ArithmeticException e) {
                    throw new ModelFileException(in.src + ": " + where + " shape overflows a long at dim " + d);
                }
            }
            String shapeText = Arrays.toString(shape);
            if (numel > (in.end - in.pos) / 4) {
                throw new ModelFileException(in.src + ": " + where + " of shape " + shapeText + " needs " + numel + " floats but only "
                        + (in.end - in.pos) + " bytes remain");
            }
            if (numel > Integer.MAX_VALUE - 8) {
                throw new ModelFileException(in.src + ": " + where + " of shape " + shapeText + " has " + numel + " elements, more than a Java array holds");
            }
            float[] data = new float[(int) numel];
            in.floats(data, where);
            out.put(name, Tensor.of(data, shape));
        }
        return out;
    }

    private static void verifyChecksum(FileChannel ch, long size, String src) throws IOException {
        MessageDigest sha = sha256();
        ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        long end = size - HASH_BYTES, pos = 0;
        while (pos < end) {
            buf.clear().limit((int) Math.min(CHUNK, end - pos));
            readFully(ch, buf, pos, src, "body");
            buf.flip();
            pos += buf.remaining();
            sha.update(buf);
        }
        ByteBuffer stored = ByteBuffer.allocate(HASH_BYTES);
        readFully(ch, stored, end, src, "checksum");
        byte[] actual = sha.digest();
        if (!Arrays.equals(actual, stored.array())) {
            throw new ModelFileException(src + ": SHA-256 checksum mismatch (stored " + HexFormat.of().formatHex(stored.array())
                    + ", computed " + HexFormat.of().formatHex(actual) + "): the file is corrupted or truncated");
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, String src, String what) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) throw new ModelFileException(src + ": truncated in the " + what + " at byte " + pos);
            pos += n;
        }
    }

    private static String utf8(byte[] b, String src, String what) throws ModelFileException {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new ModelFileException(src + ": the " + what + " is not valid UTF-8");
        }
    }

    /** Positional reader over [pos, end) of the channel; every request is checked against end first. */
    private static final class Source {
        final FileChannel ch;
        final long end;
        final String src;
        long pos;
        final ByteBuffer small = ByteBuffer.allocate(8 * 256).order(ByteOrder.LITTLE_ENDIAN);

        Source(FileChannel ch, long pos, long end, String src) {
            this.ch = ch;
            this.pos = pos;
            this.end = end;
            this.src = src;
        }

        private void need(long n, String what) throws ModelFileException {
            if (n > end - pos) throw new ModelFileException(src + ": " + what + " needs " + n + " bytes but only " + (end - pos) + " remain");
        }

        /** The next n (<= 2048) bytes in a little-endian buffer. */
        ByteBuffer buffer(int n, String what) throws IOException {
            need(n, what);
            small.clear().limit(n);
            readFully(ch, small, pos, src, what);
            pos += n;
            return small.flip();
        }

        byte[] bytes(int n, String what) throws IOException {
            need(n, what);
            ByteBuffer b = ByteBuffer.allocate(n);
            readFully(ch, b, pos, src, what);
            pos += n;
            return b.array();
        }

        void floats(float[] dst, String what) throws IOException {
            long bytes = 4L * dst.length;
            need(bytes, what + " data");
            ByteBuffer buf = ByteBuffer.allocate((int) Math.min(CHUNK, Math.max(4, bytes)));
            MemorySegment bufSeg = MemorySegment.ofArray(buf.array());
            MemorySegment out = MemorySegment.ofArray(dst);
            int done = 0;
            while (done < dst.length) {
                int n = Math.min(buf.capacity() / 4, dst.length - done);
                buf.clear().limit(4 * n);
                readFully(ch, buf, pos, src, what + " data");
                MemorySegment.copy(bufSeg, LE_FLOAT, 0, out, ValueLayout.JAVA_FLOAT, 4L * done, n);
                pos += 4L * n;
                done += n;
            }
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
    }
}
