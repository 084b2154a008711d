package io.github.ftpcoord.spring;

import io.github.ftpcoord.ListenerConfig;

/**
 * The Java DSL entry point:
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
}
