package io.github.ftpcoord.spring.boot;

import io.github.ftpcoord.ListenerConfig;
import io.github.ftpcoord.ServiceConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One of {@code ftpcoord.services[n]}: ballerina/ftp's {@code @ftp:ServiceConfig} (path,
 * file-name-pattern, file-age-filter, file-dependency-conditions), its name, after-actions for
 * all its methods and per method ({@code methods.on-file-json.after-process.move-to}, Ballerina's
 * {@code @ftp:FunctionConfig}). Written as {@code services[]} of the listener configuration.
 */
public class FtpcoordServiceProperties {
    /** The service's name (1 to 64 letters, digits, '.', '_', '-'); at most one service leaves it out. */
    private String name;
    /** The directory this service watches (required). */
    private String path;
    /** A regular expression the file names must match (the whole name). */
    private String fileNamePattern;
    private final FtpcoordProperties.FileAgeFilter fileAgeFilter = new FtpcoordProperties.FileAgeFilter();
    /** Files held back until the files they belong with are in their directory. */
    private final List<FtpcoordProperties.FileDependencyCondition> fileDependencyConditions = new ArrayList<>();
    /** After a file is processed, for every method that has none of its own. */
    private final FtpcoordProperties.PostAction afterProcess = new FtpcoordProperties.PostAction();
    /** After a file failed for good, for every method that has none of its own. */
    private final FtpcoordProperties.PostAction afterError = new FtpcoordProperties.PostAction();
    private final Methods methods = new Methods();

    /** methods: the after-actions of each of Ballerina's remote methods. */
    public static class Methods {
        private final MethodActions onFile = new MethodActions();
        private final MethodActions onFileText = new MethodActions();
        private final MethodActions onFileJson = new MethodActions();
        private final MethodActions onFileXml = new MethodActions();
        private final MethodActions onFileCsv = new MethodActions();
        private final MethodActions onFileChange = new MethodActions();

        public MethodActions getOnFile() {
            return onFile;
        }

        public MethodActions getOnFileText() {
            return onFileText;
        }

        public MethodActions getOnFileJson() {
            return onFileJson;
        }

        public MethodActions getOnFileXml() {
            return onFileXml;
        }

        public MethodActions getOnFileCsv() {
            return onFileCsv;
        }

        public MethodActions getOnFileChange() {
            return onFileChange;
        }

        /** By the library's method name, in its order. */
        Map<String, MethodActions> byName() {
            Map<String, MethodActions> m = new LinkedHashMap<>();
            m.put("onFile", onFile);
            m.put("onFileText", onFileText);
            m.put("onFileJson", onFileJson);
            m.put("onFileXml", onFileXml);
            m.put("onFileCsv", onFileCsv);
            m.put("onFileChange", onFileChange);
            return m;
        }
    }

    /** methods.&lt;method&gt;: Ballerina's {@code @ftp:FunctionConfig}. */
    public static class MethodActions {
        private final FtpcoordProperties.PostAction afterProcess = new FtpcoordProperties.PostAction();
        private final FtpcoordProperties.PostAction afterError = new FtpcoordProperties.PostAction();

        public FtpcoordProperties.PostAction getAfterProcess() {
            return afterProcess;
        }

        public FtpcoordProperties.PostAction getAfterError() {
            return afterError;
        }
    }

    /** The service of these properties; at names them ({@code ftpcoord.services[0]}). */
    ServiceConfig toServiceConfig(String at) {
        if (path == null || path.isBlank()) {
            throw new FtpcoordPropertyException(at + ".path", "is not set",
                    "set " + at + ".path to the directory this service watches, e.g. /in/orders");
        }
        FtpcoordPlaceholders.check(at + ".name", name, false);
        FtpcoordPlaceholders.check(at + ".path", path, false);
        ServiceConfig.Builder b = ServiceConfig.builder(path).name(name).fileNamePattern(fileNamePattern);
        double[] age = fileAgeFilter.seconds();
        if (age != null) {
            b.fileAgeFilter(age[0], age[1]);
        }
        for (FtpcoordProperties.FileDependencyCondition d : fileDependencyConditions) {
            b.fileDependencyCondition(d.toCondition());
        }
        b.afterProcess(action(afterProcess, at + ".after-process"));
        b.afterError(action(afterError, at + ".after-error"));
        for (Map.Entry<String, MethodActions> e : methods.byName().entrySet()) {
            String m = at + ".methods." + e.getKey().replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
            ListenerConfig.PostAction ap = action(e.getValue().afterProcess, m + ".after-process");
            ListenerConfig.PostAction ae = action(e.getValue().afterError, m + ".after-error");
            if (ap != null || ae != null) {
                b.method(e.getKey(), ap, ae);
            }
        }
        return b.build();
    }

    private static ListenerConfig.PostAction action(FtpcoordProperties.PostAction a, String property) {
        FtpcoordPlaceholders.check(property + ".move-to", a.getMoveTo(), false);
        return a.toPostAction(property);
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public String getFileNamePattern() {
        return fileNamePattern;
    }

    public void setFileNamePattern(String fileNamePattern) {
        this.fileNamePattern = fileNamePattern;
    }

    public FtpcoordProperties.FileAgeFilter getFileAgeFilter() {
        return fileAgeFilter;
    }

    public List<FtpcoordProperties.FileDependencyCondition> getFileDependencyConditions() {
        return fileDependencyConditions;
    }

    public FtpcoordProperties.PostAction getAfterProcess() {
        return afterProcess;
    }

    public FtpcoordProperties.PostAction getAfterError() {
        return afterError;
    }

    public Methods getMethods() {
        return methods;
    }
}
