package io.github.ftpcoord;

/**
 * A listener configuration is invalid; {@link #field()} names the field at fault
 * with Ballerina's name as a JSON path, e.g. {@code port} or
 * {@code coordination.databaseConfig.host}.
 */
public class FtpConfigException extends FtpException {
    private static final long serialVersionUID = 1L;

    private final String field;

    public FtpConfigException(String field, String message) {
        super(message, Native.INVALID_ARG);
        this.field = field;
    }

    /** The field at fault, or an empty string when the error names none. */
    public String field() {
        return field;
    }

    /** Makes the exception for a message of the library ("listener config: port: ..."). */
    static FtpConfigException fromNative(String message) {
        String m = message == null ? "ftpcoord: invalid listener configuration" : message;
        String rest = m.startsWith("listener config: ") ? m.substring("listener config: ".length()) : m;
        String field = "";
        java.util.regex.Matcher u = java.util.regex.Pattern.compile("unknown field \"([^\"]+)\"").matcher(m);
        int colon = rest.indexOf(": ");
        if (u.find()) {
            field = u.group(1);
        } else if (colon > 0 && rest.substring(0, colon).matches("[A-Za-z0-9_.\\[\\]]+")
                && !rest.startsWith("json:") && !rest.startsWith("line ")) {
            field = rest.substring(0, colon);
        }
        return new FtpConfigException(field, m);
    }
}
