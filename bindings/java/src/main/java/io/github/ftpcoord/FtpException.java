package io.github.ftpcoord;

/**
 * An operation of the listener failed: the server, the coordination database or
 * the native library reported an error (ballerina/ftp's {@code ftp:Error}). The
 * message never contains a password.
 */
public class FtpException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;

    public FtpException(String message) {
        this(message, Native.ERROR);
    }

    public FtpException(String message, Throwable cause) {
        super(message, cause);
        this.code = Native.ERROR;
    }

    FtpException(String message, int code) {
        super(message);
        this.code = code;
    }

    /** The status code of ftpcoord.h behind this error (-3 for a plain failure). */
    public int code() {
        return code;
    }
}
