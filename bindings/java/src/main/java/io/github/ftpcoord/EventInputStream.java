package io.github.ftpcoord;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A file event's content, read from the server in chunks through
 * ftpcoord_event_read: nothing holds the whole file. Valid until the event is
 * acknowledged (when {@link Service#onFile} returns).
 */
final class EventInputStream extends InputStream {
    /** The largest chunk one native call reads. */
    private static final int MAX_CHUNK = 1 << 20;

    private final FtpListener listener;
    private final long id;
    private boolean eof;
    private volatile boolean closed;
    private final byte[] one = new byte[1];

    EventInputStream(FtpListener listener, long id) {
        this.listener = listener;
        this.id = id;
    }

    @Override
    public int read() throws IOException {
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("ftpcoord: the content of event " + id
                    + " is closed (it is readable only until onFile returns)");
        }
        if (len == 0) {
            return 0;
        }
        if (eof) {
            return -1;
        }
        byte[][] err = new byte[1][];
        long n = Native.read(listener.handleForUse(), id, b, off, Math.min(len, MAX_CHUNK), err);
        if (n < 0) {
            String msg = err[0] == null ? "ftpcoord: read failed (code " + n + ")" : new String(err[0], StandardCharsets.UTF_8);
            if (n == Native.INVALID_HANDLE) {
                throw new IOException("ftpcoord: the listener was closed while the file was read: " + msg);
            }
            throw new IOException(msg);
        }
        if (n == 0) {
            eof = true;
            return -1;
        }
        return (int) n;
    }

    @Override
    public void close() {
        closed = true;
    }
}
