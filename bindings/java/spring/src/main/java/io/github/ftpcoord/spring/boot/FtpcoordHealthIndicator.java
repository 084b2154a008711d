package io.github.ftpcoord.spring.boot;

import io.github.ftpcoord.ListenerStatus;
import io.github.ftpcoord.spring.FtpcoordMessageSource;
import org.springframework.boot.actuate.health.AbstractHealthIndicator;
import org.springframework.boot.actuate.health.Health;

/**
 * Health of the ftpcoord member: UP while it heartbeats (active or standby), DOWN when it
 * cannot, OUT_OF_SERVICE while the source is stopped. Details: role (active or standby),
 * holder, term, memberId, last heartbeat, the ledger's counts by state, files in flight.
 * No password or connection string appears.
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
        if (s.healthy()) {
            builder.up();
        } else {
            builder.down();
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
