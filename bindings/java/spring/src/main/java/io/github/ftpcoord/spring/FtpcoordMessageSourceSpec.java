package io.github.ftpcoord.spring;

import io.github.ftpcoord.ListenerConfig;
import java.nio.file.Path;
import java.time.Duration;
import org.springframework.integration.dsl.MessageSourceSpec;

/** The Java DSL spec of {@link FtpcoordMessageSource}; start from {@link Ftpcoord#inboundAdapter}. */
public class FtpcoordMessageSourceSpec extends MessageSourceSpec<FtpcoordMessageSourceSpec, FtpcoordMessageSource> {

    protected FtpcoordMessageSourceSpec(ListenerConfig config) {
        this.target = new FtpcoordMessageSource(config);
    }

    /** The payload: INPUT_STREAM (default), BYTES or FILE. */
    public FtpcoordMessageSourceSpec payloadType(PayloadType payloadType) {
        this.target.setPayloadType(payloadType);
        return this;
    }

    /** Where FILE payloads are staged (default: java.io.tmpdir). */
    public FtpcoordMessageSourceSpec stagingDirectory(Path directory) {
        this.target.setStagingDirectory(directory);
        return this;
    }

    /** How long one receive waits for a file (default 0). */
    public FtpcoordMessageSourceSpec receiveTimeout(Duration timeout) {
        this.target.setReceiveTimeout(timeout);
        return this;
    }

    /** How long stop waits for the flows in progress (default 30 s). */
    public FtpcoordMessageSourceSpec stopTimeout(Duration timeout) {
        this.target.setStopTimeout(timeout);
        return this;
    }
}
