package io.github.ftpcoord;

import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.stream.Stream;
import org.w3c.dom.Document;

/**
 * Which typed method of a service takes which kind of file, found once at attach: a method named
 * as Ballerina's ({@code onFileText}, {@code onFileJson}, {@code onFileXml}, {@code onFileCsv})
 * taking the content, the {@link FileInfo} and optionally the {@link Caller}, as Ballerina's
 * Caller is optional. The content's declared type chooses the binding, as Ballerina's parameter
 * type does: {@code onFileJson(Order, ...)} binds the JSON to {@code Order};
 * {@code onFileCsv(List<Employee>, ...)}, {@code Employee[]} or {@code Stream<Employee>} binds
 * each row, {@code String[][]}, {@code List<String[]>} or {@code Stream<String[]>} gives the
 * rows as text.
 */
final class ContentRoutes {
    private record Route(Method method, Type content, boolean withCaller) {}

    private final Map<ContentKind, Route> routes = new EnumMap<>(ContentKind.class);
    /** {@link FileNamePattern}s, in the order of ContentKind (FILE last): the first match routes. */
    private final Map<ContentKind, Pattern> patterns = new EnumMap<>(ContentKind.class);

    static ContentRoutes of(Service service) {
        ContentRoutes r = new ContentRoutes();
        for (Method m : service.getClass().getMethods()) {
            if (m.getName().equals("onFile") && m.getDeclaringClass() != Service.class && !m.isBridge()) {
                r.pattern(ContentKind.FILE, m);
            }
        }
        for (ContentKind k : ContentKind.values()) {
            if (k == ContentKind.FILE) {
                continue; // onFile has its own, streamed, path
            }
            List<Method> found = new ArrayList<>();
            for (Method m : service.getClass().getMethods()) {
                if (m.getName().equals(k.method()) && !m.isBridge() && m.getDeclaringClass() != Service.class && shape(m)) {
                    found.add(m);
                }
            }
            if (found.size() > 1) {
                throw new IllegalArgumentException("the service has " + found.size() + " " + k.method()
                        + " methods (" + found + "): keep one, it decides how the content is bound");
            }
            if (found.size() == 1) {
                Method m = found.get(0);
                Type t = m.getGenericParameterTypes()[0];
                check(k, m, t);
                accessible(m);
                r.routes.put(k, new Route(m, t, m.getParameterCount() == 3));
                r.pattern(k, m);
            }
        }
        return r;
    }

    private void pattern(ContentKind k, Method m) {
        FileNamePattern p = m.getAnnotation(FileNamePattern.class);
        if (p == null) {
            return;
        }
        try {
            patterns.put(k, Pattern.compile(p.value()));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(m.getName() + ": @FileNamePattern(\"" + p.value() + "\") is not a valid Java regular expression: "
                    + e.getDescription());
        }
    }

    /** An anonymous or package-private service class: its public methods still need it. */
    private static void accessible(Method m) {
        try {
            m.setAccessible(true);
        } catch (RuntimeException e) { // InaccessibleObjectException: a named module that does not open the package
            throw new IllegalArgumentException(m + ": not accessible to io.github.ftpcoord (" + e.getMessage()
                    + "); make the service class public or open its package to io.github.ftpcoord", e);
        }
    }

    /**
     * The kind a file is routed as: the first {@link FileNamePattern} its name matches, else its
     * extension, as Ballerina: annotation first, then extension.
     */
    ContentKind kindOf(FileInfo file) {
        for (Map.Entry<ContentKind, Pattern> e : patterns.entrySet()) {
            if (file.name() != null && e.getValue().matcher(file.name()).matches()) {
                return e.getKey();
            }
        }
        return ContentKind.of(file);
    }

    private static boolean shape(Method m) {
        Class<?>[] p = m.getParameterTypes();
        return (p.length == 2 || p.length == 3) && p[1] == FileInfo.class && (p.length == 2 || p[2] == Caller.class);
    }

    private static void check(ContentKind k, Method m, Type t) {
        Class<?> raw = Binder.rawClass(t);
        String bad = switch (k) {
            case TEXT -> raw == String.class ? null : "takes a String";
            case XML -> raw == Document.class ? null : "takes an org.w3c.dom.Document";
            case CSV -> raw == String[][].class || raw.isArray() || raw == List.class || raw == Stream.class ? null
                    : "takes String[][], a List, an array or a Stream of rows";
            default -> null;
        };
        if (bad != null) {
            throw new IllegalArgumentException(m + ": " + k.method() + " " + bad);
        }
    }

    boolean any() {
        return !routes.isEmpty();
    }

    boolean has(ContentKind k) {
        return routes.containsKey(k);
    }

    /** Reads the content as the method's parameter asks and calls it; the method's exception passes through. */
    void deliver(Service s, ContentKind k, FileInfo file, InputStream in, Caller caller, Content content) throws Exception {
        Route r = routes.get(k);
        Object value = switch (k) {
            case TEXT -> content.text(file, in);
            case JSON -> Binder.rawClass(r.content()) == Object.class ? content.json(file, in) : content.json(file, in, r.content());
            case XML -> content.xml(file, in);
            case CSV -> csv(r.content(), file, in, content);
            case FILE -> throw new IllegalStateException("onFile is not a typed route");
        };
        try {
            if (r.withCaller()) {
                r.method().invoke(s, value, file, caller);
            } else {
                r.method().invoke(s, value, file);
            }
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            if (t instanceof Exception ex) {
                throw ex;
            }
            throw (Error) t;
        }
    }

    private static Object csv(Type t, FileInfo file, InputStream in, Content content) throws java.io.IOException {
        Class<?> raw = Binder.rawClass(t);
        if (raw == String[][].class) {
            return content.csv(file, in);
        }
        if (raw.isArray()) {
            Class<?> elem = raw.getComponentType();
            List<?> rows = content.csvStreamOf(file, in, elem).toList();
            Object a = java.lang.reflect.Array.newInstance(elem, rows.size());
            for (int i = 0; i < rows.size(); i++) {
                java.lang.reflect.Array.set(a, i, rows.get(i));
            }
            return a;
        }
        Type elem = t instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : String[].class;
        boolean text = Binder.rawClass(elem) == String[].class;
        Stream<?> rows = text ? content.csvStream(file, in) : content.csvStreamOf(file, in, elem);
        return raw == Stream.class ? rows : new ArrayList<>(rows.toList());
    }
}
