package io.github.ftpcoord.spring;

import io.github.ftpcoord.ListenerConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.integration.StaticMessageHeaderAccessor;
import org.springframework.integration.acks.AckUtils;
import org.springframework.integration.acks.AcknowledgmentCallback;
import org.springframework.integration.endpoint.MessageProducerSupport;
import org.springframework.messaging.Message;

/**
 * The event-driven form of the adapter: no poller; {@code workers} threads of its own each send
 * the next file into the flow as soon as the listener claims it, with the same messages,
 * headers and acknowledgments as {@link FtpcoordMessageSource} (which it runs inside): the flow
 * returns, the file is committed; it throws, the attempt fails and is retried; the flow may
 * acknowledge itself or take the acknowledgment over ({@code noAutoAck}).
 *
 * <p>With an error channel, Spring Integration's convention holds: an error that the error flow
 * handles without throwing counts as processed (committed); rethrow from the error flow to
 * retry the file.
 *
 * <pre>{@code
 * IntegrationFlow.from(Ftpcoord.inboundChannelAdapter(config).payloadType(PayloadType.BYTES))
 *         .handle(...)
 *         .get();
 * }</pre>
 */
public class FtpcoordMessageProducer extends MessageProducerSupport {
    private static final AtomicInteger PRODUCERS = new AtomicInteger();

    private final FtpcoordMessageSource source;
    private final int threads;
    private final int number = PRODUCERS.incrementAndGet();
    private final List<Thread> senders = new ArrayList<>();
    private volatile boolean sending;

    /** A producer over a listener with this configuration (checked now). */
    public FtpcoordMessageProducer(ListenerConfig config) {
        this.source = new FtpcoordMessageSource(config);
        this.source.setReceiveTimeout(Duration.ofMillis(250));
        this.threads = config.workers();
    }

    /** The source inside: its status, counters and settings (payload type, staging directory...). */
    public FtpcoordMessageSource getSource() {
        return source;
    }

    @Override
    public String getComponentType() {
        return "ftpcoord:message-driven-channel-adapter";
    }

    @Override
    protected void onInit() {
        super.onInit();
        if (getBeanFactory() != null) {
            source.setBeanFactory(getBeanFactory());
        }
        source.afterPropertiesSet();
    }

    @Override
    protected void doStart() {
        source.start();
        sending = true;
        synchronized (senders) {
            for (int i = 0; i < threads; i++) {
                Thread t = new Thread(this::sendLoop, "ftpcoord-producer-" + number + "-" + i);
                senders.add(t);
                t.start();
            }
        }
    }

    /** Lets the flows in progress finish, then stops the listener (see {@link FtpcoordMessageSource#stop()}). */
    @Override
    protected void doStop() {
        sending = false;
        List<Thread> ts;
        synchronized (senders) {
            ts = new ArrayList<>(senders);
            senders.clear();
        }
        for (Thread t : ts) {
            try {
                t.join(30_000); // a flow that never returns does not hold the stop forever
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        source.stop();
    }

    @Override
    public void destroy() {
        super.destroy();
        source.destroy();
    }

    private void sendLoop() {
        while (sending) {
            Message<?> m;
            try {
                m = source.receive();
            } catch (RuntimeException e) {
                // The file could not be read for its message: its attempt already failed.
                logger.warn(e, "ftpcoord: receive failed");
                continue;
            }
            if (m == null) {
                continue;
            }
            AcknowledgmentCallback ack = StaticMessageHeaderAccessor.getAcknowledgmentCallback(m);
            try {
                sendMessage(m);
                AckUtils.autoAck(ack);
            } catch (RuntimeException e) {
                AckUtils.autoNack(ack);
                logger.warn(e, () -> "ftpcoord: the flow failed on " + m.getHeaders().get(FtpcoordHeaders.PATH)
                        + " (attempt " + m.getHeaders().get(FtpcoordHeaders.ATTEMPT) + ")");
            }
        }
    }
}
