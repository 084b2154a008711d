package io.github.ftpcoord.spring.boot;

import io.github.ftpcoord.FtpConfigException;
import io.github.ftpcoord.FtpListener;
import io.github.ftpcoord.ListenerConfig;
import io.github.ftpcoord.spring.FtpcoordMessageSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Spring Boot auto-configuration: from the {@code ftpcoord.*} properties, a
 * {@link ListenerConfig} bean and an {@link FtpcoordMessageSource} bean to start a flow from:
 *
 * <pre>{@code
 * @Bean
 * IntegrationFlow files(FtpcoordMessageSource ftpcoord) {
 *     return IntegrationFlow.from(ftpcoord, e -> e.poller(Pollers.fixedDelay(Duration.ofMillis(200))))
 *             .handle(...)
 *             .get();
 * }
 * }</pre>
 *
 * plus a health indicator {@code ftpcoord} when the actuator is on the classpath and Micrometer
 * meters when Micrometer is. {@code ftpcoord.enabled=false} turns it all off. An invalid
 * property, an unknown {@code ftpcoord.*} name or a placeholder nothing resolved fails the
 * context at start with {@link FtpcoordPropertyException}, naming the property and the fix.
 */
@AutoConfiguration
@ConditionalOnClass(FtpListener.class)
@ConditionalOnProperty(prefix = "ftpcoord", name = "enabled", matchIfMissing = true)
@EnableConfigurationProperties(FtpcoordProperties.class)
public class FtpcoordAutoConfiguration {

    /** Fails the start on an ftpcoord.* property that nothing binds (a misspelt name). */
    public FtpcoordAutoConfiguration(Environment environment) {
        FtpcoordPropertyNames.check(environment);
    }

    @Bean
    @ConditionalOnMissingBean
    public ListenerConfig ftpcoordListenerConfig(FtpcoordProperties properties) {
        return properties.toListenerConfig();
    }

    @Bean
    @ConditionalOnMissingBean
    public FtpcoordMessageSource ftpcoordMessageSource(ListenerConfig config, FtpcoordProperties properties) {
        FtpcoordMessageSource source;
        try {
            source = new FtpcoordMessageSource(config);
        } catch (FtpConfigException e) {
            // The native library's own checks (e.g. SFTP without known hosts).
            throw FtpcoordPropertyException.from(e);
        }
        source.setPayloadType(properties.getPayloadType());
        source.setJsonType(properties.getContentJsonType());
        source.setCsvType(properties.getContentCsvType());
        source.setStagingDirectory(properties.getStagingDirectory());
        source.setReceiveTimeout(properties.getReceiveTimeout());
        source.setStopTimeout(properties.getStopTimeout());
        return source;
    }

    /** The health indicator, with the actuator. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "ftpcoordHealthIndicator")
        public FtpcoordHealthIndicator ftpcoordHealthIndicator(FtpcoordMessageSource source) {
            return new FtpcoordHealthIndicator(source);
        }
    }

    /** The meters, with Micrometer. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        public FtpcoordMetrics ftpcoordMetrics(FtpcoordMessageSource source) {
            return new FtpcoordMetrics(source);
        }
    }
}
