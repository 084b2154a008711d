package io.github.ftpcoord.spring.boot;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

/**
 * The {@code ftpcoord.*} names {@link FtpcoordProperties} binds, and the check that every
 * {@code ftpcoord.*} property an application sets is one of them: Boot ignores an unknown name,
 * so a misspelt one ({@code ftpcoord.polling-intervall}) would silently leave its default.
 *
 * <p>The names come from {@link FtpcoordProperties}' fields, so a property added there is known
 * here. Environment variables are not checked ({@code FTPCOORD_*} variables also belong to the
 * {@code ftpcoord} command and to scripts), nor is the core's own
 * {@code ftpcoord.library.*} system property.
 */
final class FtpcoordPropertyNames {
    private static final ConfigurationPropertyName ROOT = ConfigurationPropertyName.of("ftpcoord");
    private static final ConfigurationPropertyName LIBRARY = ConfigurationPropertyName.of("ftpcoord.library");

    /** Names below which any name binds (maps, lists); filled with KNOWN, so declared before it. */
    private static final Set<ConfigurationPropertyName> OPEN = new LinkedHashSet<>();
    /** Every leaf name, in Spring's kebab-case ({@code ftpcoord.coordination.member-id}). */
    static final List<String> KNOWN = List.copyOf(names(FtpcoordProperties.class, "ftpcoord"));
    private static final Set<ConfigurationPropertyName> KNOWN_NAMES = parse(KNOWN);

    private FtpcoordPropertyNames() {}

    /** Throws {@link FtpcoordPropertyException} for the first {@code ftpcoord.*} property that nothing binds. */
    static void check(Environment environment) {
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            Object underlying = source.getUnderlyingSource();
            if (!(source instanceof IterableConfigurationPropertySource iterable)
                    || underlying instanceof SystemEnvironmentPropertySource) {
                continue;
            }
            iterable.stream().filter(ROOT::isAncestorOf).filter(n -> !isKnown(n)).findFirst().ifPresent(n -> {
                throw unknown(n, source.getConfigurationProperty(n));
            });
        }
    }

    /** The element type of a List field of ftpcoord's own classes (whose names are checked), else null. */
    private static Class<?> listOfOurs(Field f) {
        if (java.util.List.class.isAssignableFrom(f.getType())
                && f.getGenericType() instanceof java.lang.reflect.ParameterizedType pt
                && pt.getActualTypeArguments()[0] instanceof Class<?> c && c.getName().startsWith("io.github.ftpcoord.")) {
            return c;
        }
        return null;
    }

    /** The name with every list index 0, as KNOWN names list elements (services[2].path: services[0].path). */
    private static ConfigurationPropertyName indexZero(ConfigurationPropertyName name) {
        return ConfigurationPropertyName.adapt(name.toString().replaceAll("\\[\\d+]", "[0]"), '.');
    }

    private static boolean isKnown(ConfigurationPropertyName given) {
        ConfigurationPropertyName name = indexZero(given);
        if (KNOWN_NAMES.contains(name) || LIBRARY.isAncestorOf(name) || OPEN.stream().anyMatch(o -> o.isAncestorOf(name))) {
            return true;
        }
        // A parent set empty (YAML "auth:" with nothing under it) names no value.
        return KNOWN_NAMES.stream().anyMatch(name::isAncestorOf);
    }

    private static FtpcoordPropertyException unknown(ConfigurationPropertyName name, ConfigurationProperty property) {
        String where = property != null && property.getOrigin() != null ? " (set in " + property.getOrigin() + ")" : "";
        String close = closest(indexZero(name).toString());
        if (close != null) { // the user's own indices, in order, for the known name's [0]s
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\[\\d+]").matcher(name.toString());
            StringBuilder b = new StringBuilder();
            int from = 0;
            for (int at = close.indexOf("[0]"); at >= 0 && m.find(); at = close.indexOf("[0]", from)) {
                b.append(close, from, at).append(m.group());
                from = at + 3;
            }
            close = b.append(close.substring(from)).toString();
        }
        String fix = close != null
                ? "did you mean " + close + "? Rename the property"
                : "remove it or correct its name: the ftpcoord.* properties are listed in docs/spring.md (Properties)";
        return new FtpcoordPropertyException(name.toString(), "no such ftpcoord property" + where, fix);
    }

    /** The known name nearest to name, if it is near enough to be a misspelling of it. */
    static String closest(String name) {
        String u = uniform(name);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : KNOWN) {
            int d = distance(u, uniform(k));
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        int leaf = u.length() - u.lastIndexOf('.') - 1;
        return bestDistance <= Math.max(2, leaf / 3) ? best : null;
    }

    private static String uniform(String name) {
        return name.toLowerCase(Locale.ROOT).replace("-", "").replace("_", "");
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /**
     * The leaf names of type's fields. A field of a type of this project that is not an enum is
     * a group of properties; a map or a collection takes any name below its own.
     */
    private static List<String> names(Class<?> type, String prefix) {
        List<String> out = new ArrayList<>();
        for (Field f : type.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) || f.isSynthetic()) {
                continue;
            }
            String name = prefix + "." + FtpcoordPropertyException.kebab(f.getName());
            Class<?> t = f.getType();
            Class<?> element = listOfOurs(f);
            if (!t.isPrimitive() && !t.isEnum() && !t.isArray() && t.getName().startsWith("io.github.ftpcoord.")) {
                out.addAll(names(t, name));
            } else if (element != null) {
                // services[n], file-dependency-conditions[n]: their names, checked at index 0 (see indexZero).
                out.addAll(names(element, name + "[0]"));
            } else {
                out.add(name);
                if (java.util.Map.class.isAssignableFrom(t) || java.util.Collection.class.isAssignableFrom(t) || t.isArray()) {
                    OPEN.add(ConfigurationPropertyName.of(name));
                }
            }
        }
        return out;
    }


    private static Set<ConfigurationPropertyName> parse(List<String> names) {
        Set<ConfigurationPropertyName> out = new LinkedHashSet<>();
        for (String n : names) {
            out.add(ConfigurationPropertyName.of(n));
        }
        return out;
    }
}
