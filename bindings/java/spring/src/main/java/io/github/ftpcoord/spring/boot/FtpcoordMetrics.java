package io.github.ftpcoord.spring.boot;

import io.github.ftpcoord.ListenerStatus;
import io.github.ftpcoord.spring.FtpcoordMessageSource;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
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
 *       IN_PROGRESS counts of the group's ledger;
 *   <li>{@code ftpcoord.ledger.oldest} (time gauge, seconds), tag {@code state}: PENDING,
 *       IN_PROGRESS, FAILED, REJECTED: the age of the group's oldest file in the state, since its
 *       first listing;
 *   <li>{@code ftpcoord.ledger.retries} (gauge): failed attempts of the group's unfinished files;
 *   <li>{@code ftpcoord.ledger.supersessions} (counter): versions this member dropped as changed
 *       under their transfer;
 *   <li>{@code ftpcoord.file.listed.to.commit} (timer): from a file's first listing to its commit,
 *       for the files this member committed;
 *   <li>{@code ftpcoord.not.ready} (gauge), tag {@code reason}: stopping, unable_to_work, stuck: 1
 *       for the reason this member is not ready.
 * </ul>
 * The backlog meters read the listener's status (cached briefly by the source: one ledger
 * statement per status), as docs/metrics.md describes for the command's /metrics.
 * Every meter has the tag {@code member} (the memberId, or "none").
 */
public class FtpcoordMetrics implements MeterBinder {
    private static final String[] STATES = {"DONE", "FAILED", "REJECTED", "PENDING", "IN_PROGRESS"};
    private static final String[] NOT_READY = {"stopping", "unable_to_work", "stuck"};

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
        oldest(registry, tags, "PENDING", b -> b.pending());
        oldest(registry, tags, "IN_PROGRESS", b -> b.inProgress());
        oldest(registry, tags, "FAILED", b -> b.failed());
        oldest(registry, tags, "REJECTED", b -> b.rejected());
        Gauge.builder("ftpcoord.ledger.retries", source, backlog(b -> b.retries())).tags(tags)
                .description("failed attempts of the group's unfinished files").register(registry);
        FunctionCounter.builder("ftpcoord.ledger.supersessions", source, backlog(b -> b.supersessions())).tags(tags)
                .description("versions this member dropped as changed under their transfer").register(registry);
        FunctionTimer.builder("ftpcoord.file.listed.to.commit", source,
                        s -> (long) zeroIfNaN(backlog(b -> b.listedToCommitCount()).applyAsDouble(s)),
                        s -> zeroIfNaN(backlog(b -> b.listedToCommitSeconds()).applyAsDouble(s)), TimeUnit.SECONDS)
                .tags(tags).description("time from a file's first listing to its commit").register(registry);
        for (String reason : NOT_READY) {
            Gauge.builder("ftpcoord.not.ready", source, status(s -> reason.equals(s.notReadyReason()) ? 1 : 0))
                    .tags(tags.and("reason", reason)).description("1 for the reason this member is not ready").register(registry);
        }
    }

    private void counter(MeterRegistry r, String name, Tags tags, ToDoubleFunction<FtpcoordMessageSource> f, String what) {
        FunctionCounter.builder(name, source, f).tags(tags).description(what).register(r);
    }

    private void oldest(MeterRegistry r, Tags tags, String state, Function<ListenerStatus.Backlog, ListenerStatus.StateBacklog> f) {
        TimeGauge.builder("ftpcoord.ledger.oldest", source, TimeUnit.SECONDS, backlog(b -> f.apply(b).oldestSeconds()))
                .tags(tags.and("state", state)).description("age of the group's oldest file in a state, since its first listing")
                .register(r);
    }

    private static double zeroIfNaN(double v) {
        return Double.isNaN(v) ? 0 : v;
    }

    /** A backlog value of the status, NaN without one (no coordination, or no status). */
    private static ToDoubleFunction<FtpcoordMessageSource> backlog(ToDoubleFunction<ListenerStatus.Backlog> f) {
        return status(s -> s.backlog() == null ? Double.NaN : f.applyAsDouble(s.backlog()));
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
