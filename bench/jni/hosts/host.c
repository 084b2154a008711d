/*
 * host.c: the C host of bench/jni. Drives one listener through ftpcoord.h,
 * consumes FILE_COUNT file events (reads each file's content to the end,
 * then acks it) and prints one line:
 *   events=N wall_ns=W gap_cpu_median_ns=M gap_cpu_mean_ns=A empty_poll_ns=E
 * wall: from ftpcoord_listener_start's return to the last ack. gap: the
 * host thread's CPU time between the end of one handler and the start of
 * the next, i.e. ack + poll + finding the event's fields: the cost of one
 * event across the boundary (blocking waits cost no CPU). Two listeners
 * consume the files one after the other; the second is measured (the first
 * warms up, as the Java host's warms the JIT up). empty_poll: the wall time
 * of one ftpcoord_listener_poll(h, 0) on an empty queue, the bare crossing.
 *
 * With "deletes" it measures ready events instead: it lets the listener list
 * the directory, prints "listening" (the runner then empties the directory
 * at once), and drains the FILE_COUNT delete events, which the library
 * queues without waiting for the host:
 *   events=N ready_cpu_ns=C ready_wall_ns=W
 * per event, from the first event to the last (poll + finding the fields).
 *
 * Usage: host CONFIG_JSON FILE_COUNT [deletes]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ftpcoord.h"

static long long now(clockid_t c) {
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long json_int(const char *json, const char *key) {
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(json, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static int cmp(const void *a, const void *b) {
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

static void die(const char *what) {
	char *e = ftpcoord_last_error();
	fprintf(stderr, "host: %s: %s\n", what, e ? e : "?");
	exit(1);
}

/* deletes drains delete events: the cost of a poll that finds its event ready. */
static int deletes(const char *config, int want) {
	int64_t h = ftpcoord_listener_new(config);
	if (h == 0) die("listener_new");
	if (ftpcoord_listener_attach(h, "{\"onFileDelete\": true}") != FTPCOORD_OK) die("attach");
	if (ftpcoord_listener_start(h) != FTPCOORD_OK) die("start");
	struct timespec settle = {1, 500000000}; /* a few polls list the files */
	nanosleep(&settle, NULL);
	printf("listening\n"); /* the runner now empties the directory */
	fflush(stdout);
	long long c0 = 0, w0 = 0;
	int seen = 0;
	while (seen < want) {
		char *ev = NULL;
		int rc = ftpcoord_listener_poll(h, 30000, &ev);
		if (rc == FTPCOORD_TIMEOUT) die("no event for 30 s");
		if (rc != FTPCOORD_OK) die("poll");
		int is_delete = strstr(ev, "\"kind\":\"fileDelete\"") != NULL && strstr(ev, "\"path\":\"") != NULL;
		ftpcoord_free(ev);
		if (!is_delete) continue;
		if (seen++ == 0) {
			c0 = now(CLOCK_THREAD_CPUTIME_ID);
			w0 = now(CLOCK_MONOTONIC);
		}
	}
	long long c1 = now(CLOCK_THREAD_CPUTIME_ID), w1 = now(CLOCK_MONOTONIC);
	if (ftpcoord_listener_stop(h, 1) != FTPCOORD_OK) die("stop");
	printf("events=%d ready_cpu_ns=%lld ready_wall_ns=%lld\n", seen, (c1 - c0) / (want - 1), (w1 - w0) / (want - 1));
	return 0;
}

/* pass runs one listener over the files; the gaps go to gaps[0..*ngaps). */
static void pass(const char *config, int want, long long *gaps, int *ngaps, long long *wall, long long *empty) {
	int64_t h = ftpcoord_listener_new(config);
	if (h == 0) die("listener_new");
	if (ftpcoord_listener_attach(h, "{\"onFile\": true}") != FTPCOORD_OK) die("attach");
	if (ftpcoord_listener_start(h) != FTPCOORD_OK) die("start");
	long long t0 = now(CLOCK_MONOTONIC), last_exit = -1;
	int seen = 0;
	*ngaps = 0;
	static char buf[65536];
	while (seen < want) {
		char *ev = NULL;
		int rc = ftpcoord_listener_poll(h, 30000, &ev);
		if (rc == FTPCOORD_TIMEOUT) die("no event for 30 s");
		if (rc != FTPCOORD_OK) die("poll");
		long long id = json_int(ev, "id");
		int is_file = strstr(ev, "\"kind\":\"file\"") != NULL;
		ftpcoord_free(ev);
		if (!is_file) continue;
		long long entry = now(CLOCK_THREAD_CPUTIME_ID);
		if (last_exit >= 0) gaps[(*ngaps)++] = entry - last_exit;
		/* The handler: read the content to the end. */
		for (;;) {
			int64_t n = 0;
			if (ftpcoord_event_read(h, id, buf, sizeof buf, &n) != FTPCOORD_OK) die("read");
			if (n == 0) break;
		}
		last_exit = now(CLOCK_THREAD_CPUTIME_ID);
		if (ftpcoord_event_ack(h, id, 0, NULL) != FTPCOORD_OK) die("ack");
		seen++;
	}
	*wall = now(CLOCK_MONOTONIC) - t0;
	const int empties = 200000;
	long long e0 = now(CLOCK_MONOTONIC);
	for (int i = 0; i < empties; i++) {
		char *ev = NULL;
		if (ftpcoord_listener_poll(h, 0, &ev) == FTPCOORD_OK) ftpcoord_free(ev);
	}
	*empty = (now(CLOCK_MONOTONIC) - e0) / empties;
	if (ftpcoord_listener_stop(h, 1) != FTPCOORD_OK) die("stop");
}

int main(int argc, char **argv) {
	if (argc == 4 && strcmp(argv[3], "deletes") == 0) return deletes(argv[1], atoi(argv[2]));
	if (argc != 3) {
		fprintf(stderr, "usage: %s CONFIG_JSON FILE_COUNT [deletes]\n", argv[0]);
		return 2;
	}
	int want = atoi(argv[2]), ngaps = 0;
	long long *gaps = calloc((size_t)want, sizeof *gaps);
	long long wall = 0, empty = 0;
	pass(argv[1], want, gaps, &ngaps, &wall, &empty); /* warm-up, as for the JVM */
	pass(argv[1], want, gaps, &ngaps, &wall, &empty);
	qsort(gaps, (size_t)ngaps, sizeof *gaps, cmp);
	long long sum = 0;
	for (int i = 0; i < ngaps; i++) sum += gaps[i];
	printf("events=%d wall_ns=%lld gap_cpu_median_ns=%lld gap_cpu_mean_ns=%lld empty_poll_ns=%lld\n", want, wall,
	       ngaps ? gaps[ngaps / 2] : 0, ngaps ? sum / ngaps : 0, empty);
	free(gaps);
	return 0;
}
