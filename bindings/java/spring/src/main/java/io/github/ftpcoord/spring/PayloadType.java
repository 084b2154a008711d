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
    FILE,
    /**
     * Typed content, as ballerina/ftp 2.18 routes files to onFileText, onFileJson, onFileXml and
     * onFileCsv by extension ({@link io.github.ftpcoord.ContentKind}; the kind is in header
     * {@link FtpcoordHeaders#CONTENT_KIND}): {@code .txt}, {@code .log}, {@code .md} as a
     * {@code String} (UTF-8); {@code .json} as Jackson's {@code JsonNode} (with Jackson on the
     * class path; else maps and lists), or bound to {@code jsonType}; {@code .xml} as a DOM
     * {@code org.w3c.dom.Document}; {@code .csv} as {@code String[][]} (the rows after the
     * header), or a {@code List} of {@code csvType} bound by the header's names; any other file
     * as an {@link java.io.InputStream}. Content that does not parse or bind rejects the file
     * (REJECTED at once: the same bytes would fail again) and the poll throws a
     * {@code MessagingException} whose cause is an {@link io.github.ftpcoord.ContentBindingException}.
     * The whole file is read into memory for text, JSON, XML and CSV, as in Ballerina.
     */
    CONTENT
}
