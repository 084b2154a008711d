package io.github.ftpcoord.spring;

/** What a message from {@link FtpcoordMessageSource} carries as its payload. */
public enum PayloadType {
    /**
     * An {@link java.io.InputStream} that streams the file from the server (nothing holds the
     * whole file). Readable until the message is acknowledged: read it on the thread that
     * received the message, before the flow returns (no executor channel before the read).
     */
    INPUT_STREAM,
    /** The whole content as {@code byte[]} (for small files). */
    BYTES,
    /**
     * A {@link java.io.File} staged in the staging directory; deleted once the message is
     * acknowledged.
     */
    FILE
}
