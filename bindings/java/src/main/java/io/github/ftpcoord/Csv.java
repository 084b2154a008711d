package io.github.ftpcoord;

import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;

/**
 * An RFC 4180 CSV reader, one record at a time (a file is never held whole): comma-separated
 * fields; a field in double quotes may hold commas, line ends and doubled quotes ({@code ""});
 * records end at CRLF, LF or CR; a UTF-8 byte order mark before the first field is dropped;
 * empty lines are skipped. A quote inside an unquoted field is kept as text; text after a
 * closing quote, or a quote left open at the end of the file, is a malformed record.
 */
public final class Csv {
    /** One record: its fields, the line it starts on (1 is the first) and its text as read. */
    public record Row(String[] fields, long line, String raw) {}

    /** A malformed record: where, why, and its text as far as it was read. */
    public static final class MalformedException extends IOException {
        private static final long serialVersionUID = 1L;
        private final long line;
        private final String reason;
        private final transient String raw;

        MalformedException(long line, String reason, String raw) {
            super("line " + line + ": " + reason);
            this.line = line;
            this.reason = reason;
            this.raw = raw;
        }

        public String reason() {
            return reason;
        }

        public long line() {
            return line;
        }

        /** The record's text (may hold data: log it only where the data may go). */
        public String raw() {
            return raw;
        }
    }

    private final Reader in;
    private long line = 1;
    private int pushed = -2;
    private boolean first = true;

    public Csv(Reader in) {
        this.in = in;
    }

    private int read() throws IOException {
        if (pushed != -2) {
            int c = pushed;
            pushed = -2;
            return c;
        }
        return in.read();
    }

    /**
     * The next record, or null at the end. A malformed record throws {@link MalformedException}
     * after the reader has moved past it, so the caller may go on with the next one.
     */
    public Row next() throws IOException {
        StringBuilder raw = new StringBuilder();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        long start = line;
        String fault = null;
        int c = read();
        if (first) {
            first = false;
            if (c == '\uFEFF') {
                c = read();
            }
        }
        // Skip empty lines between records.
        while (c == '\r' || c == '\n') {
            endOfLine(c);
            start = line;
            c = read();
        }
        if (c == -1) {
            return null;
        }
        boolean quoted = false;     // inside a quoted field
        boolean wasQuoted = false;  // the current field was quoted and its quote closed
        boolean atFieldStart = true;
        for (;; c = read()) {
            if (quoted) {
                if (c == -1) {
                    fault = "a quoted field is not closed before the end of the file";
                    fields.add(field.toString());
                    break;
                }
                raw.append((char) c);
                if (c == '"') {
                    int d = read();
                    if (d == '"') {
                        raw.append('"');
                        field.append('"');
                    } else {
                        quoted = false;
                        wasQuoted = true;
                        pushed = d;
                    }
                } else {
                    if (c == '\n' || c == '\r') {
                        countLineInField(c, field, raw);
                        continue;
                    }
                    field.append((char) c);
                }
                continue;
            }
            if (c == ',') {
                raw.append(',');
                fields.add(field.toString());
                field.setLength(0);
                atFieldStart = true;
                wasQuoted = false;
                continue;
            }
            if (c == -1 || c == '\r' || c == '\n') {
                fields.add(field.toString());
                if (c != -1) {
                    endOfLine(c);
                }
                break;
            }
            raw.append((char) c);
            if (c == '"' && atFieldStart) {
                quoted = true;
                atFieldStart = false;
                continue;
            }
            if (wasQuoted && fault == null) {
                fault = "text after the closing quote of field " + (fields.size() + 1);
            }
            atFieldStart = false;
            field.append((char) c);
        }
        if (fault != null) {
            throw new MalformedException(start, fault, raw.toString());
        }
        return new Row(fields.toArray(String[]::new), start, raw.toString());
    }

    /** A line end inside a quoted field is part of the field, as written (CRLF stays CRLF). */
    private void countLineInField(int c, StringBuilder field, StringBuilder raw) throws IOException {
        field.append((char) c);
        if (c == '\r') {
            int d = read();
            if (d == '\n') {
                field.append('\n');
                raw.append('\n');
            } else {
                pushed = d;
            }
        }
        line++;
    }

    private void endOfLine(int c) throws IOException {
        if (c == '\r') {
            int d = read();
            if (d != '\n') {
                pushed = d;
            }
        }
        line++;
    }
}
