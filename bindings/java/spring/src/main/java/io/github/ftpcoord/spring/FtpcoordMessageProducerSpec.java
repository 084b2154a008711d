package io.github.ftpcoord.spring;

import io.github.ftpcoord.ListenerConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.integration.dsl.MessageProducerSpec;

/** The Java DSL spec of {@link FtpcoordMessageProducer}; start from {@link Ftpcoord#inboundChannelAdapter}. */
public class FtpcoordMessageProducerSpec extends MessageProducerSpec<FtpcoordMessageProducerSpec, FtpcoordMessageProducer> {

    protected FtpcoordMessageProducerSpec(ListenerConfig config) {
        super(new FtpcoordMessageProducer(config));
    }

    /** The payload: INPUT_STREAM (default), BYTES or FILE. */
    public FtpcoordMessageProducerSpec payloadType(PayloadType payloadType) {
        this.target.getSource().setPayloadType(payloadType);
        return this;
    }

    /** Where FILE payloads are staged (default: java.io.tmpdir). */
    public FtpcoordMessageProducerSpec stagingDirectory(Path directory) {
        this.target.getSource().setStagingDirectory(directory);
        return this;
    }

    /** How long stop waits for the flows in progress (default 30 s). */
    public FtpcoordMessageProducerSpec stopTimeout(Duration timeout) {
        this.target.getSource().setStopTimeout(timeout);
        return this;
    }
}
