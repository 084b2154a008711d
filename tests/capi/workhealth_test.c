/* A member with a wrong password, alone in its group: ftpcoord_status must
 * turn "able": false with the server's refusal as the reason (never the
 * password) and the time until which it stays aside, within stepAsideAfter.
 * Usage: workhealth_test CONFIG_JSON WRONG_PASSWORD */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ftpcoord.h"

int main(int argc, char **argv) {
	if (argc != 3) {
		fprintf(stderr, "usage: %s CONFIG_JSON WRONG_PASSWORD\n", argv[0]);
		return 2;
	}
	int64_t h = ftpcoord_listener_new(argv[1]);
	if (h <= 0) {
		char *e = ftpcoord_last_error();
		fprintf(stderr, "FAIL: listener_new: %s\n", e ? e : "?");
		ftpcoord_free(e);
		return 1;
	}
	if (ftpcoord_listener_attach(h, "{\"onFile\": true, \"onError\": true}") != FTPCOORD_OK ||
	    ftpcoord_listener_start(h) != FTPCOORD_OK) {
		fprintf(stderr, "FAIL: attach or start\n");
		return 1;
	}
	int ok = 0;
	char *st = NULL;
	time_t deadline = time(NULL) + 60;
	while (!ok && time(NULL) < deadline) {
		char *ev = NULL;
		if (ftpcoord_listener_poll(h, 200, &ev) == FTPCOORD_OK) /* the errors it tells */
			ftpcoord_free(ev);
		ftpcoord_free(st);
		st = ftpcoord_status(h);
		ok = st && strstr(st, "\"able\":false") && strstr(st, "530") && strstr(st, "\"asideUntil\"");
	}
	int failed = 0;
	if (!ok) {
		fprintf(stderr, "FAIL: status never said the member cannot work: %s\n", st ? st : "NULL");
		failed = 1;
	} else if (strstr(st, argv[2])) {
		fprintf(stderr, "FAIL: status shows the password: %s\n", st);
		failed = 1;
	} else if (!strstr(st, "\"role\":\"standby\"")) {
		fprintf(stderr, "FAIL: a member that cannot work kept the token: %s\n", st);
		failed = 1;
	}
	ftpcoord_free(st);
	if (ftpcoord_listener_stop(h, 1) != FTPCOORD_OK) {
		fprintf(stderr, "FAIL: stop\n");
		failed = 1;
	}
	printf("workhealth: %s\n", failed ? "FAILED" : "passed");
	return failed;
}
