package io.github.ftpcoord.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.github.ftpcoord.ListenerConfig;
import java.io.File;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.integration.StaticMessageHeaderAccessor;
import org.springframework.integration.acks.AcknowledgmentCallback;
import org.springframework.integration.config.EnableIntegration;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.Pollers;
import org.springframework.integration.file.FileHeaders;
import org.springframework.messaging.Message;
import org.springframework.messaging.MessageHandler;

/**
 * Flows built with the Java DSL ({@code Ftpcoord.inboundAdapter}) in plain Spring contexts,
 * against the real OpenSSH and PostgreSQL: commits, retries, explicit acknowledgments.
 */
class FlowTest {
    static final Duration WAIT = Duration.ofSeconds(30);

    @Configuration(proxyBeanMethods = false)
    @EnableIntegration
    static class Base {}

    /** What a flow saw of one message. */
    record Seen(String name, int attempt, String key, Object payload, Map<String, Object> headers) {}

    /** A running context with one flow from an ftpcoord source into handler. */
    record Flow(AnnotationConfigApplicationContext context, FtpcoordMessageSource source) implements AutoCloseable {
        @Override
        public void close() {
            context.close();
        }

        long ledger(String state) {
            return source.status().count(state);
        }
    }

    static Flow flow(ListenerConfig config, PayloadType type, Consumer<Message<?>> handler) {
        FtpcoordMessageSourceSpec spec = Ftpcoord.inboundAdapter(config).payloadType(type);
        FtpcoordMessageSource source = spec.getObject();
        AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext();
        ctx.register(Base.class);
        ctx.registerBean("ftpcoordFlow", IntegrationFlow.class, () -> IntegrationFlow
                .from(spec, e -> e.poller(Pollers.fixedDelay(Duration.ofMillis(20)).maxMessagesPerPoll(10)))
                .handle((MessageHandler) handler::accept)
                .get());
        ctx.refresh();
        return new Flow(ctx, source);
    }

    static Seen seen(Message<?> m, Object payload) {
        return new Seen(m.getHeaders().get(FileHeaders.FILENAME, String.class),
                m.getHeaders().get(FtpcoordHeaders.ATTEMPT, Integer.class),
                m.getHeaders().get(FtpcoordHeaders.IDEMPOTENCY_KEY, String.class), payload, Map.copyOf(m.getHeaders()));
    }

    static List<Integer> attemptsOf(Queue<Seen> seen, String name) {
        return seen.stream().filter(s -> s.name().equals(name)).map(Seen::attempt).collect(Collectors.toList());
    }

    @Test
    void aFlowCommitsEachFileOnceWithItsHeadersAndAChangedFileComesAgain() throws Exception {
        try (Services.RemoteDir dir = Services.sftpDir(); Services.Database db = Services.postgres()) {
            for (int i = 0; i < 5; i++) {
                dir.write("invoice-" + i + "-🧾.csv", "invoice " + i + ",100");
            }
            Queue<Seen> seen = new ConcurrentLinkedQueue<>();
            ListenerConfig config = Services.sftp(dir).retryTimeout(0.05)
                    .coordination(db.coordination("member-1", Services.randomName("g-"))).build();
            try (Flow f = flow(config, PayloadType.BYTES, m -> seen.add(seen(m, new String((byte[]) m.getPayload(), StandardCharsets.UTF_8))))) {
                await().atMost(WAIT).until(() -> seen.size() == 5);
                await().atMost(WAIT).until(() -> f.ledger("DONE") == 5);
                assertThat(seen).extracting(Seen::name).doesNotHaveDuplicates();
                assertThat(seen).extracting(Seen::key).doesNotHaveDuplicates().doesNotContainNull();
                for (Seen s : seen) {
                    String n = s.name().split("-")[1];
                    assertThat(s.payload()).isEqualTo("invoice " + n + ",100");
                    assertThat(s.attempt()).isEqualTo(1);
                    assertThat(s.headers())
                            .containsEntry(FileHeaders.REMOTE_DIRECTORY, dir.remote())
                            .containsEntry(FileHeaders.REMOTE_FILE, s.name())
                            .containsEntry(FtpcoordHeaders.PATH, dir.remote() + "/" + s.name())
                            .containsEntry(FtpcoordHeaders.MEMBER_ID, "member-1")
                            .containsEntry(FtpcoordHeaders.SIZE, (long) ("invoice " + n + ",100").length())
                            .containsKey(IntegrationAckHeader.NAME);
                    assertThat((Long) s.headers().get(FtpcoordHeaders.TERM)).isGreaterThanOrEqualTo(1L);
                    long mtime = Files.getLastModifiedTime(dir.local().resolve(s.name())).toMillis();
                    assertThat((Long) s.headers().get(FtpcoordHeaders.MTIME)).isBetween(mtime - 1000, mtime + 1000);
                }
                assertThat(f.source().committedCount()).isEqualTo(5);

                // A new version of a file (other content, other size) is a new delivery.
                Seen first = seen.stream().filter(s -> s.name().startsWith("invoice-0-")).findFirst().orElseThrow();
                dir.write(first.name(), "invoice 0,100,corrected");
                await().atMost(WAIT).until(() -> seen.size() == 6);
                await().atMost(WAIT).until(() -> f.ledger("DONE") == 6);
                List<Seen> again = seen.stream().filter(s -> s.name().equals(first.name())).toList();
                assertThat(again).hasSize(2);
                assertThat(again.get(1).payload()).isEqualTo("invoice 0,100,corrected");
                assertThat(again.get(1).key()).isNotEqualTo(first.key());
                assertThat(again.get(1).attempt()).isEqualTo(1);
            }
        }
    }

    @Test
    void anExceptionFailsTheAttemptWhichIsRetriedThenRejected() throws Exception {
        try (Services.RemoteDir dir = Services.sftpDir(); Services.Database db = Services.postgres()) {
            dir.write("good.csv", "1,2,3");
            dir.write("bad.csv", "not,a,number");
            Queue<Seen> seen = new ConcurrentLinkedQueue<>();
            ListenerConfig config = Services.sftp(dir).maxTries(2).retryTimeout(0.05)
                    .coordination(db.coordination("member-x", Services.randomName("g-"))).build();
            try (Flow f = flow(config, PayloadType.INPUT_STREAM, m -> {
                String content;
                try (InputStream in = (InputStream) m.getPayload()) {
                    content = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                seen.add(seen(m, content));
                if (content.contains("not")) {
                    throw new IllegalArgumentException("cannot parse " + content);
                }
            })) {
                await().atMost(WAIT).until(() -> f.ledger("REJECTED") == 1 && f.ledger("DONE") == 1);
                assertThat(attemptsOf(seen, "bad.csv")).containsExactly(1, 2);
                assertThat(attemptsOf(seen, "good.csv")).containsExactly(1);
                assertThat(seen).filteredOn(s -> s.name().equals("bad.csv")).extracting(Seen::payload)
                        .containsOnly("not,a,number");
                assertThat(seen).filteredOn(s -> s.name().equals("bad.csv")).extracting(Seen::key).containsOnly(
                        seen.stream().filter(s -> s.name().equals("bad.csv")).findFirst().orElseThrow().key());
                assertThat(f.source().failedCount()).isEqualTo(2);
                assertThat(f.source().committedCount()).isEqualTo(1);
                assertThat(f.source().rejectedCount()).isZero();
            }
        }
    }

    @Test
    void explicitRejectRequeueAndADeferredAcceptOfAStagedFile() throws Exception {
        try (Services.RemoteDir dir = Services.sftpDir(); Services.Database db = Services.postgres()) {
            dir.write("held.txt", "held content");
            dir.write("reject.txt", "reject me");
            dir.write("requeue.txt", "requeue me");
            Queue<Seen> seen = new ConcurrentLinkedQueue<>();
            AtomicReference<Message<?>> held = new AtomicReference<>();
            ListenerConfig config = Services.sftp(dir).maxTries(5).retryTimeout(0.05).workers(2)
                    .coordination(db.coordination("member-ack", Services.randomName("g-"))).build();
            try (Flow f = flow(config, PayloadType.FILE, m -> {
                File file = (File) m.getPayload();
                String content;
                try {
                    content = Files.readString(file.toPath());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
                Seen s = seen(m, file);
                seen.add(s);
                assertThat(content).isEqualTo(s.name().equals("held.txt") ? "held content" : s.name().replace(".txt", "") + " me");
                AcknowledgmentCallback ack = StaticMessageHeaderAccessor.getAcknowledgmentCallback(m);
                switch (s.name()) {
                    case "reject.txt" -> ack.acknowledge(AcknowledgmentCallback.Status.REJECT);
                    case "requeue.txt" -> {
                        if (s.attempt() == 1) {
                            ack.acknowledge(AcknowledgmentCallback.Status.REQUEUE);
                        }
                    }
                    case "held.txt" -> {
                        ack.noAutoAck(); // acknowledged later by the test
                        held.set(m);
                    }
                    default -> throw new AssertionError("unexpected " + s.name());
                }
            })) {
                // The flow returned, but the held file is not committed until it is acknowledged.
                // (Two workers: the held file takes one, the other two files go through the other:
                // the rejected one REJECTED at once, the requeued one FAILED; the poll's batch,
                // and so the retry, waits for the held file.)
                await().atMost(WAIT).until(() -> held.get() != null && f.ledger("REJECTED") == 1 && f.ledger("FAILED") == 1);
                File staged = (File) held.get().getPayload();
                assertThat(staged).exists().hasContent("held content");
                assertThat(f.source().inFlightCount()).isEqualTo(1);
                assertThat(f.ledger("IN_PROGRESS")).isEqualTo(1);
                assertThat(f.ledger("DONE")).isZero();
                // An explicit REJECT is final at its first attempt (maxTries is 5), in the ledger.
                assertThat(db.query("SELECT status, tries FROM ftpcoord_file WHERE path = '" + dir.remote() + "/reject.txt'"))
                        .isEqualTo("REJECTED|1");
                assertThat(db.query("SELECT last_error FROM ftpcoord_file WHERE path = '" + dir.remote() + "/reject.txt'"))
                        .contains("rejected by the flow (REJECT)");

                StaticMessageHeaderAccessor.getAcknowledgmentCallback(held.get()).acknowledge(AcknowledgmentCallback.Status.ACCEPT);
                await().atMost(WAIT).until(() -> f.ledger("DONE") == 2 && f.ledger("REJECTED") == 1);
                assertThat(staged).doesNotExist();
                assertThat(attemptsOf(seen, "requeue.txt")).containsExactly(1, 2);
                assertThat(attemptsOf(seen, "held.txt")).containsExactly(1);
                // Rejected by the flow: never given to it again.
                assertThat(attemptsOf(seen, "reject.txt")).containsExactly(1);
                assertThat(db.query("SELECT status, tries FROM ftpcoord_file WHERE path = '" + dir.remote() + "/reject.txt'"))
                        .isEqualTo("REJECTED|1");
                assertThat(f.source().rejectedCount()).isEqualTo(1);
                assertThat(f.source().committedCount()).isEqualTo(2);
            }
        }
    }

    /**
     * An explicit REJECT is durable and the group's, not one member's: two members in shared
     * mode, both rejecting poison.txt, give it to a flow once in all; a member started later in
     * the group does not give it to its flow either.
     */
    @Test
    void anExplicitRejectIsFinalForEveryMemberInSharedMode() throws Exception {
        try (Services.RemoteDir dir = Services.sftpDir(); Services.Database db = Services.postgres()) {
            String group = Services.randomName("g-");
            dir.write("poison.txt", "poison");
            for (int i = 0; i < 4; i++) {
                dir.write("ok-" + i + ".txt", "ok " + i);
            }
            Queue<Seen> seen = new ConcurrentLinkedQueue<>();
            Consumer<Message<?>> rejectPoison = m -> {
                Seen s = seen(m, null);
                seen.add(s);
                if (s.name().equals("poison.txt")) {
                    StaticMessageHeaderAccessor.getAcknowledgmentCallback(m).acknowledge(AcknowledgmentCallback.Status.REJECT);
                }
            };
            ListenerConfig.Builder base = Services.sftp(dir).maxTries(5).retryTimeout(0.05)
                    .mode(ListenerConfig.Mode.SHARED).workers(2);
            try (Flow a = flow(base.coordination(db.coordination("reject-a", group)).build(), PayloadType.BYTES, rejectPoison);
                    Flow b = flow(base.coordination(db.coordination("reject-b", group)).build(), PayloadType.BYTES, rejectPoison)) {
                await().atMost(WAIT).until(() -> a.ledger("REJECTED") == 1 && a.ledger("DONE") == 4);
                // Retries would come every 50 ms, from either member; a rejected file gets none.
                Thread.sleep(1000);
                assertThat(attemptsOf(seen, "poison.txt")).as("given to one flow, once").containsExactly(1);
                assertThat(a.source().rejectedCount() + b.source().rejectedCount()).isEqualTo(1);
                assertThat(db.query("SELECT status, tries FROM ftpcoord_file WHERE path = '" + dir.remote() + "/poison.txt'"))
                        .isEqualTo("REJECTED|1");
            }
            // A member started later in the group: the rejection holds for it too.
            dir.write("later.txt", "later");
            try (Flow c = flow(base.coordination(db.coordination("reject-c", group)).build(), PayloadType.BYTES, rejectPoison)) {
                await().atMost(WAIT).until(() -> c.ledger("DONE") == 5);
                assertThat(attemptsOf(seen, "later.txt")).containsExactly(1);
                assertThat(attemptsOf(seen, "poison.txt")).containsExactly(1);
                assertThat(c.ledger("REJECTED")).isEqualTo(1);
            }
        }
    }

    @Test
    void aStopGivesAFileInFlightBackWithoutCountingTheAttempt() throws Exception {
        try (Services.RemoteDir dir = Services.sftpDir(); Services.Database db = Services.postgres()) {
            dir.write("long.txt", "long work");
            String group = Services.randomName("g-");
            ListenerConfig config = Services.sftp(dir).retryTimeout(0.05)
                    .coordination(db.coordination("member-stop", group)).build();
            AtomicReference<Message<?>> held = new AtomicReference<>();
            Flow first = flow(config, PayloadType.BYTES, m -> {
                StaticMessageHeaderAccessor.getAcknowledgmentCallback(m).noAutoAck();
                held.set(m);
            });
            try (first) {
                first.source().setStopTimeout(Duration.ofMillis(100));
                await().atMost(WAIT).until(() -> held.get() != null);
                assertThat(held.get().getHeaders().get(FtpcoordHeaders.ATTEMPT)).isEqualTo(1);
            } // the context stops with the file in its flow, never acknowledged
            assertThat(first.source().inFlightCount()).isZero();

            Queue<Seen> seen = new ConcurrentLinkedQueue<>();
            try (Flow second = flow(config, PayloadType.BYTES, m -> seen.add(seen(m, null)))) {
                await().atMost(WAIT).until(() -> second.ledger("DONE") == 1);
                assertThat(attemptsOf(seen, "long.txt")).as("given back: the attempt was not counted").containsExactly(1);
                assertThat(second.ledger("FAILED")).isZero();
            }
        }
    }

    @Test
    void anEventDrivenAdapterSendsEachFileWithoutAPollerAndRetriesAFailure() throws Exception {
        try (Services.RemoteDir dir = Services.sftpDir(); Services.Database db = Services.postgres()) {
            for (int i = 0; i < 6; i++) {
                dir.write("event-" + i + ".txt", "event " + i);
            }
            Queue<Seen> seen = new ConcurrentLinkedQueue<>();
            java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
            ListenerConfig config = Services.sftp(dir).workers(2).retryTimeout(0.05)
                    .coordination(db.coordination("member-ev", Services.randomName("g-"))).build();
            FtpcoordMessageProducerSpec spec = Ftpcoord.inboundChannelAdapter(config).payloadType(PayloadType.BYTES);
            FtpcoordMessageSource inside = spec.getObject().getSource();
            AnnotationConfigApplicationContext ctx = new AnnotationConfigApplicationContext();
            ctx.register(Base.class);
            ctx.registerBean("eventFlow", IntegrationFlow.class, () -> IntegrationFlow.from(spec)
                    .handle((MessageHandler) m -> {
                        Seen s = seen(m, new String((byte[]) m.getPayload(), StandardCharsets.UTF_8));
                        seen.add(s);
                        threads.add(Thread.currentThread().getName());
                        if (s.name().equals("event-3.txt") && s.attempt() == 1) {
                            throw new IllegalStateException("first attempt of event-3 fails");
                        }
                    })
                    .get());
            ctx.refresh();
            try (Flow f = new Flow(ctx, inside)) {
                await().atMost(WAIT).until(() -> f.ledger("DONE") == 6);
                assertThat(seen).hasSize(7);
                assertThat(attemptsOf(seen, "event-3.txt")).containsExactly(1, 2);
                for (int i = 0; i < 6; i++) {
                    String name = "event-" + i + ".txt";
                    assertThat(seen).filteredOn(s -> s.name().equals(name)).extracting(Seen::payload).containsOnly("event " + i);
                }
                assertThat(threads).allMatch(t -> t.startsWith("ftpcoord-producer-"));
                assertThat(inside.committedCount()).isEqualTo(6);
                assertThat(inside.failedCount()).isEqualTo(1);
            }
        }
    }

    /** The name of the acknowledgment header. */
    static final class IntegrationAckHeader {
        static final String NAME = org.springframework.integration.IntegrationMessageHeaderAccessor.ACKNOWLEDGMENT_CALLBACK;
    }
}
