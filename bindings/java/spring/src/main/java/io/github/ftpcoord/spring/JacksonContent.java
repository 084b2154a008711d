package io.github.ftpcoord.spring;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import io.github.ftpcoord.ContentBindingException;
import io.github.ftpcoord.FileInfo;

/**
 * JSON content with Jackson, the JSON library Spring applications already have; loaded only
 * when jackson-databind is on the class path ({@link #PRESENT}). Unknown members are ignored,
 * as the JDK binder does; unless {@code laxDataBinding}, a constructor member (a record's
 * component) missing or null is an error, as Ballerina's strict binding.
 */
final class JacksonContent {
    static final boolean PRESENT = present();

    private JacksonContent() {}

    private static boolean present() {
        try {
            Class.forName("com.fasterxml.jackson.databind.ObjectMapper", false, JacksonContent.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    private static final class Mappers {
        static final ObjectMapper STRICT = mapper(false);
        static final ObjectMapper LAX = mapper(true);

        private static ObjectMapper mapper(boolean lax) {
            ObjectMapper m = new ObjectMapper().findAndRegisterModules()
                    .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
            if (!lax) {
                m.configure(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES, true)
                        .configure(DeserializationFeature.FAIL_ON_NULL_CREATOR_PROPERTIES, true)
                        .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);
            }
            return m;
        }
    }

    /** The JSON tree ({@code JsonNode}) when type is null, else the value bound to type. */
    static Object read(FileInfo f, String text, Class<?> type, boolean lax) {
        ObjectMapper m = lax ? Mappers.LAX : Mappers.STRICT;
        try {
            return type == null ? m.readTree(text) : m.readValue(text, type);
        } catch (MismatchedInputException e) {
            // Jackson's own message quotes the content: the member's path and the type it wants only.
            throw new ContentBindingException(f.path(), 0, "does not bind to " + (type == null ? "JSON" : type.getSimpleName())
                    + ": " + path(e) + (e.getTargetType() == null ? "" : ": want " + e.getTargetType().getSimpleName())
                    + " (missing, null or of another type)", null);
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            throw new ContentBindingException(f.path(), at == null ? 0 : at.getLineNr(),
                    "is not JSON" + (at == null ? "" : " (column " + at.getColumnNr() + ")"), null);
        }
    }

    private static String path(MismatchedInputException e) {
        StringBuilder sb = new StringBuilder();
        for (var r : e.getPath()) {
            if (r.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.length() == 0 ? "the content" : sb.toString();
    }
}
