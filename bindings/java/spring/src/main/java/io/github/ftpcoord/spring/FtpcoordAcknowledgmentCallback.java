package io.github.ftpcoord.spring;

import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.integration.acks.AcknowledgmentCallback;

/**
 * The acknowledgment of one file, in the header
 * {@code IntegrationMessageHeaderAccessor.ACKNOWLEDGMENT_CALLBACK}. The polling endpoint calls
 * it when the flow returns (ACCEPT) or throws; a flow can call it itself, e.g.
 * {@code StaticMessageHeaderAccessor.getAcknowledgmentCallback(message).acknowledge(Status.REJECT)},
 * or take it over with {@link #noAutoAck()} and call it later, from any thread (the file stays
 * claimed, its lease renewed, until then).
 *
 * <table>
 *   <caption>What each status does in the ledger</caption>
 *   <tr><th>status</th><th>ledger</th></tr>
 *   <tr><td>ACCEPT (the flow returned)</td><td>commit: DONE, the after-process action runs</td></tr>
 *   <tr><td>the flow threw (the endpoint's auto-nack)</td><td>a failed attempt: retried after
 *       retryTimeout as attempt 2, 3...; REJECTED after maxTries (after-error action)</td></tr>
 *   <tr><td>REQUEUE</td><td>a failed attempt, as above</td></tr>
 *   <tr><td>REJECT (explicit)</td><td>REJECTED at once after this attempt, whatever the tries
 *       left (after-error action); durable: no member, in {@code shared} mode or restarted,
 *       gives it to its flow again until an operator requeues it
 *       ({@code ftpcoord files retry})</td></tr>
 * </table>
 *
 * <p>Spring Integration's endpoint nacks a flow's exception with REJECT; this callback tells
 * that auto-nack ({@code AckUtils.autoNack}) from an explicit REJECT and treats it as a failed
 * attempt, so an exception means "retry per the retry policy".
 *
 * <p>The first call wins; later ones do nothing.
 */
public final class FtpcoordAcknowledgmentCallback implements AcknowledgmentCallback {
    private final FtpcoordMessageSource.Delivery delivery;
    private final AtomicBoolean acknowledged = new AtomicBoolean();
    private volatile boolean autoAck = true;

    FtpcoordAcknowledgmentCallback(FtpcoordMessageSource.Delivery delivery) {
        this.delivery = delivery;
    }

    @Override
    public void acknowledge(Status status) {
        if (!acknowledged.compareAndSet(false, true)) {
            return;
        }
        switch (status) {
            case ACCEPT -> delivery.finish(FtpcoordMessageSource.Outcome.COMMIT, null);
            case REQUEUE -> delivery.finish(FtpcoordMessageSource.Outcome.FAIL, "requeued by the flow (REQUEUE)");
            case REJECT -> {
                if (fromAutoNack()) {
                    delivery.finish(FtpcoordMessageSource.Outcome.FAIL,
                            "the flow threw an exception (see the application's log or error channel)");
                } else {
                    delivery.finish(FtpcoordMessageSource.Outcome.REJECT, "rejected by the flow (REJECT)");
                }
            }
            default -> throw new IllegalArgumentException("unknown status " + status);
        }
    }

    /** Whether this call comes from the endpoint's nack of an exception, not from the flow. */
    private static boolean fromAutoNack() {
        return StackWalker.getInstance().walk(frames -> frames.limit(6).anyMatch(f ->
                f.getClassName().equals("org.springframework.integration.acks.AckUtils")
                        && f.getMethodName().equals("autoNack")));
    }

    @Override
    public boolean isAcknowledged() {
        return acknowledged.get();
    }

    @Override
    public void noAutoAck() {
        autoAck = false;
    }

    @Override
    public boolean isAutoAck() {
        return autoAck;
    }

    @Override
    public String toString() {
        return "FtpcoordAcknowledgmentCallback[" + delivery.file.path() + ", attempt " + delivery.file.attempt()
                + (acknowledged.get() ? ", acknowledged" : "") + "]";
    }
}
