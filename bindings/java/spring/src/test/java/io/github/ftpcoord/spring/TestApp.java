package io.github.ftpcoord.spring;

import java.time.Duration;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.integration.dsl.IntegrationFlow;
import org.springframework.integration.dsl.Pollers;
import org.springframework.integration.file.FileHeaders;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/**
 * A Spring Boot application as a user writes one: the ftpcoord.* properties, the
 * auto-configured source, a flow with a poller on a task executor of test.threads threads.
 * The flow records each file in a {@link Recorder} and takes test.work-millis to "process" it.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
public class TestApp {
    /** What one application's flow processed. */
    public static class Recorder {
        public final Queue<String> keys = new ConcurrentLinkedQueue<>();
        public final Queue<String> names = new ConcurrentLinkedQueue<>();
        public final AtomicInteger concurrent = new AtomicInteger();
        public final AtomicInteger maxConcurrent = new AtomicInteger();
        public final Set<String> threads = ConcurrentHashMap.newKeySet();
        /** name=service of each file, the service by the ftpcoord_service header. */
        public final Queue<String> services = new ConcurrentLinkedQueue<>();
    }

    @Bean
    Recorder recorder() {
        return new Recorder();
    }

    @Bean
    ThreadPoolTaskExecutor ftpcoordPollerExecutor(@Value("${test.threads:1}") int threads) {
        ThreadPoolTaskExecutor e = new ThreadPoolTaskExecutor();
        e.setCorePoolSize(threads);
        e.setMaxPoolSize(threads);
        e.setQueueCapacity(0);
        e.setThreadNamePrefix("flow-");
        // A poll that finds every thread busy is skipped: the next one comes 20 ms later.
        e.setRejectedExecutionHandler(new java.util.concurrent.ThreadPoolExecutor.DiscardPolicy());
        return e;
    }

    @Bean
    IntegrationFlow files(FtpcoordMessageSource ftpcoord, ThreadPoolTaskExecutor ftpcoordPollerExecutor, Recorder rec,
            @Value("${test.work-millis:0}") long workMillis, @Value("${test.print:false}") boolean print) {
        return IntegrationFlow
                .from(ftpcoord, e -> e.poller(Pollers.fixedDelay(Duration.ofMillis(20)).maxMessagesPerPoll(1)
                        .taskExecutor(ftpcoordPollerExecutor)))
                .handle(byte[].class, (payload, headers) -> {
                    int now = rec.concurrent.incrementAndGet();
                    rec.maxConcurrent.accumulateAndGet(now, Math::max);
                    rec.threads.add(Thread.currentThread().getName());
                    try {
                        if (workMillis > 0) {
                            Thread.sleep(workMillis); // the work a real flow would do
                        }
                    } catch (InterruptedException ex) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted", ex);
                    } finally {
                        rec.concurrent.decrementAndGet();
                    }
                    rec.keys.add((String) headers.get(FtpcoordHeaders.IDEMPOTENCY_KEY));
                    rec.names.add((String) headers.get(FileHeaders.FILENAME));
                    rec.services.add(headers.get(FileHeaders.FILENAME) + "=" + headers.get(FtpcoordHeaders.SERVICE));
                    if (print) {
                        // For a parent process: the flow finished this file (it is committed next).
                        System.out.println("PROCESSED " + headers.get(FtpcoordHeaders.IDEMPOTENCY_KEY) + " "
                                + headers.get(FileHeaders.FILENAME));
                        System.out.flush();
                    }
                    return null;
                })
                .get();
    }

    /** A separate application process: the properties come as --name=value arguments. */
    public static void main(String[] args) {
        new SpringApplicationBuilder(TestApp.class)
                .web(WebApplicationType.NONE)
                .properties("ftpcoord.payload-type=bytes", "spring.main.banner-mode=off", "test.print=true")
                .run(args);
        System.out.println("STARTED");
        System.out.flush();
    }

    /** Starts the application with these properties (no web server). */
    public static ConfigurableApplicationContext run(Map<String, Object> properties) {
        return new SpringApplicationBuilder(TestApp.class)
                .web(WebApplicationType.NONE)
                .properties(properties)
                .properties("ftpcoord.payload-type=bytes", "spring.main.banner-mode=off")
                .run();
    }
}
