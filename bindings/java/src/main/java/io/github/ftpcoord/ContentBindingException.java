package io.github.ftpcoord;

/**
 * A file's content could not be parsed or bound to the type its method takes (ballerina/ftp's
 * {@code ContentBindingError}). Trying again would read the same bytes, so the file is rejected
 * at once (it is a {@link RejectException}): REJECTED, the {@code afterError} action runs and
 * {@code onError} is told, with the file's path and the reason. The message never holds the
 * content; {@link #line()} says where in the file the fault is, when it is known.
 */
public class ContentBindingException extends RejectException {
    private static final long serialVersionUID = 1L;

    private final String filePath;
    private final long line;

    public ContentBindingException(String filePath, long line, String reason, Throwable cause) {
        super("ftpcoord: content of " + filePath + (line > 0 ? " line " + line : "") + ": " + reason, cause);
        this.filePath = filePath;
        this.line = line;
    }

    /** The path of the file on the server. */
    public String filePath() {
        return filePath;
    }

    /** The line of the fault (1 is the first), or 0 when unknown. */
    public long line() {
        return line;
    }
}
