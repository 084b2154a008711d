package io.github.ftpcoord.spring.boot;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Prints an invalid {@code ftpcoord.*} property as Spring Boot's start-up failure report. */
public class FtpcoordFailureAnalyzer extends AbstractFailureAnalyzer<FtpcoordPropertyException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, FtpcoordPropertyException cause) {
        return new FailureAnalysis("Invalid ftpcoord property " + cause.getProperty() + ": " + cause.getProblem(),
                "Fix: " + cause.getFix(), cause);
    }
}
