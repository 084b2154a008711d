/*
 * Drives libftpcoord.so through ftpcoord.h as a C host would: a whole cycle
 * against the real pure-ftpd of tests/services (new, attach, poll_once and
 * poll, read content, ack, caller, status, stop) and the misuse cases
 * (bad config, NULL arguments, unknown events, closed and twice-closed
 * handles). Prints "N passed, N failed"; exits 1 on any failure.
 *
 * Usage: capi_test CONFIG_JSON REMOTE_DIR FILE_COUNT [ledger]
 * With "ledger" the configuration has coordination: the first file event is
 * acknowledged as failed and must come back as attempt 2; another file is
 * rejected (FTPCOORD_ACK_REJECT) at its first attempt and must never come
 * back, with an error event telling the rejection after 1 try; the status
 * must count the others DONE and that one REJECTED at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftpcoord.h"

static int passed, failed;
static int ledger;      /* the listener runs with coordination and the ledger */
static int failed_once; /* the first file was acknowledged as failed */
static char failed_name[256];   /* ... that file */
static char rejected_name[256]; /* the file acknowledged as rejected */
static int rejected_told;       /* an error event told its rejection */

#define CHECK(cond, ...)                                   \
	do {                                                   \
		if (cond) {                                        \
			passed++;                                      \
		} else {                                           \
			failed++;                                      \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                  \
			char *e = ftpcoord_last_error();               \
			fprintf(stderr, " (last error: %s)\n", e ? e : "none"); \
			ftpcoord_free(e);                              \
		}                                                  \
	} while (0)

/* json_int finds "key": <int> in a JSON text. */
static long long json_int(const char *json, const char *key) {
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":", key);
	const char *p = strstr(json, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

/* json_str copies "key": "<value>" into out. */
static int json_str(const char *json, const char *key, char *out, size_t n) {
	char pat[64];
	snprintf(pat, sizeof pat, "\"%s\":\"", key);
	const char *p = strstr(json, pat);
	if (!p) return 0;
	p += strlen(pat);
	const char *q = strchr(p, '"');
	if (!q || (size_t)(q - p) >= n) return 0;
	memcpy(out, p, q - p);
	out[q - p] = 0;
	return 1;
}

/* handle_file reads a file event's content through the library, checks it
 * against what the runner wrote (the file's name repeated), and acks it. */
static int handle_file(int64_t h, const char *ev) {
	long long id = json_int(ev, "id");
	long long size = json_int(ev, "size");
	char name[256];
	CHECK(id > 0 && size >= 0 && json_str(ev, "name", name, sizeof name), "file event fields in %s", ev);
	char buf[7]; /* small on purpose: many reads */
	long long total = 0;
	int ok = 1;
	for (;;) {
		int64_t n = 0;
		int rc = ftpcoord_event_read(h, id, buf, sizeof buf, &n);
		if (rc != FTPCOORD_OK) { ok = 0; break; }
		if (n == 0) break;
		for (int64_t i = 0; i < n; i++)
			if (buf[i] != name[(total + i) % strlen(name)]) ok = 0;
		total += n;
	}
	CHECK(ok && total == size, "content of %s: %lld of %lld bytes, match %d", name, total, size, ok);
	const char *service = getenv("CAPI_SERVICE");
	if (service) {
		/* A configuration with services: each event names its service, and
		 * the host may say which of its methods took the file. */
		char want[300];
		snprintf(want, sizeof want, "\"service\":\"%s\"", service);
		CHECK(strstr(ev, want) != NULL, "the event names its service %s: %s", service, ev);
		CHECK(ftpcoord_event_method(h, id, "onFileCsv") == FTPCOORD_OK, "event_method %lld", id);
		CHECK(ftpcoord_event_method(h, id, "onFileCSV") == FTPCOORD_INVALID_ARG, "a method Ballerina has not is refused");
		CHECK(ftpcoord_event_method(h, id, NULL) == FTPCOORD_INVALID_ARG, "NULL method refused");
	}
	if (ledger && !failed_once) {
		/* A failed attempt: the ledger must offer this file again. */
		failed_once = 1;
		snprintf(failed_name, sizeof failed_name, "%s", name);
		CHECK(json_int(ev, "attempt") == 1, "first attempt numbered 1: %s", ev);
		CHECK(ftpcoord_event_ack(h, id, FTPCOORD_ACK_FAILED, "host says no") == FTPCOORD_OK, "failing ack %lld", id);
		return 0;
	}
	if (ledger && rejected_name[0] && strcmp(name, rejected_name) == 0) {
		/* A rejected file is final: it must not be offered again. */
		CHECK(0, "the rejected file %s came back: %s", name, ev);
		CHECK(ftpcoord_event_ack(h, id, FTPCOORD_ACK_REJECT, "still a bad invoice") == FTPCOORD_OK, "rejecting ack %lld", id);
		return 0;
	}
	if (ledger && !rejected_name[0] && strcmp(name, failed_name) != 0) {
		/* Rejected at its first attempt, although maxTries is 3. */
		snprintf(rejected_name, sizeof rejected_name, "%s", name);
		CHECK(json_int(ev, "attempt") == 1, "rejected at attempt 1: %s", ev);
		CHECK(ftpcoord_event_ack(h, id, FTPCOORD_ACK_REJECT, "bad invoice") == FTPCOORD_OK, "rejecting ack %lld", id);
		CHECK(ftpcoord_event_ack(h, id, FTPCOORD_ACK_REJECT, NULL) == FTPCOORD_INVALID_ARG, "second ack of %lld is refused", id);
		return 1; /* final */
	}
	if (ledger && failed_once == 1 && json_int(ev, "attempt") == 2) {
		failed_once = 2; /* the failed file came back */
	}
	CHECK(ftpcoord_event_ack(h, id, FTPCOORD_ACK_PROCESSED, NULL) == FTPCOORD_OK, "ack %lld", id);
	CHECK(ftpcoord_event_ack(h, id, FTPCOORD_ACK_PROCESSED, NULL) == FTPCOORD_INVALID_ARG, "second ack of %lld is refused", id);
	return 1;
}

/* handle_event handles a file event, notes an error event that tells the
 * rejection, and returns how many files ended for good. */
static int handle_event(int64_t h, const char *ev) {
	const char *kind = strstr(ev, "\"kind\"");
	if (kind && strncmp(kind, "\"kind\":\"file\"", 13) == 0)
		return handle_file(h, ev);
	if (kind && strncmp(kind, "\"kind\":\"error\"", 14) == 0 && rejected_name[0]) {
		const char *e = strstr(ev, "\"error\":");
		if (e && strstr(e, "rejected after 1 tries: ") && strstr(e, "bad invoice") && strstr(e, rejected_name))
			rejected_told = 1;
	}
	return 0;
}

int main(int argc, char **argv) {
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: %s CONFIG_JSON REMOTE_DIR FILE_COUNT [ledger]\n", argv[0]);
		return 2;
	}
	const char *config = argv[1], *dir = argv[2];
	int want = atoi(argv[3]);
	ledger = argc == 5 && strcmp(argv[4], "ledger") == 0;

	const char *v = ftpcoord_version();
	CHECK(v && strncmp(v, "ftpcoord", 8) == 0, "version %s", v ? v : "NULL");

	/* Bad input: a clear error naming the field, no handle. */
	CHECK(ftpcoord_listener_new(NULL) == 0, "NULL config refused");
	CHECK(ftpcoord_listener_new("{\"port\": 70000}") == 0, "bad port refused");
	char *e = ftpcoord_last_error();
	CHECK(e && strstr(e, "port"), "the error names the field: %s", e ? e : "NULL");
	ftpcoord_free(e);
	CHECK(ftpcoord_listener_new("{\"protocl\": \"FTP\"}") == 0, "misspelt field refused");

	int64_t h = ftpcoord_listener_new(config);
	CHECK(h > 0, "listener_new");
	if (h <= 0) goto done;
	CHECK(ftpcoord_listener_attach(h, "{}") == FTPCOORD_INVALID_ARG, "a service asking for nothing is refused");
	CHECK(ftpcoord_listener_attach(h, NULL) == FTPCOORD_INVALID_ARG, "NULL service refused");
	CHECK(ftpcoord_listener_attach(h, "{\"onFile\": true, \"onError\": true}") == FTPCOORD_OK, "attach");
	CHECK(ftpcoord_listener_poll(h, 0, NULL) == FTPCOORD_INVALID_ARG, "poll with NULL out refused");
	CHECK(ftpcoord_event_ack(h, 999999, 0, NULL) == FTPCOORD_INVALID_ARG, "ack of an unknown event refused");

	/* With coordination, start joins the group (and polls at once). */
	if (ledger) {
		CHECK(ftpcoord_listener_start(h) == FTPCOORD_OK, "start");
	}
	/* Host-driven cycles (poll_once) and the events they leave to poll. */
	int seen = 0;
	for (int round = 0; seen < want && round < 100; round++) {
		char *ev = NULL;
		int rc = ftpcoord_listener_poll(h, 300, &ev);
		if (rc == FTPCOORD_TIMEOUT) {
			char *events = NULL;
			CHECK(ftpcoord_listener_poll_once(h, &events) == FTPCOORD_OK, "poll_once");
			for (const char *p = events ? strstr(events, "{\"id\"") : NULL; p; p = strstr(p + 1, "{\"id\""))
				seen += handle_event(h, p);
			ftpcoord_free(events);
			continue;
		}
		CHECK(rc == FTPCOORD_OK, "poll: rc %d", rc);
		if (rc != FTPCOORD_OK) break;
		seen += handle_event(h, ev);
		ftpcoord_free(ev);
	}
	CHECK(seen == want, "%d of %d files delivered", seen, want);
	if (ledger) {
		CHECK(failed_once == 2, "the file acknowledged as failed came back as attempt 2");
		CHECK(rejected_name[0] != 0, "a file was rejected");
		/* More cycles (retryTimeout is 10 ms, maxTries 3): the rejected
		 * file must not come back; its error event arrives meanwhile. */
		for (int round = 0; round < 5; round++) {
			char *events = NULL, *ev = NULL;
			CHECK(ftpcoord_listener_poll_once(h, &events) == FTPCOORD_OK, "poll_once");
			for (const char *p = events ? strstr(events, "{\"id\"") : NULL; p; p = strstr(p + 1, "{\"id\""))
				handle_event(h, p);
			ftpcoord_free(events);
			while (ftpcoord_listener_poll(h, 50, &ev) == FTPCOORD_OK) {
				handle_event(h, ev);
				ftpcoord_free(ev);
				ev = NULL;
			}
		}
		CHECK(rejected_told, "an error event told that %s was rejected after 1 try", rejected_name);
	}

	/* Nothing more for now. */
	char *ev = NULL;
	CHECK(ftpcoord_listener_poll(h, 50, &ev) == FTPCOORD_TIMEOUT && ev == NULL, "poll times out when idle");

	/* Caller and status. */
	char req[512], *res = NULL;
	snprintf(req, sizeof req, "{\"op\": \"list\", \"path\": \"%s\"}", dir);
	CHECK(ftpcoord_caller(h, req, &res) == FTPCOORD_OK && res && strstr(res, "\"files\""), "caller list: %s", res ? res : "NULL");
	ftpcoord_free(res);
	CHECK(ftpcoord_caller(h, "{\"op\": \"explode\"}", &res) == FTPCOORD_ERROR, "unknown caller op refused");
	char *st = ftpcoord_status(h);
	CHECK(st && strstr(st, "\"coordinated\""), "status: %s", st ? st : "NULL");
	if (ledger && st) {
		char done[32];
		snprintf(done, sizeof done, "\"DONE\":%d", want - 1);
		CHECK(strstr(st, "\"role\":\"active\"") && strstr(st, done) && strstr(st, "\"REJECTED\":1"),
		      "status counts the rejected file REJECTED, every other DONE: %s", st);
	}
	ftpcoord_free(st);

	/* Stop closes the handle; every later use is an error, never a crash. */
	CHECK(ftpcoord_listener_stop(h, 1) == FTPCOORD_OK, "stop");
	CHECK(ftpcoord_listener_stop(h, 1) == FTPCOORD_INVALID_HANDLE, "second stop");
	CHECK(ftpcoord_listener_poll(h, 0, &ev) == FTPCOORD_INVALID_HANDLE, "poll after stop");
	CHECK(ftpcoord_event_ack(h, 1, 0, NULL) == FTPCOORD_INVALID_HANDLE, "ack after stop");
	CHECK(ftpcoord_status(h) == NULL, "status after stop");
	CHECK(ftpcoord_listener_start(424242) == FTPCOORD_INVALID_HANDLE, "a handle never made");

done:
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
