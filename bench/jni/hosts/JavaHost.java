/*
 * JavaHost.java: the Java host of bench/jni, through the public API of the
 * bindings (FtpListener, Service). Run as a single-file program with the JAR:
 *   java -cp bindings/java/target/ftpcoord-*.jar bench/jni/hosts/JavaHost.java CONFIG_JSON FILE_COUNT
 * It consumes FILE_COUNT file events (onFile reads each file to the end; the
 * dispatcher acks it) and prints one line:
 *   events=N wall_ns=W gap_cpu_median_ns=M gap_cpu_mean_ns=A empty_poll_ns=E
 * wall: from start()'s return to the last onFile's end. gap: the dispatcher
 * thread's CPU time between the end of one onFile and the start of the next,
 * i.e. ack + poll + JSON parsing + dispatch: the cost of one event across the
 * boundary (blocking waits cost no CPU). Two listeners consume the files one
 * after the other; the second is measured (the first warms the JIT up). empty_poll: the wall time of one
 * native poll with timeout 0 on an empty queue (the bare JNI + cgo crossing),
 * reached by reflection since the bindings keep it package-private.
 *
 * With "deletes" it measures ready events instead: it lets the listener list
 * the directory, prints "listening" (the runner then empties the directory at
 * once) and counts the FILE_COUNT onFileDelete calls, whose events the
 * library queues without waiting for the host:
 *   events=N ready_cpu_ns=C ready_wall_ns=W
 * per event, from the first onFileDelete to the last (poll, JSON, dispatch).
 */
import io.github.ftpcoord.Caller;
import io.github.ftpcoord.FileInfo;
import io.github.ftpcoord.FtpListener;
import io.github.ftpcoord.ListenerConfig;
import io.github.ftpcoord.Service;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

public class JavaHost {
    public static void main(String[] args) throws Throwable {
        if (args.length == 3 && args[2].equals("deletes")) {
            deletes(args[0], Integer.parseInt(args[1]));
            return;
        }
        int want = Integer.parseInt(args[1]);
        pass(args[0], want); // warm-up: the JIT compiles the dispatch path
        long[] r = pass(args[0], want);
        System.out.printf("events=%d wall_ns=%d gap_cpu_median_ns=%d gap_cpu_mean_ns=%d empty_poll_ns=%d%n", want, r[0],
                r[1], r[2], r[3]);
    }

    /** One listener over the files: wall, gap median, gap mean, empty poll (ns). */
    static long[] pass(String config, int want) throws Throwable {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long[] gaps = new long[want];
        int[] ngaps = {0};
        long[] lastExit = {-1};
        CountDownLatch done = new CountDownLatch(want);
        byte[] buf = new byte[65536];
        Service svc = new Service() {
            @Override
            public void onFile(FileInfo file, InputStream content, Caller caller) throws Exception {
                long entry = mx.getCurrentThreadCpuTime();
                if (lastExit[0] >= 0 && ngaps[0] < want) {
                    gaps[ngaps[0]++] = entry - lastExit[0];
                }
                while (content.read(buf) > 0) {
                    // the handler: read the content to the end
                }
                lastExit[0] = mx.getCurrentThreadCpuTime();
                done.countDown();
            }
        };
        long wall;
        long empty;
        try (FtpListener l = new FtpListener(ListenerConfig.fromJson(config))) {
            l.attach(svc);
            l.start();
            long t0 = System.nanoTime();
            if (!done.await(300, TimeUnit.SECONDS)) {
                throw new IllegalStateException("only " + (want - done.getCount()) + " of " + want + " files in 300 s");
            }
            wall = System.nanoTime() - t0;
            empty = emptyPoll(l);
        }
        long[] g = Arrays.copyOf(gaps, ngaps[0]);
        Arrays.sort(g);
        long sum = 0;
        for (long x : g) {
            sum += x;
        }
        return new long[] {wall, g.length == 0 ? 0 : g[g.length / 2], g.length == 0 ? 0 : sum / g.length, empty};
    }

    static void deletes(String config, int want) throws Exception {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        long[] first = new long[2];
        long[] last = new long[2];
        CountDownLatch done = new CountDownLatch(want);
        Service svc = new Service() {
            @Override
            public void onFileDelete(String deletedFile, Caller caller) {
                if (done.getCount() == want) {
                    first[0] = mx.getCurrentThreadCpuTime();
                    first[1] = System.nanoTime();
                }
                done.countDown();
                if (done.getCount() == 0) {
                    last[0] = mx.getCurrentThreadCpuTime();
                    last[1] = System.nanoTime();
                }
            }
        };
        try (FtpListener l = new FtpListener(ListenerConfig.fromJson(config))) {
            l.attach(svc);
            l.start();
            Thread.sleep(1500); // a few polls list the files
            System.out.println("listening"); // the runner now empties the directory
            System.out.flush();
            if (!done.await(300, TimeUnit.SECONDS)) {
                throw new IllegalStateException("only " + (want - done.getCount()) + " of " + want + " deletions in 300 s");
            }
        }
        System.out.printf("events=%d ready_cpu_ns=%d ready_wall_ns=%d%n", want, (last[0] - first[0]) / (want - 1),
                (last[1] - first[1]) / (want - 1));
    }

    /** The wall time of one native poll(h, 0) on an empty queue, averaged. */
    static long emptyPoll(FtpListener l) throws Throwable {
        Class<?> nat = Class.forName("io.github.ftpcoord.Native");
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(nat, MethodHandles.lookup());
        MethodHandle poll = lookup.findStatic(nat, "poll", MethodType.methodType(int.class, long.class, int.class, byte[][].class));
        MethodHandle handle = MethodHandles.privateLookupIn(FtpListener.class, MethodHandles.lookup())
                .findVirtual(FtpListener.class, "handleForUse", MethodType.methodType(long.class));
        long h = (long) handle.invokeExact(l);
        byte[][] out = new byte[1][];
        int sink = 0;
        for (int i = 0; i < 50_000; i++) { // warm up
            sink += (int) poll.invokeExact(h, 0, out);
        }
        int n = 200_000;
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            sink += (int) poll.invokeExact(h, 0, out);
        }
        long per = (System.nanoTime() - t0) / n;
        return sink == Integer.MIN_VALUE ? -1 : per;
    }
}
