package io.github.ftpcoord;

import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Binds a JSON value (Map, List, String, Long, Double, Boolean, null) or a CSV row (header to
 * text) to a Java type with the JDK alone, as Ballerina binds content to a record type: a
 * record by its components, another class by its fields (a no-argument constructor needed);
 * names match exactly; fields of the content the type lacks are ignored. Strict by default, as
 * Ballerina's {@code laxDataBinding = false}: a member missing from the content or null there
 * is an error naming it; lax binding leaves it null (0, false for primitives). Numbers convert
 * only without loss; from CSV text, numbers, booleans and enum constants are parsed.
 */
final class Binder {
    private final boolean lax;

    Binder(boolean lax) {
        this.lax = lax;
    }

    /** Thrown with the member path at fault, e.g. {@code items[2].price}. */
    static final class BindingException extends Exception {
        private static final long serialVersionUID = 1L;

        BindingException(String message) {
            super(message);
        }
    }

    Object bind(Object value, Type type, String where) throws BindingException {
        Class<?> raw = rawClass(type);
        if (value == null) {
            if (raw.isPrimitive()) {
                throw new BindingException(where + ": null for a " + raw.getName());
            }
            return null;
        }
        if (raw == Object.class) {
            return value;
        }
        if (raw == String.class) {
            if (value instanceof String s) {
                return s;
            }
            throw mismatch(where, "a string", value);
        }
        if (raw == boolean.class || raw == Boolean.class) {
            if (value instanceof Boolean b) {
                return b;
            }
            if (value instanceof String s) {
                String t = s.trim().toLowerCase(Locale.ROOT);
                if (t.equals("true") || t.equals("false")) {
                    return Boolean.valueOf(t);
                }
            }
            throw mismatch(where, "true or false", value);
        }
        if (Number.class.isAssignableFrom(box(raw))) {
            return number(value, box(raw), where);
        }
        if (raw.isEnum()) {
            if (value instanceof String s) {
                for (Object c : raw.getEnumConstants()) {
                    if (((Enum<?>) c).name().equals(s.trim())) {
                        return c;
                    }
                }
            }
            throw mismatch(where, "one of " + List.of(raw.getEnumConstants()), value);
        }
        if (List.class.isAssignableFrom(raw) && raw.isAssignableFrom(ArrayList.class)) {
            if (!(value instanceof List<?> l)) {
                throw mismatch(where, "an array", value);
            }
            Type elem = type instanceof ParameterizedType p ? p.getActualTypeArguments()[0] : Object.class;
            List<Object> out = new ArrayList<>(l.size());
            for (int i = 0; i < l.size(); i++) {
                out.add(bind(l.get(i), elem, where + "[" + i + "]"));
            }
            return out;
        }
        if (Map.class.isAssignableFrom(raw) && raw.isAssignableFrom(LinkedHashMap.class)) {
            if (!(value instanceof Map<?, ?> m)) {
                throw mismatch(where, "an object", value);
            }
            Type v = type instanceof ParameterizedType p ? p.getActualTypeArguments()[1] : Object.class;
            Map<String, Object> out = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                out.put(String.valueOf(e.getKey()), bind(e.getValue(), v, where + "." + e.getKey()));
            }
            return out;
        }
        if (!(value instanceof Map<?, ?> m)) {
            throw mismatch(where, "an object for " + raw.getSimpleName(), value);
        }
        return raw.isRecord() ? record(m, raw, where) : pojo(m, raw, where);
    }

    private Object record(Map<?, ?> m, Class<?> raw, String where) throws BindingException {
        RecordComponent[] rc = raw.getRecordComponents();
        Class<?>[] types = new Class<?>[rc.length];
        Object[] args = new Object[rc.length];
        for (int i = 0; i < rc.length; i++) {
            types[i] = rc[i].getType();
            args[i] = member(m, rc[i].getName(), rc[i].getGenericType(), rc[i].getType(), where);
        }
        try {
            Constructor<?> c = raw.getDeclaredConstructor(types);
            c.setAccessible(true);
            return c.newInstance(args);
        } catch (ReflectiveOperationException | RuntimeException e) {
            Throwable t = e instanceof java.lang.reflect.InvocationTargetException ite ? ite.getCause() : e;
            throw new BindingException(where + ": " + raw.getSimpleName() + " refused the values: " + t);
        }
    }

    private Object pojo(Map<?, ?> m, Class<?> raw, String where) throws BindingException {
        Object o;
        try {
            Constructor<?> c = raw.getDeclaredConstructor();
            c.setAccessible(true);
            o = c.newInstance();
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new BindingException(where + ": " + raw.getName()
                    + " is neither a record nor a class with a no-argument constructor");
        }
        for (Class<?> k = raw; k != null && k != Object.class; k = k.getSuperclass()) {
            for (Field f : k.getDeclaredFields()) {
                int mod = f.getModifiers();
                if (Modifier.isStatic(mod) || Modifier.isTransient(mod) || f.isSynthetic()) {
                    continue;
                }
                Object v = member(m, f.getName(), f.getGenericType(), f.getType(), where);
                try {
                    f.setAccessible(true);
                    f.set(o, v);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new BindingException(where + "." + f.getName() + ": cannot be set: " + e);
                }
            }
        }
        return o;
    }

    private Object member(Map<?, ?> m, String name, Type type, Class<?> raw, String where) throws BindingException {
        String at = where.isEmpty() ? name : where + "." + name;
        Object v = m.get(name);
        if (v == null || (v instanceof String s && s.isEmpty() && !(raw == String.class))) {
            if (!lax) {
                throw new BindingException(at + ": " + (m.containsKey(name) ? "is empty" : "is missing")
                        + " (laxDataBinding = true leaves it unset)");
            }
            return raw.isPrimitive() ? zero(raw) : null;
        }
        return bind(v, type, at);
    }

    private static Object number(Object value, Class<?> want, String where) throws BindingException {
        BigDecimal d;
        try {
            if (value instanceof String s) {
                d = new BigDecimal(s.trim());
            } else if (value instanceof Long l) {
                d = BigDecimal.valueOf(l);
            } else if (value instanceof Double x) {
                d = new BigDecimal(Double.toString(x));
            } else if (value instanceof Number n) {
                d = new BigDecimal(n.toString());
            } else {
                throw mismatch(where, "a number", value);
            }
        } catch (NumberFormatException e) {
            throw mismatch(where, "a number", value);
        }
        try {
            if (want == BigDecimal.class) {
                return d;
            }
            if (want == Double.class) {
                return d.doubleValue();
            }
            if (want == Float.class) {
                return d.floatValue();
            }
            if (want == BigInteger.class) {
                return d.toBigIntegerExact();
            }
            if (want == Long.class) {
                return d.longValueExact();
            }
            if (want == Integer.class) {
                return d.intValueExact();
            }
            if (want == Short.class) {
                return d.shortValueExact();
            }
            if (want == Byte.class) {
                return d.byteValueExact();
            }
        } catch (ArithmeticException e) {
            throw new BindingException(where + ": " + d + " does not fit a " + want.getSimpleName());
        }
        throw new BindingException(where + ": unsupported number type " + want.getName());
    }

    private static BindingException mismatch(String where, String want, Object got) {
        String kind = got instanceof String ? "a string" : got instanceof Map ? "an object" : got instanceof List ? "an array"
                : got instanceof Boolean ? "a boolean" : got instanceof Number ? "a number" : got.getClass().getSimpleName();
        // The value itself is not shown: it is content, which may be confidential.
        return new BindingException((where.isEmpty() ? "the content" : where) + ": want " + want + ", got " + kind);
    }

    static Class<?> rawClass(Type t) {
        if (t instanceof Class<?> c) {
            return c;
        }
        if (t instanceof ParameterizedType p) {
            return (Class<?>) p.getRawType();
        }
        return Object.class;
    }

    private static Class<?> box(Class<?> c) {
        if (!c.isPrimitive()) {
            return c;
        }
        return c == int.class ? Integer.class : c == long.class ? Long.class : c == double.class ? Double.class
                : c == float.class ? Float.class : c == short.class ? Short.class : c == byte.class ? Byte.class
                : c == boolean.class ? Boolean.class : Character.class;
    }

    private static Object zero(Class<?> c) {
        // Not a ?: chain: that would promote every number to double.
        Map<Class<?>, Object> zeros = Map.of(boolean.class, Boolean.FALSE, int.class, 0, long.class, 0L, double.class, 0.0,
                float.class, 0f, short.class, (short) 0, byte.class, (byte) 0, char.class, '\0');
        return zeros.get(c);
    }
}
