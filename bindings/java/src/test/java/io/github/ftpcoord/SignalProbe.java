package io.github.ftpcoord;

/**
 * Run in a fresh JVM by LoaderTest: the JVM's own uses of SIGSEGV (implicit
 * null checks in compiled code, stack overflow guard pages) must still reach
 * the JVM once libftpcoord's Go runtime has installed its handlers, on a thread
 * that has called into Go. Prints "ok" and the counts, or crashes the JVM.
 */
public final class SignalProbe {
    private SignalProbe() {}

    static int depth;

    static void recurse() {
        depth++;
        recurse();
    }

    static int length(String s) {
        return s.length(); // compiled with an implicit null check: a SIGSEGV when s is null
    }

    public static void main(String[] args) throws Exception {
        int[] npes = {0};
        int[] overflows = {0};
        Thread t = new Thread(() -> {
            try (FtpListener l = new FtpListener(ListenerConfig.fromJson("{\"path\": \"/probe\"}"))) {
                byte[][] out = new byte[1][];
                for (int i = 0; i < 1000; i++) {
                    Native.poll(l.handleForUse(), 0, out); // this thread now calls into Go
                }
                String[] values = {"a", null};
                long sum = 0;
                for (int i = 0; i < 2_000_000; i++) {
                    try {
                        sum += length(values[i & 1]);
                    } catch (NullPointerException e) {
                        npes[0]++;
                    }
                    if ((i & 0xffff) == 0) {
                        Native.poll(l.handleForUse(), 0, out);
                    }
                }
                for (int i = 0; i < 3; i++) {
                    try {
                        depth = 0;
                        recurse();
                    } catch (StackOverflowError e) {
                        overflows[0]++;
                    }
                    Native.poll(l.handleForUse(), 0, out);
                }
                if (sum == 0) {
                    throw new IllegalStateException("no work done");
                }
            }
        });
        t.start();
        t.join();
        System.out.println("ok npes=" + npes[0] + " overflows=" + overflows[0]);
    }
}
