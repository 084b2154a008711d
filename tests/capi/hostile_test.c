/*
 * Feeds libftpcoord.so hostile input through every entry point of
 * ftpcoord.h: mutated and random JSON (truncated, deeply nested, invalid
 * UTF-8, huge numbers), random, stale and closed handles, unknown event ids,
 * negative lengths and NULL buffers. Every call must return one of the
 * documented status codes, never FTPCOORD_PANIC (a recovered bug), and the
 * process must not crash. Deterministic: the seed is fixed unless given.
 * Prints "N passed, N failed"; exits 1 on any failure.
 *
 * Usage: hostile_test [ITERATIONS [SEED]]
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ftpcoord.h"

static int passed, failed;
static unsigned long long rng_state;

static unsigned rnd(void) { /* xorshift64*: no libc rand state */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 2685821657736338717ULL) >> 32);
}

static int documented(int code) {
	return code == FTPCOORD_OK || code == FTPCOORD_TIMEOUT || code == FTPCOORD_INVALID_ARG ||
	       code == FTPCOORD_INVALID_HANDLE || code == FTPCOORD_ERROR || code == FTPCOORD_CLOSED;
}

static void check(int code, const char *what, const char *input) {
	if (documented(code)) {
		passed++;
		return;
	}
	failed++;
	char *e = ftpcoord_last_error();
	fprintf(stderr, "FAIL %s returned %d (last error: %s) on input: %.200s\n", what, code, e ? e : "none", input ? input : "(null)");
	ftpcoord_free(e);
}

/* Valid shapes to mutate. The server is a closed loopback port and there
 * is one retry after 10 ms (Ballerina's checks refuse count 0), so that
 * calls which connect fail at once. */
static const char *templates[] = {
	"{\"protocol\":\"FTP\",\"host\":\"127.0.0.1\",\"port\":1,\"path\":\"/in\",\"pollingInterval\":3600,"
	"\"connectTimeout\":1,\"retryConfig\":{\"count\":1,\"interval\":0.01,\"backOffFactor\":1,\"maxWaitInterval\":0.01},"
	"\"auth\":{\"credentials\":{\"username\":\"u\",\"password\":\"p\"}}}",
	"{\"protocol\":\"SFTP\",\"host\":\"127.0.0.1\",\"port\":1,\"sftpSshKnownHosts\":\"/nonexistent\","
	"\"auth\":{\"credentials\":{\"username\":\"u\"},\"privateKey\":{\"path\":\"/nonexistent\"}}}",
	"{\"onFile\":true,\"onFileChange\":false,\"onFileDelete\":true,\"onError\":true}",
	"{\"op\":\"exists\",\"path\":\"/in/a.csv\"}",
	"{\"op\":\"put\",\"path\":\"/in/../../x\",\"contentBase64\":\"aGVsbG8=\"}",
	"{\"op\":\"move\",\"path\":\"/in/a\",\"to\":\"/out/\\u0000b\"}",
	"{\"coordination\":{\"databaseConfig\":{\"type\":\"postgresql\",\"port\":1,\"user\":\"u\",\"database\":\"d\"},"
	"\"memberId\":\"m'; DROP TABLE x; --\",\"coordinationGroup\":\"g\"}}",
};
static const char *tokens[] = {
	"{", "}", "[", "]", ":", ",", "\"", "\\", "null", "true", "-1", "1e400", "99999999999999999999",
	"\"op\"", "\"path\"", "\"port\"", "\"\\ud800\"", "\xff\xfe", "\xf0\x9f\x93\xa6", "\x00x",
};

/* mutate writes a mutation of a template (or of nothing) into buf. */
static void mutate(char *buf, size_t size) {
	size_t len = 0;
	switch (rnd() % 6) {
	case 0: /* deep nesting */ {
		size_t depth = 1 + rnd() % (size / 2 - 1);
		for (size_t i = 0; i < depth; i++) buf[len++] = (rnd() % 2) ? '[' : '{';
		break;
	}
	case 1: /* random bytes */ {
		size_t n = rnd() % 64;
		for (size_t i = 0; i < n; i++) {
			char c = (char)(rnd() % 255 + 1);
			buf[len++] = c;
		}
		break;
	}
	default: {
		const char *t = templates[rnd() % (sizeof templates / sizeof *templates)];
		len = strlen(t);
		if (len >= size) len = size - 1;
		memcpy(buf, t, len);
		int edits = rnd() % 4;
		for (int e = 0; e < edits && len > 0; e++) {
			size_t at = rnd() % len;
			switch (rnd() % 3) {
			case 0: len = at; break;                          /* truncate */
			case 1: buf[at] = (char)(rnd() % 255 + 1); break; /* flip a byte */
			default: {                                        /* splice a token */
				const char *tok = tokens[rnd() % (sizeof tokens / sizeof *tokens)];
				size_t tl = strlen(tok);
				if (len + tl < size) {
					memmove(buf + at + tl, buf + at, len - at);
					memcpy(buf + at, tok, tl);
					len += tl;
				}
			}
			}
		}
	}
	}
	buf[len] = 0;
}

/* Threads that fail at once, each on a field of its own, each read their
 * own message: the last error is per thread. */
struct errcase {
	const char *config, *field;
	int mismatches;
};

static void *fail_repeatedly(void *arg) {
	struct errcase *c = arg;
	for (int i = 0; i < 500; i++) {
		if (ftpcoord_listener_new(c->config) != 0) {
			c->mismatches++;
			continue;
		}
		char *e = ftpcoord_last_error();
		if (!e || !strstr(e, c->field)) c->mismatches++;
		ftpcoord_free(e);
	}
	return NULL;
}

static void check_errors_per_thread(void) {
	struct errcase cases[] = {
		{"{\"protocol\": \"GOPHER\"}", "protocol", 0},
		{"{\"pollingInterval\": -1}", "pollingInterval", 0},
		{"{\"port\": 70000}", "port", 0},
		{"{\"maxTries\": -2, \"coordination\": null}", "maxTries", 0},
	};
	pthread_t th[4];
	for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, fail_repeatedly, &cases[i]);
	for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++) {
		if (cases[i].mismatches == 0) {
			passed++;
		} else {
			failed++;
			fprintf(stderr, "FAIL a thread failing on %s read another message %d times of 500\n", cases[i].field, cases[i].mismatches);
		}
	}
}

int main(int argc, char **argv) {
	int iterations = argc > 1 ? atoi(argv[1]) : 2000;
	rng_state = argc > 2 ? strtoull(argv[2], NULL, 10) : 0x9E3779B97F4A7C15ULL;
	if (rng_state == 0) rng_state = 1;
	static char input[4096];
	int64_t live = 0;   /* a handle that exists, made from the first template */
	int64_t closed = 0; /* a handle that was stopped */
	char *out = NULL;
	char buf[64];
	int64_t n = 0;

	live = ftpcoord_listener_new(templates[0]);
	if (live <= 0) {
		char *e = ftpcoord_last_error();
		fprintf(stderr, "FAIL the valid template was refused: %s\n", e ? e : "none");
		printf("0 passed, 1 failed\n");
		return 1;
	}
	closed = ftpcoord_listener_new(templates[0]);
	check(ftpcoord_listener_stop(closed, 1), "stop", NULL);

	for (int i = 0; i < iterations; i++) {
		mutate(input, sizeof input);
		int64_t handles[] = {live, closed, 0, -1, (int64_t)rnd() << 16 | rnd(), live + 1000, INT64_MAX};
		int64_t h = handles[rnd() % (sizeof handles / sizeof *handles)];

		int64_t made = ftpcoord_listener_new(input);
		if (made > 0) {
			check(ftpcoord_listener_stop(made, rnd() % 2), "stop(new)", input);
			check(ftpcoord_listener_stop(made, 1), "stop(new) twice", input);
		} else if (made < 0) {
			failed++;
			fprintf(stderr, "FAIL listener_new returned %lld\n", (long long)made);
		} else {
			passed++;
		}
		/* Attach only to handles other than the live one: attaching to it
		 * would let a later poll_once connect. */
		check(ftpcoord_listener_attach(h == live ? closed : h, input), "attach", input);

		out = NULL;
		check(ftpcoord_caller(h, input, &out), "caller", input);
		ftpcoord_free(out);

		out = NULL;
		check(ftpcoord_listener_poll(h, 0, &out), "poll", input);
		ftpcoord_free(out);

		int64_t id = (int64_t)(rnd() % 5) - 1;
		int64_t lens[] = {0, -1, (int64_t)sizeof buf, INT64_MIN};
		int64_t blen = lens[rnd() % 4];
		check(ftpcoord_event_read(h, id, rnd() % 2 ? buf : NULL, blen, rnd() % 2 ? &n : NULL), "event_read", input);
		check(ftpcoord_event_method(h, id, rnd() % 2 ? input : NULL), "event_method", input);
		int outcomes[] = {FTPCOORD_ACK_PROCESSED, FTPCOORD_ACK_FAILED, FTPCOORD_ACK_REJECT, -1, INT_MIN, INT_MAX, (int)rnd()};
		int outcome = outcomes[rnd() % (sizeof outcomes / sizeof *outcomes)];
		check(ftpcoord_event_ack(h, id, outcome, rnd() % 2 ? input : NULL), "event_ack", input);

		char *st = ftpcoord_status(h);
		ftpcoord_free(st);
		passed++;

		/* NULL where a string is expected. */
		check(ftpcoord_listener_attach(h, NULL), "attach(NULL)", NULL);
		check(ftpcoord_caller(h, NULL, &out), "caller(NULL)", NULL);
		check(ftpcoord_caller(h, input, NULL), "caller(out NULL)", input);
		check(ftpcoord_listener_poll(h, 0, NULL), "poll(out NULL)", NULL);
		check(ftpcoord_listener_poll_once(h == live ? closed : h, NULL), "poll_once(out NULL)", NULL);
	}
	if (ftpcoord_listener_new(NULL) != 0) {
		failed++;
		fprintf(stderr, "FAIL listener_new(NULL) made a handle\n");
	} else {
		passed++;
	}
	check_errors_per_thread();
	check(ftpcoord_listener_stop(live, 1), "stop(live)", NULL);
	check(ftpcoord_listener_stop(live, 1) == FTPCOORD_INVALID_HANDLE ? FTPCOORD_OK : -99, "stop(live) twice", NULL);
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
