package io.github.ftpcoord;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Java examples of docs/java.md and of the README compile as written against this API. */
class DocExamplesTest {
    static final Pattern BLOCK = Pattern.compile("(?ms)^```java\\n(.*?)^```\\n");
    static final Pattern PUBLIC_CLASS = Pattern.compile("(?m)^public class (\\w+)");

    @Test
    void theJavaExamplesCompile(@TempDir Path dir) throws IOException {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        int compiled = 0;
        for (String doc : new String[] {"docs/java.md", "README.md"}) {
            Matcher b = BLOCK.matcher(Files.readString(TestServices.REPO.resolve(doc), StandardCharsets.UTF_8));
            while (b.find()) {
                Matcher name = PUBLIC_CLASS.matcher(b.group(1));
                assertTrue(name.find(), doc + ": a Java example that is not a whole class:\n" + b.group(1));
                Path src = Files.createDirectories(dir.resolve(doc.replace('/', '-'))).resolve(name.group(1) + ".java");
                Files.writeString(src, b.group(1), StandardCharsets.UTF_8);
                ByteArrayOutputStream errors = new ByteArrayOutputStream();
                int rc = javac.run(null, errors, errors, "-d", src.getParent().resolve("classes").toString(),
                        "-cp", System.getProperty("java.class.path"), src.toString());
                assertEquals(0, rc, doc + ": javac " + name.group(1) + ":\n" + errors.toString(StandardCharsets.UTF_8));
                compiled++;
            }
        }
        assertTrue(compiled >= 2, compiled + " examples");
    }
}
