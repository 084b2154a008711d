package io.github.ftpcoord;

/**
 * A service whose {@link Service#onFile} hands each file on as one of Ballerina's typed methods
 * would take it (the Spring adapter with content payloads): it tells which, so that the
 * after-actions the configuration gives that method ({@code services[].methods.onFileJson},
 * Ballerina's {@code @ftp:FunctionConfig}) apply instead of onFile's.
 */
public interface MethodRouter {
    /** The method the file is taken by; {@link ContentKind#FILE} is onFile. */
    ContentKind methodFor(FileInfo file);
}
