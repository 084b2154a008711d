package io.github.ftpcoord;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.lang.reflect.Type;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.xml.sax.SAXParseException;

/**
 * Reads a file's content as ballerina/ftp's typed methods take it, with the JDK alone: text
 * (UTF-8), JSON (maps, lists, strings, {@code Long}, {@code Double}, booleans, null; or bound to
 * a record or class), XML (a DOM {@link Document}; DTDs and external entities refused) and CSV
 * (the first record is the header; rows as {@code String[]} or bound to a record or class by
 * the header's names, whole or as a stream). Content that cannot be read or bound throws
 * {@link ContentBindingException}. The service methods of a {@link FtpListener} and the Spring
 * adapter's typed payloads use it; it is public for hosts that route files themselves.
 */
public final class Content {
    private static final System.Logger LOG = System.getLogger("io.github.ftpcoord");

    private final boolean laxDataBinding;
    private final CsvFailSafe csvFailSafe;

    /**
     * @param laxDataBinding Ballerina's {@code laxDataBinding}: members missing from the content are left unset
     * @param csvFailSafe    Ballerina's {@code csvFailSafe}: null for off (a malformed row fails the file)
     */
    public Content(boolean laxDataBinding, CsvFailSafe csvFailSafe) {
        this.laxDataBinding = laxDataBinding;
        this.csvFailSafe = csvFailSafe;
    }

    /** The content read by the listener's configuration ({@code laxDataBinding}, {@code csvFailSafe}). */
    public static Content of(ListenerConfig config) {
        return new Content(config.laxDataBinding(), config.csvFailSafe());
    }

    /** The whole content as UTF-8 text; bytes that are not UTF-8 are an error. */
    public String text(FileInfo file, InputStream in) throws IOException {
        byte[] b = in.readAllBytes();
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            throw new ContentBindingException(file.path(), 0, "is not UTF-8 text", e);
        }
    }

    /** The JSON value: a Map, List, String, Long, Double, Boolean or null. */
    public Object json(FileInfo file, InputStream in) throws IOException {
        String t = text(file, in);
        try {
            return Json.read(t);
        } catch (IllegalArgumentException e) {
            throw new ContentBindingException(file.path(), 0, "is not JSON: " + e.getMessage(), null);
        }
    }

    /** The JSON content bound to a type (a record, a class, a List or Map of them...). */
    public Object json(FileInfo file, InputStream in, Type type) throws IOException {
        return bind(file, 0, json(file, in), type);
    }

    /** The XML content as a DOM document, namespace-aware; a DOCTYPE is refused (no XXE). */
    public Document xml(FileInfo file, InputStream in) throws IOException {
        DocumentBuilder b;
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setNamespaceAware(true);
            f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            f.setXIncludeAware(false);
            f.setExpandEntityReferences(false);
            b = f.newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("ftpcoord: the JDK's XML parser cannot be configured safely", e);
        }
        b.setErrorHandler(null);
        try {
            return b.parse(in);
        } catch (SAXParseException e) {
            throw new ContentBindingException(file.path(), Math.max(0, e.getLineNumber()), "is not well-formed XML: "
                    + e.getMessage(), null);
        } catch (org.xml.sax.SAXException e) {
            throw new ContentBindingException(file.path(), 0, "is not XML: " + e.getMessage(), null);
        }
    }

    /** Every row after the header, as text. */
    public String[][] csv(FileInfo file, InputStream in) throws IOException {
        List<String[]> rows = new ArrayList<>();
        try (Stream<String[]> s = csvStream(file, in)) {
            s.forEach(rows::add);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return rows.toArray(String[][]::new);
    }

    /** Every row after the header, bound to {@code type} by the header's names. */
    public <T> List<T> csv(FileInfo file, InputStream in, Class<T> type) throws IOException {
        List<T> rows = new ArrayList<>();
        try (Stream<T> s = csvStream(file, in, type)) {
            s.forEach(rows::add);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return rows;
    }

    /**
     * The rows after the header, read as the stream is consumed (the file is never held whole);
     * a malformed row throws {@link ContentBindingException} from the stream (or, with
     * {@code csvFailSafe}, is skipped and logged); a read error throws {@link UncheckedIOException}.
     */
    public Stream<String[]> csvStream(FileInfo file, InputStream in) {
        return rows(file, in, (row, header) -> row.fields());
    }

    /** As {@link #csvStream(FileInfo, InputStream)}, each row bound to {@code type}. */
    public <T> Stream<T> csvStream(FileInfo file, InputStream in, Class<T> type) {
        return csvStreamOf(file, in, type);
    }

    @SuppressWarnings("unchecked")
    <T> Stream<T> csvStreamOf(FileInfo file, InputStream in, Type type) {
        return rows(file, in, (row, header) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = 0; i < header.length; i++) {
                m.put(header[i], row.fields()[i]);
            }
            return (T) bind(file, row.line(), m, type);
        });
    }

    private interface RowMapper<T> {
        T map(Csv.Row row, String[] header) throws ContentBindingException;
    }

    private <T> Stream<T> rows(FileInfo file, InputStream in, RowMapper<T> mapper) {
        Csv csv = new Csv(new InputStreamReader(in, StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)));
        Iterator<T> it = new Iterator<>() {
            String[] header;
            T next;
            boolean done;

            @Override
            public boolean hasNext() {
                while (next == null && !done) {
                    advance();
                }
                return next != null;
            }

            @Override
            public T next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                T t = next;
                next = null;
                return t;
            }

            private void advance() {
                Csv.Row row;
                try {
                    row = csv.next();
                } catch (Csv.MalformedException e) {
                    skipOrThrow(file, e.line(), e.reason(), e.raw(), header == null);
                    return;
                } catch (CharacterCodingException e) {
                    done = true;
                    throw new ContentBindingException(file.path(), 0, "is not UTF-8 text", e);
                } catch (IOException e) {
                    done = true;
                    throw new UncheckedIOException(e);
                }
                if (row == null) {
                    done = true;
                    return;
                }
                if (header == null) {
                    header = row.fields();
                    return;
                }
                if (row.fields().length != header.length) {
                    skipOrThrow(file, row.line(), row.fields().length + " fields, the header has " + header.length, row.raw(), false);
                    return;
                }
                try {
                    next = mapper.map(row, header);
                } catch (ContentBindingException e) {
                    if (csvFailSafe == null) {
                        done = true;
                        throw e;
                    }
                    skipped(file, row.line(), e.getMessage(), row.raw());
                }
            }

            private void skipOrThrow(FileInfo f, long line, String reason, String raw, boolean isHeader) {
                if (csvFailSafe == null || isHeader) {
                    done = true;
                    throw new ContentBindingException(f.path(), line, (isHeader ? "the header: " : "") + reason, null);
                }
                skipped(f, line, reason, raw);
            }
        };
        // The listener owns the content stream and closes it after the method returns.
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false);
    }

    private void skipped(FileInfo file, long line, String reason, String raw) {
        String meta = "file " + file.path() + " line " + line + " (" + reason + ")";
        String msg = switch (csvFailSafe) {
            case METADATA -> meta;
            case RAW -> raw;
            case RAW_AND_METADATA -> meta + ": " + raw;
        };
        LOG.log(System.Logger.Level.WARNING, "ftpcoord: csvFailSafe skipped a malformed CSV row: " + msg);
    }

    private Object bind(FileInfo file, long line, Object value, Type type) throws ContentBindingException {
        try {
            return new Binder(laxDataBinding).bind(value, type, "");
        } catch (Binder.BindingException e) {
            throw new ContentBindingException(file.path(), line, "does not bind to " + Binder.rawClass(type).getSimpleName()
                    + ": " + e.getMessage(), null);
        }
    }
}
