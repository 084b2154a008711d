/*
 * ftpcoord.h: the C ABI of libftpcoord.so, a highly available FTP/FTPS/SFTP
 * file-polling listener (https://github.com/ftpcoord/ftpcoord).
 *
 * Conventions
 * - Objects are integer handles (int64_t > 0). A handle is closed by
 *   ftpcoord_listener_stop; using it afterwards returns
 *   FTPCOORD_INVALID_HANDLE, never crashes.
 * - Strings are NUL-terminated UTF-8. Strings the library returns (through
 *   a char** out-parameter or as a return value) belong to the caller, who
 *   frees them with ftpcoord_free, except ftpcoord_version's.
 * - Every function returns a status code (below) unless documented
 *   otherwise; after a failure ftpcoord_last_error tells why, naming the
 *   configuration field when a field is at fault. The last error is
 *   per thread, like errno: a failure on one thread never changes what
 *   another thread reads.
 * - Functions may be called from any thread. The library installs no
 *   signal handlers of its own (the Go runtime's own handling of
 *   synchronous signals aside); a JVM host must not preload libjsig.
 * - Delivery is pull: the host calls ftpcoord_listener_poll and gets the
 *   next event as JSON; the library never calls into the host.
 */
#ifndef FTPCOORD_H
#define FTPCOORD_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. */
#define FTPCOORD_OK              0  /* success */
#define FTPCOORD_TIMEOUT         1  /* ftpcoord_listener_poll: no event within the timeout */
#define FTPCOORD_INVALID_ARG    -1  /* a NULL pointer, bad JSON, an unknown event id */
#define FTPCOORD_INVALID_HANDLE -2  /* never made, or already stopped */
#define FTPCOORD_ERROR          -3  /* the operation failed; see ftpcoord_last_error */
#define FTPCOORD_CLOSED         -4  /* the listener was stopped while waiting */
#define FTPCOORD_PANIC          -5  /* an internal error (a bug); the handle may be unusable */

/* The library's own cgo preamble takes the constants from this header and
 * defines FTPCOORD_CONSTANTS_ONLY: cgo declares the functions itself (its
 * declarations have no const). Hosts leave it undefined. */
#ifndef FTPCOORD_CONSTANTS_ONLY

/* The library's version, e.g. "ftpcoord v0.1.0". Static: do not free. */
const char *ftpcoord_version(void);

/* The message of the last failed call on this thread, or NULL. Free with
 * ftpcoord_free. */
char *ftpcoord_last_error(void);

/* Frees a string returned by the library. NULL is allowed. */
void ftpcoord_free(void *p);

/*
 * Makes a listener from its configuration: the JSON of ballerina/ftp's
 * ListenerConfiguration (protocol, host, port, auth, path, fileNamePattern,
 * pollingInterval, coordination, ...; see docs/configuration.md). Returns a handle, or
 * 0 when the configuration is invalid (ftpcoord_last_error names the field).
 * Nothing connects until start or poll_once.
 */
int64_t ftpcoord_listener_new(const char *config_json);

/*
 * Says which events the host wants, as JSON:
 *   {"onFile": true, "onFileChange": false, "onFileDelete": true, "onError": true}
 * onFile: one event per new file version, with its content readable through
 * ftpcoord_event_read; onFileChange: one event per poll (or per claimed batch
 * with coordination) listing the files. Both wait for ftpcoord_event_ack.
 * A configuration with "services" gets the same events from each service,
 * each naming its service in "service" (its name; "" or absent for the one
 * without a name).
 */
int ftpcoord_listener_attach(int64_t handle, const char *service_json);

/* Joins the coordination group (if configured) and polls on the listener's
 * own schedule (pollingInterval). */
int ftpcoord_listener_start(int64_t handle);

/*
 * Stops the listener and closes the handle. graceful != 0 hands the
 * coordination token over at once; 0 leaves it to expire, as a crash would.
 * Events not yet acknowledged are given back, not failed: with the ledger
 * they are released at once for another member (or a later start) to take,
 * and the attempt is not counted. graceful == 0 releases nothing.
 */
int ftpcoord_listener_stop(int64_t handle, int graceful);

/*
 * Waits up to timeout_ms (negative: no limit) for the next event and stores
 * it in *event_json (free with ftpcoord_free):
 *   {"id": 7, "kind": "file", "file": {FileInfo}, "needsAck": true}
 *   {"id": 8, "kind": "fileChange", "event": {"addedFiles": [...], "deletedFiles": [...]}, "needsAck": true}
 *   {"id": 9, "kind": "fileDelete", "path": "/in/a.csv", "needsAck": false}
 *   {"id": 10, "kind": "error", "error": "...", "needsAck": false}
 * With services, an event also has "service": "NAME".
 * FileInfo has Ballerina's fields (path, size, lastModifiedTimestamp, name,
 * isFolder, isFile, extension, ...) plus idempotencyKey and attempt.
 * Returns FTPCOORD_OK with an event, FTPCOORD_TIMEOUT without one.
 */
int ftpcoord_listener_poll(int64_t handle, int timeout_ms, char **event_json);

/*
 * Runs one polling cycle now, for hosts that schedule polls themselves, and
 * stores the events it produced as a JSON array in *events_json. It returns
 * when the cycle ends or as soon as an event waits for an ack; the cycle
 * then continues and its later events come from ftpcoord_listener_poll.
 */
int ftpcoord_listener_poll_once(int64_t handle, char **events_json);

/*
 * Reads up to len bytes of a file event's content into buf and stores the
 * count in *n. *n == 0 with FTPCOORD_OK is the end of the file. Content is
 * streamed from the server: nothing holds the whole file. Valid until the
 * event is acknowledged.
 */
int ftpcoord_event_read(int64_t handle, int64_t event_id, void *buf, int64_t len, int64_t *n);

/*
 * Tells which of the host's methods took a file event, before its ack:
 * "onFileText", "onFileJson", "onFileXml", "onFileCsv" or "onFile" (the
 * default). The after-actions the configuration gives that method
 * (services[].methods, as Ballerina's @ftp:FunctionConfig) then apply.
 */
int ftpcoord_event_method(int64_t handle, int64_t event_id, const char *method);

#endif /* FTPCOORD_CONSTANTS_ONLY */

/* Outcomes of ftpcoord_event_ack. */
#define FTPCOORD_ACK_PROCESSED 0 /* done: with coordination the ledger commits it (fenced by the member's term), then afterProcess */
#define FTPCOORD_ACK_FAILED    1 /* a failed attempt: retried after retryTimeout, REJECTED after maxTries */
#define FTPCOORD_ACK_REJECT    2 /* rejected at once, whatever the tries left: REJECTED (durably, with
                                    coordination: no member offers it again until an operator requeues
                                    it), afterError, and an "error" event telling the rejection */

#ifndef FTPCOORD_CONSTANTS_ONLY

/*
 * Ends an event that waits for the host with one of the FTPCOORD_ACK_*
 * outcomes; message (may be NULL) is the reason of a failure or a
 * rejection. Any other non-zero outcome is FTPCOORD_ACK_FAILED, as before
 * the reject outcome existed. For a fileChange event the outcome is the
 * whole batch's. Without coordination every failure is final (no retries):
 * a failed or rejected file gets afterError either way.
 */
int ftpcoord_event_ack(int64_t handle, int64_t event_id, int outcome, const char *message);

/* The member's state as JSON (coordinated, role, holder, term,
 * lastHeartbeat, healthy, ledger counts by state, listing, and work:
 * {"able": false, "reason": "...", "asideUntil": "..."} once the file
 * server has been unreachable or refused for stepAsideAfter), or NULL.
 * Free with ftpcoord_free. */
char *ftpcoord_status(int64_t handle);

/*
 * Runs a Caller operation on the watched server, described as JSON:
 *   {"op": "exists" | "size" | "isDirectory" | "list" | "delete" | "rename" | "move" |
 *          "copy" | "mkdir" | "rmdir" | "put" | "append" | "get",
 *    "path": "/in/a.csv", "to": "/done/a.csv", "content": "text", "contentBase64": "..."}
 * and stores the result as JSON in *result_json (free with ftpcoord_free),
 * e.g. {"exists": true}, {"size": 12}, {"files": [FileInfo...]},
 * {"contentBase64": "..."} (get: for small files; stream large ones through
 * file events).
 */
int ftpcoord_caller(int64_t handle, const char *request_json, char **result_json);

#endif /* FTPCOORD_CONSTANTS_ONLY */

#ifdef __cplusplus
}
#endif

#endif /* FTPCOORD_H */
