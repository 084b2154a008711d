package io.github.ftpcoord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Operations on the watched server, as ballerina/ftp's Caller, over the
 * listener's own connections. Every method throws {@link FtpException} when the
 * server refuses, and {@link IllegalStateException} once the listener is
 * closed.
 */
public final class Caller {
    private final FtpListener listener;

    Caller(FtpListener listener) {
        this.listener = listener;
    }

    /** The whole content of a (small) file; large files are streamed through {@link Service#onFile}. */
    public byte[] get(String path) {
        String b64 = Json.str(call(req("get", path, null)), "contentBase64");
        return b64 == null ? new byte[0] : Base64.getDecoder().decode(b64);
    }

    /** Writes a file (replacing it). */
    public void put(String path, byte[] content) {
        Map<String, Object> r = req("put", path, null);
        r.put("contentBase64", Base64.getEncoder().encodeToString(content));
        call(r);
    }

    /** Writes a file of UTF-8 text (replacing it). */
    public void put(String path, String text) {
        put(path, text.getBytes(StandardCharsets.UTF_8));
    }

    /** Appends to a file. */
    public void append(String path, byte[] content) {
        Map<String, Object> r = req("append", path, null);
        r.put("contentBase64", Base64.getEncoder().encodeToString(content));
        call(r);
    }

    public void delete(String path) {
        call(req("delete", path, null));
    }

    public void rename(String from, String to) {
        call(req("rename", from, to));
    }

    public void move(String from, String to) {
        call(req("move", from, to));
    }

    public void copy(String from, String to) {
        call(req("copy", from, to));
    }

    public void mkdir(String path) {
        call(req("mkdir", path, null));
    }

    public void rmdir(String path) {
        call(req("rmdir", path, null));
    }

    public List<FileInfo> list(String path) {
        List<FileInfo> out = new ArrayList<>();
        for (Object o : Json.array(call(req("list", path, null)).get("files"))) {
            out.add(FileInfo.fromJson(Json.object(o)));
        }
        return out;
    }

    public boolean exists(String path) {
        return Json.bool(call(req("exists", path, null)), "exists");
    }

    public long size(String path) {
        return Json.num(call(req("size", path, null)), "size");
    }

    public boolean isDirectory(String path) {
        return Json.bool(call(req("isDirectory", path, null)), "isDirectory");
    }

    private static Map<String, Object> req(String op, String path, String to) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("op", op);
        m.put("path", path);
        if (to != null) {
            m.put("to", to);
        }
        return m;
    }

    private Map<String, Object> call(Map<String, Object> request) {
        byte[][] out = new byte[1][];
        int rc = Native.caller(listener.handleForUse(), Json.write(request).getBytes(StandardCharsets.UTF_8), out);
        if (rc != Native.OK) {
            throw FtpListener.failure(rc, out[0], "caller " + request.get("op"));
        }
        return Json.object(Json.read(new String(out[0], StandardCharsets.UTF_8)));
    }
}
