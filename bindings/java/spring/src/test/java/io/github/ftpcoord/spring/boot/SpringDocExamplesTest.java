package io.github.ftpcoord.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** docs/spring.md's examples are what they claim: classes that compile as written, properties the starter knows. */
class SpringDocExamplesTest {
    static final Path DOC = Path.of("").toAbsolutePath().resolve("../../../docs/spring.md").normalize();
    static final Pattern BLOCK = Pattern.compile("(?ms)^```(\\w*)\\n(.*?)^```\\n");
    static final Pattern PUBLIC_CLASS = Pattern.compile("(?m)^public (?:class|interface) (\\w+)");

    static List<String[]> blocks() throws IOException {
        List<String[]> out = new ArrayList<>();
        Matcher m = BLOCK.matcher(Files.readString(DOC, StandardCharsets.UTF_8));
        while (m.find()) {
            out.add(new String[] {m.group(1), m.group(2)});
        }
        return out;
    }

    /**
     * Every Java example written as a whole class (its imports name the package of each class
     * it uses) compiles against this module and its dependencies. The one sketch of the classic
     * setup, which calls the application's own hand-written filter, is the exception.
     */
    @Test
    void theJavaExamplesCompileAsWritten(@TempDir Path dir) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int compiled = 0;
        for (String[] b : blocks()) {
            if (!b[0].equals("java") || b[1].contains("RetriableFtpFileListFilter")) {
                continue;
            }
            Matcher name = PUBLIC_CLASS.matcher(b[1]);
            assertThat(name.find()).as("a Java example of docs/spring.md is not a whole class:%n%s", b[1]).isTrue();
            assertThat(b[1]).as("the example %s names its classes' packages", name.group(1)).contains("\nimport ");
            Path src = dir.resolve(name.group(1) + ".java");
            Files.writeString(src, b[1], StandardCharsets.UTF_8);
            ByteArrayOutputStream errors = new ByteArrayOutputStream();
            int rc = javac.run(null, errors, errors,
                    "-d", dir.resolve("classes").toString(), "-cp", System.getProperty("java.class.path"), src.toString());
            assertThat(rc).as("javac %s:%n%s", name.group(1), errors.toString(StandardCharsets.UTF_8)).isZero();
            compiled++;
        }
        assertThat(compiled).isGreaterThanOrEqualTo(5);
    }

    /** Every ftpcoord.* name in the properties examples is one the starter binds (an unknown one fails the start). */
    @Test
    void thePropertiesExamplesUseKnownNames() throws IOException {
        int names = 0;
        for (String[] b : blocks()) {
            if (!b[0].equals("properties")) {
                continue;
            }
            for (String line : b[1].split("\n")) {
                if (line.startsWith("ftpcoord.")) {
                    String property = line.substring(0, line.indexOf('='));
                    assertThat(FtpcoordPropertyNames.KNOWN).as("docs/spring.md sets %s", property).contains(property);
                    names++;
                }
            }
        }
        assertThat(names).isGreaterThanOrEqualTo(20);
    }
}
