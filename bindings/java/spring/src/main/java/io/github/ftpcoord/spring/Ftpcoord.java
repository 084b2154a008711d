package io.github.ftpcoord.spring;

import io.github.ftpcoord.ListenerConfig;

/**
 * The Java DSL entry points: {@link #inboundAdapter} (a polled message source) and
 * {@link #inboundChannelAdapter} (event-driven).
 *
 * <pre>{@code
 * @Bean
 * IntegrationFlow invoices(ListenerConfig config, TaskExecutor executor) {
 *     return IntegrationFlow
 *             .from(Ftpcoord.inboundAdapter(config).payloadType(PayloadType.BYTES),
 *                   e -> e.poller(Pollers.fixedDelay(Duration.ofMillis(200)).taskExecutor(executor)))
 *             .handle(invoiceService, "store")      // throw to retry; return to commit
 *             .get();
 * }
 * }</pre>
 */
public final class Ftpcoord {
    private Ftpcoord() {}

    /**
     * An inbound adapter (a polled message source) over a listener with this configuration;
     * the configuration is checked now.
     */
    public static FtpcoordMessageSourceSpec inboundAdapter(ListenerConfig config) {
        return new FtpcoordMessageSourceSpec(config);
    }

    /**
     * An event-driven inbound channel adapter (no poller: {@code workers} threads send each
     * claimed file into the flow) over a listener with this configuration, checked now:
     * {@code IntegrationFlow.from(Ftpcoord.inboundChannelAdapter(config))}.
     */
    public static FtpcoordMessageProducerSpec inboundChannelAdapter(ListenerConfig config) {
        return new FtpcoordMessageProducerSpec(config);
    }
}
