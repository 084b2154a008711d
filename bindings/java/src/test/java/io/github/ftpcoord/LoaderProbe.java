package io.github.ftpcoord;

import java.nio.file.Files;
import java.nio.file.Path;

/** Run in a fresh JVM by LoaderTest: loads the library and prints where from. */
public final class LoaderProbe {
    private LoaderProbe() {}

    public static void main(String[] args) throws Exception {
        try {
            System.out.println("version " + FtpListener.version());
        } catch (UnsatisfiedLinkError e) {
            System.out.println("unsatisfied " + e.getMessage());
            return;
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            int at = line.indexOf('/');
            String file = at < 0 ? "" : line.substring(at);
            if (file.contains("/libftpcoord.so") || file.contains("/libftpcoord_jni.so")) {
                System.out.println("mapped " + file); // "... (deleted)" once the file is gone
            }
        }
    }
}
