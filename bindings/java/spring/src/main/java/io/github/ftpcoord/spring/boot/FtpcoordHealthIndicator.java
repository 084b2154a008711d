package io.github.ftpcoord.spring.boot;

import io.github.ftpcoord.ListenerStatus;
import io.github.ftpcoord.spring.FtpcoordMessageSource;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * Health of the ftpcoord member: UP while it heartbeats (active or standby) and can do the
 * work, DOWN when it cannot heartbeat, OUT_OF_SERVICE while the source is stopped or while the
 * member cannot do the work (its polls failed to connect or log in to the file server for
 * {@code ftpcoord.step-aside-after}: it gave the token up; detail {@code workReason} says why
 * and {@code asideUntil} until when it does not compete for it), and OUT_OF_SERVICE while the
 * running poll makes no progress for twice processingTimeout (detail {@code pollStuck}). Details: role (active or
 * standby), holder, term, memberId, last heartbeat, the ledger's counts by state, files in
 * flight. No password or connection string appears.
 */
public class FtpcoordHealthIndicator extends AbstractHealthIndicator {
    private final FtpcoordMessageSource source;

    public FtpcoordHealthIndicator(FtpcoordMessageSource source) {
        super("ftpcoord health check failed");
        this.source = source;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        ListenerStatus s = source.status();
        if (s == null) {
            builder.outOfService().withDetail("running", false);
            return;
        }
        if (!s.healthy()) {
            builder.down();
        } else if (!s.ableToWork()) {
            builder.outOfService().withDetail("workReason", String.valueOf(s.workReason()));
            if (s.asideUntil() != null) {
                builder.withDetail("asideUntil", s.asideUntil().toString());
            }
        } else if (s.pollStuck()) {
            // As the command's /readyz: no progress for twice processingTimeout.
            builder.outOfService().withDetail("pollStuck", true);
        } else {
            builder.up();
        }
        builder.withDetail("running", true)
                .withDetail("coordinated", s.coordinated());
        if (s.coordinated()) {
            builder.withDetail("role", String.valueOf(s.role()))
                    .withDetail("memberId", String.valueOf(source.getMemberId()))
                    .withDetail("holder", String.valueOf(s.holder()))
                    .withDetail("term", s.term());
            if (s.lastHeartbeat() != null) {
                builder.withDetail("lastHeartbeat", s.lastHeartbeat().toString());
            }
        }
        builder.withDetail("ledger", s.ledger())
                .withDetail("inFlight", source.inFlightCount())
                .withDetail("ready", source.readyCount());
    }
}
