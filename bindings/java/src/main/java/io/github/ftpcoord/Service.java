package io.github.ftpcoord;

import java.io.InputStream;

/**
 * What a listener calls, as ballerina/ftp's service: implement the methods you
 * need. The listener asks the library only for the events whose methods the
 * service overrides, like Ballerina routes by the remote functions a service
 * has: {@code onFile} gets each new file version with its content (streamed),
 * {@code onFileChange} gets each poll's (or claimed batch's) list of files.
 *
 * <p>A method that returns normally acknowledges its event: with coordination
 * the ledger commits the file. A method that throws fails the attempt: the
 * file comes back after {@code retryTimeout} as attempt 2, 3... until
 * {@code maxTries}, then it is rejected and {@link #onError} is told. A
 * method that throws a {@link RejectException} rejects the file at once,
 * durably: REJECTED after this attempt, {@code afterError}, {@link #onError}
 * told; no member offers it again until an operator requeues it.
 */
public interface Service {
    /** Called with the files added and deleted, once per poll or claimed batch. */
    default void onFileChange(WatchEvent event, Caller caller) throws Exception {}

    /**
     * Called once per new file version. {@code content} streams the file from
     * the server in chunks and is valid until this method returns.
     */
    default void onFile(FileInfo file, InputStream content, Caller caller) throws Exception {}

    /** Called with the path of a file that disappeared. */
    default void onFileDelete(String deletedFile, Caller caller) throws Exception {}

    /** Called with errors the listener cannot hand to another method (rejected files, lost connections). */
    default void onError(FtpException error) {
        System.getLogger("io.github.ftpcoord").log(System.Logger.Level.WARNING, "ftpcoord: " + error.getMessage());
    }
}
