package io.github.ftpcoord;

import java.util.Locale;

/**
 * ballerina/ftp's {@code csvFailSafe.contentType}: with fail-safe CSV on, a malformed row (a
 * broken quote, another number of columns than the header, a value that does not bind) is
 * skipped and logged instead of failing the whole file. What the log line holds: the file and
 * the line ({@link #METADATA}, Ballerina's default), the row's text ({@link #RAW}), or both.
 * Ballerina writes the skipped rows to a file in the working directory; ftpcoord logs them
 * (System.Logger {@code io.github.ftpcoord}, WARNING), since a member's working directory is
 * not a place anyone reads.
 */
public enum CsvFailSafe {
    METADATA,
    RAW,
    RAW_AND_METADATA;

    /** Ballerina's name, any case; throws naming the field when it is none of them. */
    public static CsvFailSafe parse(String contentType) {
        if (contentType == null) {
            return METADATA;
        }
        try {
            return valueOf(contentType.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new FtpConfigException("csvFailSafe.contentType",
                    "csvFailSafe.contentType: " + contentType + " is not METADATA, RAW or RAW_AND_METADATA");
        }
    }
}
