package io.github.ftpcoord;

/**
 * Thrown by a {@link Service}'s {@code onFile} or {@code onFileChange} to
 * reject the file (for {@code onFileChange}, every file of the batch) at once:
 * a bad invoice will not get better by trying again. Unlike any other
 * exception, which fails the attempt (retried after {@code retryTimeout},
 * rejected after {@code maxTries}), it ends the file version REJECTED after
 * the attempt it made, whatever tries are left: the {@code afterError} action
 * runs and {@link Service#onError} is told of the rejection. With
 * coordination this is durable, in the ledger: no member (in {@code shared}
 * mode none of the others, nor this one restarted) offers the version again
 * until an operator requeues it ({@code ftpcoord files retry}). Without
 * coordination every failure is already final (there are no retries).
 *
 * <p>A rejection is told by this exception anywhere in the cause chain of
 * what the method throws, so it may be wrapped. Its message is the reason
 * recorded in the ledger ({@code last_error}) and told to {@code onError};
 * it must not contain secrets.
 * It is the library's {@code FTPCOORD_ACK_REJECT} outcome.
 */
public class RejectException extends FtpException {
    private static final long serialVersionUID = 1L;

    /** Rejects the file with this reason. */
    public RejectException(String reason) {
        super(reason);
    }

    /** Rejects the file with this reason and the exception behind it. */
    public RejectException(String reason, Throwable cause) {
        super(reason, cause);
    }

    /** The RejectException that is t or in its cause chain, or null. */
    static RejectException in(Throwable t) {
        for (int depth = 0; t != null && depth < 32; t = t.getCause(), depth++) {
            if (t instanceof RejectException r) {
                return r;
            }
        }
        return null;
    }
}
