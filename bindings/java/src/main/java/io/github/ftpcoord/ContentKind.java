package io.github.ftpcoord;

import java.util.Locale;

/**
 * What a file's content is taken as, chosen by its extension as ballerina/ftp 2.18 routes files
 * to its typed methods: {@code txt}, {@code log} and {@code md} to {@code onFileText},
 * {@code json} to {@code onFileJson}, {@code xml} to {@code onFileXml}, {@code csv} to
 * {@code onFileCsv} (any case); every other file, and one without an extension, to
 * {@code onFile}.
 */
public enum ContentKind {
    TEXT("onFileText"),
    JSON("onFileJson"),
    XML("onFileXml"),
    CSV("onFileCsv"),
    /** Any other extension: the raw bytes, for {@code onFile}. */
    FILE("onFile");

    private final String method;

    ContentKind(String method) {
        this.method = method;
    }

    /** The service method Ballerina routes this kind to, e.g. {@code onFileJson}. */
    public String method() {
        return method;
    }

    /** The kind of a file by its extension (the part after the name's last dot, as FileInfo has it). */
    public static ContentKind of(FileInfo file) {
        return ofExtension(file.extension());
    }

    /** The kind for an extension without its dot; null or empty is {@link #FILE}. */
    public static ContentKind ofExtension(String extension) {
        if (extension == null) {
            return FILE;
        }
        return switch (extension.toLowerCase(Locale.ROOT)) {
            case "txt", "log", "md" -> TEXT;
            case "json" -> JSON;
            case "xml" -> XML;
            case "csv" -> CSV;
            default -> FILE;
        };
    }
}
