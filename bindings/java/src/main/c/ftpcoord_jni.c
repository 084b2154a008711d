/*
 * ftpcoord_jni.c: the JNI glue between io.github.ftpcoord.Native and
 * libftpcoord.so (ftpcoord.h). It is deliberately thin: every function
 * copies its byte[] arguments into NUL-terminated C strings, calls one
 * ftpcoord_* function and hands strings back as byte[].
 *
 * Strings cross as UTF-8 byte[] in both directions, never through
 * NewStringUTF/GetStringUTFChars: JNI's "modified UTF-8" would corrupt
 * characters outside the BMP (emoji) in file names.
 *
 * Out-parameters are a byte[][] of length 1 (out[0]): the event or result
 * JSON on success, the library's last error on failure, read right after
 * the failing call.
 */
#include <jni.h>
#include <stdlib.h>
#include <string.h>

#include "ftpcoord.h"

/* cstr copies a Java byte[] (UTF-8) into a malloc'd NUL-terminated string;
 * NULL for a null array. Sets *oom when malloc fails. */
static char *cstr(JNIEnv *env, jbyteArray a, int *oom) {
	if (a == NULL) return NULL;
	jsize n = (*env)->GetArrayLength(env, a);
	char *s = malloc((size_t)n + 1);
	if (s == NULL) {
		*oom = 1;
		return NULL;
	}
	(*env)->GetByteArrayRegion(env, a, 0, n, (jbyte *)s);
	s[n] = 0;
	return s;
}

/* bytes makes a Java byte[] of a C string; NULL stays NULL. */
static jbyteArray bytes(JNIEnv *env, const char *s) {
	if (s == NULL) return NULL;
	jsize n = (jsize)strlen(s);
	jbyteArray a = (*env)->NewByteArray(env, n);
	if (a != NULL) (*env)->SetByteArrayRegion(env, a, 0, n, (const jbyte *)s);
	return a;
}

/* put stores s (owned by the library) in out[0] and frees it. */
static void put(JNIEnv *env, jobjectArray out, char *s) {
	if (out != NULL && s != NULL && (*env)->GetArrayLength(env, out) > 0) {
		jbyteArray a = bytes(env, s);
		if (a != NULL) {
			(*env)->SetObjectArrayElement(env, out, 0, a);
			(*env)->DeleteLocalRef(env, a);
		}
	}
	ftpcoord_free(s);
}

/* put_error stores the library's last error in out[0]. */
static void put_error(JNIEnv *env, jobjectArray out) { put(env, out, ftpcoord_last_error()); }

static void throw_oom(JNIEnv *env) {
	jclass c = (*env)->FindClass(env, "java/lang/OutOfMemoryError");
	if (c != NULL) (*env)->ThrowNew(env, c, "ftpcoord: out of native memory");
}

JNIEXPORT jbyteArray JNICALL Java_io_github_ftpcoord_Native_version(JNIEnv *env, jclass cls) {
	(void)cls;
	return bytes(env, ftpcoord_version());
}

JNIEXPORT jlong JNICALL Java_io_github_ftpcoord_Native_listenerNew(JNIEnv *env, jclass cls, jbyteArray config,
                                                                    jobjectArray err) {
	(void)cls;
	int oom = 0;
	char *c = cstr(env, config, &oom);
	if (oom) {
		throw_oom(env);
		return 0;
	}
	int64_t h = ftpcoord_listener_new(c);
	if (h == 0) put_error(env, err);
	free(c);
	return (jlong)h;
}

JNIEXPORT jint JNICALL Java_io_github_ftpcoord_Native_attach(JNIEnv *env, jclass cls, jlong h, jbyteArray spec,
                                                              jobjectArray err) {
	(void)cls;
	int oom = 0;
	char *s = cstr(env, spec, &oom);
	if (oom) {
		throw_oom(env);
		return FTPCOORD_ERROR;
	}
	int rc = ftpcoord_listener_attach((int64_t)h, s);
	if (rc != FTPCOORD_OK) put_error(env, err);
	free(s);
	return rc;
}

JNIEXPORT jint JNICALL Java_io_github_ftpcoord_Native_start(JNIEnv *env, jclass cls, jlong h, jobjectArray err) {
	(void)cls;
	int rc = ftpcoord_listener_start((int64_t)h);
	if (rc != FTPCOORD_OK) put_error(env, err);
	return rc;
}

JNIEXPORT jint JNICALL Java_io_github_ftpcoord_Native_stop(JNIEnv *env, jclass cls, jlong h, jboolean graceful,
                                                            jobjectArray err) {
	(void)cls;
	int rc = ftpcoord_listener_stop((int64_t)h, graceful ? 1 : 0);
	if (rc != FTPCOORD_OK) put_error(env, err);
	return rc;
}

JNIEXPORT jint JNICALL Java_io_github_ftpcoord_Native_poll(JNIEnv *env, jclass cls, jlong h, jint timeout_ms,
                                                            jobjectArray out) {
	(void)cls;
	char *ev = NULL;
	int rc = ftpcoord_listener_poll((int64_t)h, (int)timeout_ms, &ev);
	if (rc == FTPCOORD_OK) {
		put(env, out, ev);
	} else {
		ftpcoord_free(ev);
		if (rc != FTPCOORD_TIMEOUT) put_error(env, out);
	}
	return rc;
}

JNIEXPORT jint JNICALL Java_io_github_ftpcoord_Native_pollOnce(JNIEnv *env, jclass cls, jlong h, jobjectArray out) {
	(void)cls;
	char *evs = NULL;
	int rc = ftpcoord_listener_poll_once((int64_t)h, &evs);
	if (rc == FTPCOORD_OK) {
		put(env, out, evs);
	} else {
		/* A failed cycle may still have produced events; they are lost to
		 * the host only if it ignores them, so hand them over too. */
		if (evs != NULL && out != NULL && (*env)->GetArrayLength(env, out) > 1) {
			jbyteArray a = bytes(env, evs);
			if (a != NULL) (*env)->SetObjectArrayElement(env, out, 1, a);
		}
		ftpcoord_free(evs);
		put_error(env, out);
	}
	return rc;
}

/* read returns the number of bytes read (0: end of file) or a negative
 * status code, with the error in err[0]. The content goes through a
 * native buffer of at most len bytes: never a whole-file copy. */
JNIEXPORT jlong JNICALL Java_io_github_ftpcoord_Native_read(JNIEnv *env, jclass cls, jlong h, jlong id,
                                                             jbyteArray buf, jint off, jint len,
                                                             jobjectArray err) {
	(void)cls;
	if (buf == NULL || off < 0 || len <= 0 || off > (*env)->GetArrayLength(env, buf) - len) {
		return FTPCOORD_INVALID_ARG;
	}
	char stack[16384];
	char *tmp = len <= (jint)sizeof stack ? stack : malloc((size_t)len);
	if (tmp == NULL) {
		throw_oom(env);
		return FTPCOORD_ERROR;
	}
	int64_t n = 0;
	int rc = ftpcoord_event_read((int64_t)h, (int64_t)id, tmp, (int64_t)len, &n);
	if (rc == FTPCOORD_OK && n > 0) {
		(*env)->SetByteArrayRegion(env, buf, off, (jsize)n, (const jbyte *)tmp);
	}
	if (tmp != stack) free(tmp);
	if (rc != FTPCOORD_OK) {
		put_error(env, err);
		return rc;
	}
	return (jlong)n;
}

JNIEXPORT jint JNICALL Java_io_github_ftpcoord_Native_ack(JNIEnv *env, jclass cls, jlong h, jlong id, jint outcome,
                                                           jbyteArray message, jobjectArray err) {
	(void)cls;
	int oom = 0;
	char *m = cstr(env, message, &oom);
	if (oom) {
		throw_oom(env);
		return FTPCOORD_ERROR;
	}
	int rc = ftpcoord_event_ack((int64_t)h, (int64_t)id, (int)outcome, m);
	if (rc != FTPCOORD_OK) put_error(env, err);
	free(m);
	return rc;
}

JNIEXPORT jint JNICALL Java_io_github_ftpcoord_Native_eventMethod(JNIEnv *env, jclass cls, jlong h, jlong id,
                                                                   jbyteArray method, jobjectArray err) {
	(void)cls;
	int oom = 0;
	char *m = cstr(env, method, &oom);
	if (oom) {
		throw_oom(env);
		return FTPCOORD_ERROR;
	}
	int rc = ftpcoord_event_method((int64_t)h, (int64_t)id, m);
	if (rc != FTPCOORD_OK) put_error(env, err);
	free(m);
	return rc;
}

JNIEXPORT jbyteArray JNICALL Java_io_github_ftpcoord_Native_status(JNIEnv *env, jclass cls, jlong h,
                                                                    jobjectArray err) {
	(void)cls;
	char *s = ftpcoord_status((int64_t)h);
	if (s == NULL) {
		put_error(env, err);
		return NULL;
	}
	jbyteArray a = bytes(env, s);
	ftpcoord_free(s);
	return a;
}

JNIEXPORT jint JNICALL Java_io_github_ftpcoord_Native_caller(JNIEnv *env, jclass cls, jlong h, jbyteArray request,
                                                              jobjectArray out) {
	(void)cls;
	int oom = 0;
	char *r = cstr(env, request, &oom);
	if (oom) {
		throw_oom(env);
		return FTPCOORD_ERROR;
	}
	char *res = NULL;
	int rc = ftpcoord_caller((int64_t)h, r, &res);
	free(r);
	if (rc == FTPCOORD_OK) {
		put(env, out, res);
	} else {
		ftpcoord_free(res);
		put_error(env, out);
	}
	return rc;
}
