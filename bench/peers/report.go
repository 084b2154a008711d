package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

func fmtDur(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func rate(n int, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return float64(n) / d.Seconds()
}

// render writes the Markdown report of one run.
func render(results []*result, o options, e *env, took time.Duration) string {
	var b strings.Builder
	b.WriteString("# Side by side: ftpcoord, Apache Camel and Spring Integration\n\n")
	fmt.Fprintf(&b, "Command: `make bench-peers` (`go run ./bench/peers %s`)  \n", strings.Join(os.Args[1:], " "))
	fmt.Fprintf(&b, "Date: %s; the run took %v.  \n", time.Now().UTC().Format("2006-01-02 15:04 MST"), took.Round(time.Second))
	fmt.Fprintf(&b, "Machine: a shared VM with %d CPUs (other engineers' builds and tests ran on it at the same time), %s, %s; "+
		"pure-ftpd and PostgreSQL of tests/services on loopback.\n\n", runtime.NumCPU(), runtime.Version(), javaVersion(e))

	b.WriteString("| system | throughput: files moved in under running instances, to the last processed | files/s | files present at start: from process start | files/s | first to last handler | crash: lost | processed twice | documented reruns | failover median | failover worst | idle statements/s per instance, empty directory | idle, with the crash run's files present |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range results {
		w := r.warm
		wl := w.last.Sub(r.warmStart)
		wc := fmt.Sprintf("%s | %.0f", fmtDur(wl), rate(w.distinct, wl))
		if !r.warmDone {
			wc = fmt.Sprintf("%d of %d files in %v (timeout) | -", w.distinct, o.files, o.tputTimeout)
		} else if w.twice > 0 {
			wc += fmt.Sprintf(" (%d twice)", w.twice)
		}
		t := r.tput
		ftl, fs := t.last.Sub(t.first), t.last.Sub(r.tputStart)
		tp := fmt.Sprintf("%s | %.0f | %s", fmtDur(fs), rate(t.distinct, fs), fmtDur(ftl))
		if !r.tputDone {
			tp = fmt.Sprintf("%d of %d files in %v (timeout) | - | -", t.distinct, o.files, o.tputTimeout)
		} else if t.twice > 0 {
			tp += fmt.Sprintf(" (%d twice)", t.twice)
		}
		med, worst := medianMax(r.failover)
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d | %d | %s | %s | %.1f | %.1f |\n", r.sys.title, wc, tp,
			r.crash.lost, r.crash.twice, r.crash.reruns, fmtDur(med), fmtDur(worst), r.idleEmpty, r.idleFiles)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "Throughput: %d files of 1 KiB. First column: both instances run (started %v earlier, leader elected, "+
		"logged in, polling an empty directory) when all files are renamed into the directory at once; the clock runs from "+
		"the last rename to the last file's handler, so it holds one poll interval's wait, the listing, the downloads, the "+
		"handlers and the bookkeeping. Then the same files already present when both instances start: from starting the "+
		"processes (JVM start-up, leader election, first login included) to the last handler, and from the first to the "+
		"last handler (Spring's synchronizer downloads every file before the first handler runs, so its first-to-last "+
		"figure leaves the downloads out).  \n", o.files, o.warmup)
	fmt.Fprintf(&b, "Crash: %d files arrive at %.0f files/s (written elsewhere, renamed into the directory) while the active "+
		"instance (the leader; for ftpcoord the member whose `ftpcoord_active` metric is 1) is SIGKILLed %d times, evenly "+
		"spread, and restarted once the other instance processed a file (at most 20 s later). Lost: never processed within %v after the last arrival. Processed twice: a "+
		"second handler run of a file, except ftpcoord's documented rerun (a later attempt carrying the same idempotency "+
		"key, after a kill prevented the commit), counted apart. Failover: from the kill to the next file processed by "+
		"the other instance.  \n", o.crashFiles, o.rate, o.kills, o.drain)
	fmt.Fprintf(&b, "Idle: statements per second the group's database executed (pg_stat_statements calls, BEGIN/COMMIT "+
		"included; read from another database), over %v, divided by the 2 instances; once in an empty directory %v after "+
		"start, once at the end of the crash run with its %d processed files still on the server.\n\n", o.idle, o.warmup, o.crashFiles)

	for _, r := range results {
		if len(r.kills) > 0 {
			var ds []string
			for i, k := range r.kills {
				d := "none"
				if i < len(r.failover) {
					d = fmtDur(r.failover[i])
				}
				ds = append(ds, fmt.Sprintf("%s killed at +%.1f s: %s", k.instance, k.at.Sub(r.kills[0].at).Seconds(), d))
			}
			fmt.Fprintf(&b, "- %s, kills: %s.\n", r.sys.title, strings.Join(ds, "; "))
			if len(r.takeovers) > 0 {
				var ts []string
				for _, d := range r.takeovers {
					ts = append(ts, fmtDur(d))
				}
				fmt.Fprintf(&b, "  The other member logged `became active` %s after the kills; the rest of each failover is "+
					"the wait for its next poll.\n", strings.Join(ts, ", "))
			}
		}
		for _, n := range r.notes {
			fmt.Fprintf(&b, "- %s: %s\n", r.sys.title, n)
		}
	}
	b.WriteString(verdicts(results))
	b.WriteString(strings.Replace(settings, "livenessCheckInterval 3 s", fmt.Sprintf("livenessCheckInterval %d s", ftpcoordLiveness), 1))
	return b.String()
}

// verdicts checks the targets against this run: ftpcoord's
// throughput at least the best peer's, nothing lost or processed twice
// (documented reruns apart), the shortest failover.
func verdicts(results []*result) string {
	var peers, ours []*result
	for _, r := range results {
		if r.sys.mode != "" {
			ours = append(ours, r)
		} else {
			peers = append(peers, r)
		}
	}
	if len(peers) == 0 || len(ours) == 0 {
		return ""
	}
	fps := func(r *result) float64 {
		if !r.warmDone {
			return 0
		}
		return rate(r.warm.distinct, r.warm.last.Sub(r.warmStart))
	}
	med := func(r *result) time.Duration { m, _ := medianMax(r.failover); return m }
	bestTput, bestFail := peers[0], peers[0]
	for _, p := range peers {
		if fps(p) > fps(bestTput) {
			bestTput = p
		}
		if m := med(p); m > 0 && (med(bestFail) == 0 || m < med(bestFail)) {
			bestFail = p
		}
	}
	var b strings.Builder
	b.WriteString("\n## Targets, in this run\n\n")
	for _, r := range ours {
		ok := func(c bool) string {
			if c {
				return "met"
			}
			return "**missed**"
		}
		fmt.Fprintf(&b, "- %s: throughput %.0f files/s against the best peer's %.0f (%s): %.2fx, %s; lost %d and processed "+
			"twice %d (documented reruns %d): %s; failover median %s against the best peer's %s (%s): %s.\n",
			r.sys.title, fps(r), fps(bestTput), bestTput.sys.title, fps(r)/fps(bestTput), ok(fps(r) >= fps(bestTput)),
			r.crash.lost, r.crash.twice, r.crash.reruns, ok(r.crash.lost == 0 && r.crash.twice == 0),
			fmtDur(med(r)), fmtDur(med(bestFail)), bestFail.sys.title, ok(med(r) > 0 && med(r) <= med(bestFail)))
	}
	return b.String()
}

// settings describes how each system is configured (bench/peers/camel,
// bench/peers/spring, ftpcoordConfig).
const settings = `
## How each system is set up

All handlers read the whole file and record its name, the instance and the time; both instances of a system run as
separate processes on this machine, against the same pure-ftpd (127.0.0.1:2121, passive mode, binary) and the same
PostgreSQL 15 server (a fresh database per system and scenario). Every system polls once a second, and every system
notices a dead leader about 3 s after its last sign of life.

- **Apache Camel 4.22.0** (camel-ftp, camel-sql, camel-cluster, camel-file; commons-net 3.13.0; plain CamelContext,
  no Spring; bench/peers/camel). HA option: a *master route*: the FTP route carries a ClusteredRoutePolicy over
  Camel's FileLockClusterService (camel-file's org.apache.camel.component.file.cluster; root on a directory both
  processes share, acquireLockDelay 100 ms, acquireLockInterval 1 s, heartbeatTimeoutMultiplier 3), so one instance
  consumes at a time. camel-file-cluster-service and camel-master do not resolve on Maven Central as 4.22.0: the
  file-lock service ships inside camel-file and ClusteredRoutePolicy inside camel-cluster. It needs a shared
  filesystem, which two processes on one host have; across hosts Camel offers ZooKeeper, Consul, Kubernetes,
  Infinispan or JGroups-raft cluster services, none of which run here. Endpoint:
  ` + "`ftp://tester@127.0.0.1:2121/DIR?passiveMode=true&binary=true&noop=true&idempotent=true&idempotentRepository=#repo&readLock=changed&readLockMinAge=1s&fastExistsCheck=true&initialDelay=0&delay=1000`" + `:
  files stay on the server (noop, as with the others), the JdbcMessageIdRepository (camel-sql, table
  CAMEL_MESSAGEPROCESSED, created by the harness with Camel's own DDL before the instances start, because two
  instances starting at once race to create it and one fails; processor name "peers", key: the file's absolute
  path, Camel's default) over a HikariCP pool
  of 4 keeps what was consumed; the idempotent consumer is eager (Camel's default: the key is added when the file
  is picked up, not after the route completed). Read lock: ` + "`changed`" + ` (for FTP only none, changed and rename
  exist; the idempotent read locks are for the file component), with readLockMinAge 1 s so that files already older
  than a second are taken at the first check, and fastExistsCheck. One consumer thread, one FTP connection.
- **Spring Integration 7.1.2** (spring-integration-ftp, -jdbc; Spring Framework 7.0.x; commons-net 3.13.0;
  AnnotationConfigApplicationContext with @EnableIntegration, no Spring Boot; bench/peers/spring). HA option: leader
  election with a LockRegistryLeaderInitiator over a JdbcLockRegistry (DefaultLockRepository, table INT_LOCK, lock
  time-to-live 3 s, heartbeat 1 s, busy-wait 50 ms); the inbound adapter is in the role "peers" (autoStartup
  false), which the SmartLifecycleRoleController starts on the leader only. Adapter: Ftp.inboundAdapter
  (synchronizing to a local directory per instance, preserveTimestamp) with an FtpPersistentAcceptOnceFileListFilter
  over a JdbcMetadataStore (table INT_METADATA_STORE) as the remote filter; CachingSessionFactory of 4 sessions,
  passive local mode; poller fixedDelay 1 s, maxMessagesPerPoll unlimited, maxFetchSize unlimited (the documentation
  recommends a small maxFetchSize when several instances poll at once, against one instance taking every file; with
  leader election only one polls). The handler deletes the local copy. HikariCP pool of 4.
- **ftpcoord** (this repository, ` + "`ftpcoord run --config F --commit-unprocessed --log-format json`" + `, whose handler reads the whole
  file and logs its path, attempt and idempotency key; the harness reads those lines). Two members, ` + "`warm-backup`" + ` (only the
  active member lists and processes) or ` + "`shared`" + ` (the active member lists, both claim and process): pollingInterval
  1 s, workers 8, maxConnections 8, maxFilesPerPoll 1000, processingTimeout at its default (300 s: the member that
  takes over reclaims a dead member's files at once), coordination on PostgreSQL with livenessCheckInterval 3 s
  (a holder is dead once its heartbeat is more than that many whole seconds old: with 2, after 3 s, as Spring's 3 s
  lock lifetime) and heartbeatFrequency 1 s (checkPeriod = heartbeat), versionKey path+size+mtime (the default),
  files left in place.

Peers' JVM: default heap and GC, one JVM per instance.
`

func javaVersion(e *env) string {
	out, err := exec.Command(e.java, "-version").CombinedOutput()
	if err != nil {
		return "java: " + err.Error()
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line)
}
