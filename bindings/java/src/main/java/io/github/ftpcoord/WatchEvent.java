package io.github.ftpcoord;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** ballerina/ftp's WatchEvent: the files added and the paths deleted since the last poll. */
public record WatchEvent(List<FileInfo> addedFiles, List<String> deletedFiles) {
    public WatchEvent {
        addedFiles = List.copyOf(addedFiles);
        deletedFiles = List.copyOf(deletedFiles);
    }

    static WatchEvent fromJson(Map<String, Object> m) {
        List<FileInfo> added = new ArrayList<>();
        for (Object o : Json.array(m.get("addedFiles"))) {
            added.add(FileInfo.fromJson(Json.object(o)));
        }
        List<String> deleted = new ArrayList<>();
        for (Object o : Json.array(m.get("deletedFiles"))) {
            deleted.add(String.valueOf(o));
        }
        return new WatchEvent(added, deleted);
    }
}
