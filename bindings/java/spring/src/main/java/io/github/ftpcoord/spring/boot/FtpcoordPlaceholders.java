package io.github.ftpcoord.spring.boot;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Refuses an {@code ftpcoord.*} value that still holds a {@code ${...}} placeholder. Boot binds
 * a placeholder that nothing resolves as its literal text, so
 * {@code ftpcoord.coordination.member-id=${HOSTNAME}} with HOSTNAME a shell variable that is not
 * exported would make every such member {@code ${HOSTNAME}}: two members with one id, silently.
 */
final class FtpcoordPlaceholders {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}:]*)(?::[^}]*)?}");

    private FtpcoordPlaceholders() {}

    /**
     * Throws {@link FtpcoordPropertyException} when value holds a placeholder. A secret's value is
     * never quoted: the variable is named only when the whole value is one placeholder.
     */
    static void check(String property, String value, boolean secret) {
        if (value == null) {
            return;
        }
        Matcher m = PLACEHOLDER.matcher(value);
        if (!m.find()) {
            return;
        }
        String variable = m.group(1);
        if (secret && !m.group().equals(value)) {
            throw new FtpcoordPropertyException(property, "holds a ${...} placeholder that nothing resolved",
                    "define the placeholder's variable in the environment (export it) or as a property");
        }
        String fix = "define " + variable + " in the environment of the application (export " + variable
                + ") or as a property (--" + variable + "=... or -D" + variable + "=...)";
        if (variable.equals("HOSTNAME")) {
            fix += "; a shell's HOSTNAME is not exported unless you export it (Kubernetes and Docker set it in every container)";
        }
        String problem = secret
                ? "the placeholder ${" + variable + "} was not resolved: nothing defines " + variable
                : "'" + value + "' holds the placeholder ${" + variable + "}, which nothing resolved: no environment variable or property " + variable;
        throw new FtpcoordPropertyException(property, problem, fix + ", or set " + property + " to the value itself");
    }
}
