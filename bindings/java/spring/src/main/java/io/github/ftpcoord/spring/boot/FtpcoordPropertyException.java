package io.github.ftpcoord.spring.boot;

import io.github.ftpcoord.FtpConfigException;
import java.util.Locale;

/**
 * An {@code ftpcoord.*} property is invalid: {@link #getProperty()} names it (in Spring's
 * kebab-case form) and {@link #getFix()} says what to set. It fails the application context at
 * start; {@link FtpcoordFailureAnalyzer} prints it as Spring Boot's "APPLICATION FAILED TO
 * START" report. The message never contains a password.
 */
public class FtpcoordPropertyException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final String property;
    private final String problem;
    private final String fix;

    public FtpcoordPropertyException(String property, String problem, String fix) {
        this(property, problem, fix, null);
    }

    public FtpcoordPropertyException(String property, String problem, String fix, Throwable cause) {
        super("Invalid property " + property + ": " + problem + ". Fix: " + fix, cause);
        this.property = property;
        this.problem = problem;
        this.fix = fix;
    }

    /** The property at fault, e.g. {@code ftpcoord.coordination.database-config.port}. */
    public String getProperty() {
        return property;
    }

    public String getProblem() {
        return problem;
    }

    public String getFix() {
        return fix;
    }

    /** The exception for a configuration error of the core (its field is Ballerina's JSON path). */
    static FtpcoordPropertyException from(FtpConfigException e) {
        String field = e.field();
        String property = field == null || field.isEmpty() ? "ftpcoord" : "ftpcoord." + kebab(field);
        String message = String.valueOf(e.getMessage());
        String problem = message;
        for (String prefix : new String[] {"listener config: ", field + ": "}) {
            if (!prefix.equals(": ") && problem.startsWith(prefix)) {
                problem = problem.substring(prefix.length());
            }
        }
        String fix = field == null || field.isEmpty()
                ? "correct the ftpcoord.* properties (see docs/spring.md)"
                : "set " + property + " to a valid value (Ballerina's name: " + field + ")";
        return new FtpcoordPropertyException(property, problem, fix, e);
    }

    /** {@code coordination.databaseConfig.host} to {@code coordination.database-config.host}. */
    static String kebab(String field) {
        StringBuilder b = new StringBuilder(field.length() + 8);
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (Character.isUpperCase(c)) {
                if (i > 0 && field.charAt(i - 1) != '.') {
                    b.append('-');
                }
                b.append(Character.toLowerCase(c));
            } else {
                b.append(c);
            }
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }
}
