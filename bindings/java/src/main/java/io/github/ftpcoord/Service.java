package io.github.ftpcoord;

import java.io.InputStream;
import org.w3c.dom.Document;

/**
 * What a listener calls, as ballerina/ftp's service: implement the methods you
 * need. The listener asks the library only for the events whose methods the
 * service overrides, like Ballerina routes by the remote functions a service
 * has: {@code onFile} gets each new file version with its content (streamed),
 * {@code onFileChange} gets each poll's (or claimed batch's) list of files.
 *
 * <p>Typed content, as ballerina/ftp 2.18 routes it by the file's extension
 * ({@link ContentKind}): {@code .txt}, {@code .log}, {@code .md} to
 * {@code onFileText}, {@code .json} to {@code onFileJson}, {@code .xml} to
 * {@code onFileXml}, {@code .csv} to {@code onFileCsv}. A file whose typed
 * method the service lacks goes to {@code onFile}; without {@code onFile},
 * when the service has {@code onFileChange} the file was told there and is
 * done; otherwise it is rejected (no method would ever take it). Content is
 * bound by the method's declared parameter type, as in Ballerina: besides the
 * defaults below, a service may declare e.g. {@code onFileJson(Order content,
 * FileInfo file, Caller caller)}, {@code onFileCsv(List<Employee> rows,
 * FileInfo file)} (the Caller is optional), {@code Employee[]},
 * {@code Stream<Employee>} or {@code Stream<String[]>} (rows read as the
 * stream is consumed); see {@link Content}. Content that cannot be parsed or
 * bound rejects the file with a {@link ContentBindingException} (trying again
 * would read the same bytes): REJECTED, {@code afterError}, {@link #onError}.
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

    /** A {@code .txt}, {@code .log} or {@code .md} file, its whole content as UTF-8 text. */
    default void onFileText(String content, FileInfo file, Caller caller) throws Exception {}

    /**
     * A {@code .json} file, parsed: a {@code Map<String, Object>}, {@code List<Object>},
     * {@code String}, {@code Long}, {@code Double}, {@code Boolean} or null.
     */
    default void onFileJson(Object content, FileInfo file, Caller caller) throws Exception {}

    /** A {@code .xml} file, parsed by the JDK (namespace-aware; a DOCTYPE is refused). */
    default void onFileXml(Document content, FileInfo file, Caller caller) throws Exception {}

    /**
     * A {@code .csv} file: the rows after the header row, as text (RFC 4180; with
     * {@code csvFailSafe}, malformed rows are skipped and logged).
     */
    default void onFileCsv(String[][] rows, FileInfo file, Caller caller) throws Exception {}

    /** Called with the path of a file that disappeared. */
    default void onFileDelete(String deletedFile, Caller caller) throws Exception {}

    /** Called with errors the listener cannot hand to another method (rejected files, lost connections). */
    default void onError(FtpException error) {
        System.getLogger("io.github.ftpcoord").log(System.Logger.Level.WARNING, "ftpcoord: " + error.getMessage());
    }
}
