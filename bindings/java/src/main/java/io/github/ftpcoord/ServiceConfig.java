package io.github.ftpcoord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One service of a listener ({@code services[]}, {@link ListenerConfig.Builder#service}):
 * ballerina/ftp's {@code @ftp:ServiceConfig} (path, fileNamePattern, fileAgeFilter,
 * fileDependencyConditions), a name to attach it by ({@link FtpListener#attach(String, Service)}),
 * after-actions for all its methods, and per method ({@code @ftp:FunctionConfig}: onFile,
 * onFileText, onFileJson, onFileXml, onFileCsv, onFileChange). The library checks the values.
 */
public final class ServiceConfig {
    private final Map<String, Object> json;

    private ServiceConfig(Map<String, Object> json) {
        this.json = json;
    }

    /** A service watching path (required). */
    public static Builder builder(String path) {
        return new Builder(path);
    }

    Map<String, Object> toJson() {
        return json;
    }

    @Override
    public String toString() {
        return "ServiceConfig" + json;
    }

    /** Builds a {@link ServiceConfig}. */
    public static final class Builder {
        private final String path;
        private String name;
        private String fileNamePattern;
        private ListenerConfig.FileAgeFilter fileAgeFilter;
        private final List<ListenerConfig.FileDependencyCondition> fileDependencyConditions = new ArrayList<>();
        private ListenerConfig.PostAction afterProcess;
        private ListenerConfig.PostAction afterError;
        private final Map<String, ListenerConfig.PostAction[]> methods = new LinkedHashMap<>();

        private Builder(String path) {
            this.path = Objects.requireNonNull(path, "path");
        }

        /** The service's name (1 to 64 letters, digits, '.', '_', '-'); at most one service leaves it out. */
        public Builder name(String v) {
            name = v;
            return this;
        }

        /** A regular expression the file names must match (the whole name). */
        public Builder fileNamePattern(String v) {
            fileNamePattern = v;
            return this;
        }

        /** Seconds: files younger than minAge wait, older than maxAge (0: no limit) are ignored. */
        public Builder fileAgeFilter(double minAge, double maxAge) {
            fileAgeFilter = new ListenerConfig.FileAgeFilter(minAge, maxAge);
            return this;
        }

        /** Adds a file dependency condition of this service. */
        public Builder fileDependencyCondition(ListenerConfig.FileDependencyCondition v) {
            fileDependencyConditions.add(Objects.requireNonNull(v, "condition"));
            return this;
        }

        /** After a file is processed, for every method that has none of its own. */
        public Builder afterProcess(ListenerConfig.PostAction v) {
            afterProcess = v;
            return this;
        }

        /** After a file failed for good, for every method that has none of its own. */
        public Builder afterError(ListenerConfig.PostAction v) {
            afterError = v;
            return this;
        }

        /**
         * The after-actions of one method (onFile, onFileText, onFileJson, onFileXml, onFileCsv,
         * onFileChange); either may be null (none).
         */
        public Builder method(String method, ListenerConfig.PostAction afterProcess, ListenerConfig.PostAction afterError) {
            methods.put(Objects.requireNonNull(method, "method"), new ListenerConfig.PostAction[] {afterProcess, afterError});
            return this;
        }

        public ServiceConfig build() {
            Map<String, Object> m = new LinkedHashMap<>();
            if (name != null) {
                m.put("name", name);
            }
            m.put("path", path);
            if (fileNamePattern != null) {
                m.put("fileNamePattern", fileNamePattern);
            }
            if (fileAgeFilter != null) {
                m.put("fileAgeFilter", fileAgeFilter.toJson());
            }
            if (!fileDependencyConditions.isEmpty()) {
                m.put("fileDependencyConditions",
                        fileDependencyConditions.stream().map(ListenerConfig.FileDependencyCondition::toJson).toList());
            }
            putAction(m, "afterProcess", afterProcess);
            putAction(m, "afterError", afterError);
            if (!methods.isEmpty()) {
                Map<String, Object> ms = new LinkedHashMap<>();
                methods.forEach((k, v) -> {
                    Map<String, Object> one = new LinkedHashMap<>();
                    putAction(one, "afterProcess", v[0]);
                    putAction(one, "afterError", v[1]);
                    ms.put(k, one);
                });
                m.put("methods", ms);
            }
            return new ServiceConfig(java.util.Collections.unmodifiableMap(m));
        }

        private static void putAction(Map<String, Object> m, String key, ListenerConfig.PostAction a) {
            if (a != null) {
                m.put(key, a.toJson());
            }
        }
    }
}
