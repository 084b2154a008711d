package io.github.ftpcoord.spring.boot;

import io.github.ftpcoord.ListenerStatus;
import io.github.ftpcoord.spring.FtpcoordMessageSource;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Micrometer meters of an ftpcoord source (bound by Spring Boot's actuator to every registry):
 * <ul>
 *   <li>{@code ftpcoord.files} (counter), tag {@code outcome} = committed, failed, rejected: the
 *       acknowledgments of this member's flows;
 *   <li>{@code ftpcoord.file.processing} (timer): from a file's receive to its acknowledgment;
 *   <li>{@code ftpcoord.errors} (counter): errors the listener reported (lost connections,
 *       files REJECTED after maxTries, ...);
 *   <li>{@code ftpcoord.files.in.flight}, {@code ftpcoord.files.ready} (gauges): files in a flow,
 *       files claimed and waiting for the poller;
 *   <li>{@code ftpcoord.active} (gauge: 1 active, 0 standby), {@code ftpcoord.term} (gauge);
 *   <li>{@code ftpcoord.ledger.files} (gauge), tag {@code state}: DONE, FAILED, REJECTED, PENDING,
 *       IN_PROGRESS counts of the group's ledger.
 * </ul>
 * Every meter has the tag {@code member} (the memberId, or "none").
 */
public class FtpcoordMetrics implements MeterBinder {
    private static final String[] STATES = {"DONE", "FAILED", "REJECTED", "PENDING", "IN_PROGRESS"};

    private final FtpcoordMessageSource source;

    public FtpcoordMetrics(FtpcoordMessageSource source) {
        this.source = source;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Tags tags = Tags.of("member", source.getMemberId() == null ? "none" : source.getMemberId());
        counter(registry, "ftpcoord.files", tags.and("outcome", "committed"), s -> s.committedCount(), "files whose flow committed them");
        counter(registry, "ftpcoord.files", tags.and("outcome", "failed"), s -> s.failedCount(), "failed attempts (retried)");
        counter(registry, "ftpcoord.files", tags.and("outcome", "rejected"), s -> s.rejectedCount(), "files the flow rejected");
        counter(registry, "ftpcoord.errors", tags, s -> s.errorCount(), "errors the listener reported");
        FunctionTimer.builder("ftpcoord.file.processing", source,
                        s -> s.committedCount() + s.failedCount() + s.rejectedCount(),
                        s -> s.processingNanos(), TimeUnit.NANOSECONDS)
                .tags(tags).description("time from a file's receive to its acknowledgment").register(registry);
        Gauge.builder("ftpcoord.files.in.flight", source, s -> s.inFlightCount()).tags(tags)
                .description("files in a flow").register(registry);
        Gauge.builder("ftpcoord.files.ready", source, s -> s.readyCount()).tags(tags)
                .description("files claimed and waiting for the poller").register(registry);
        Gauge.builder("ftpcoord.active", source, status(s -> "active".equals(s.role()) ? 1 : 0)).tags(tags)
                .description("1 while this member is the active one").register(registry);
        Gauge.builder("ftpcoord.term", source, status(s -> s.term())).tags(tags)
                .description("the coordination term this member sees").register(registry);
        for (String state : STATES) {
            Gauge.builder("ftpcoord.ledger.files", source, status(s -> s.count(state))).tags(tags.and("state", state))
                    .description("files of the group's ledger in a state").register(registry);
        }
    }

    private void counter(MeterRegistry r, String name, Tags tags, ToDoubleFunction<FtpcoordMessageSource> f, String what) {
        FunctionCounter.builder(name, source, f).tags(tags).description(what).register(r);
    }

    private static ToDoubleFunction<FtpcoordMessageSource> status(ToDoubleFunction<ListenerStatus> f) {
        return src -> {
            try {
                ListenerStatus s = src.status();
                return s == null ? Double.NaN : f.applyAsDouble(s);
            } catch (RuntimeException e) {
                return Double.NaN;
            }
        };
    }
}
