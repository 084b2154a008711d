/*
 * jniload_test.c: loads a shipped JNI pair the way io.github.ftpcoord.Native
 * does (the core library by path, then the glue by path), checks that the
 * glue exports every native method Native declares, and calls the version
 * entry point through a minimal JNIEnv. It stands in for a JVM on the
 * platforms whose JVM cannot run here (tests/capi/cross.sh).
 *
 *   jniload_test CORE_LIBRARY JNI_LIBRARY METHOD...
 *
 * METHODs are Native's native method names (version, listenerNew, ...).
 * Prints "N passed, N failed".
 */
#include <jni.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
static void *open_lib(const char *path) { return (void *)LoadLibraryA(path); }
static void *symbol(void *lib, const char *name) { return (void *)GetProcAddress((HMODULE)lib, name); }
static const char *load_error(void) {
	static char msg[64];
	snprintf(msg, sizeof msg, "LoadLibrary error %lu", (unsigned long)GetLastError());
	return msg;
}
#else
#include <dlfcn.h>
static void *open_lib(const char *path) { return dlopen(path, RTLD_NOW | RTLD_GLOBAL); }
static void *symbol(void *lib, const char *name) { return dlsym(lib, name); }
static const char *load_error(void) { return dlerror(); }
#endif

static int passed, failed;

#define CHECK(cond, ...)                                           \
	do {                                                           \
		if (cond) {                                                \
			passed++;                                              \
		} else {                                                   \
			failed++;                                              \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                          \
			fprintf(stderr, "\n");                                 \
		}                                                          \
	} while (0)

/* The two JNIEnv functions the glue's version() uses; a byte[] is a
 * length and its bytes. */
struct fake_array {
	jsize len;
	jbyte data[];
};

static jbyteArray JNICALL fake_new_byte_array(JNIEnv *env, jsize len) {
	(void)env;
	struct fake_array *a = calloc(1, sizeof *a + (size_t)len + 1);
	if (a == NULL) return NULL;
	a->len = len;
	return (jbyteArray)a;
}

static void JNICALL fake_set_byte_array_region(JNIEnv *env, jbyteArray array, jsize start, jsize len,
                                               const jbyte *buf) {
	(void)env;
	struct fake_array *a = (struct fake_array *)array;
	memcpy(a->data + start, buf, (size_t)len);
}

int main(int argc, char **argv) {
	if (argc < 4) {
		fprintf(stderr, "usage: %s CORE_LIBRARY JNI_LIBRARY METHOD...\n", argv[0]);
		return 2;
	}
	void *core = open_lib(argv[1]);
	CHECK(core != NULL, "load %s: %s", argv[1], load_error());
	void *glue = core ? open_lib(argv[2]) : NULL;
	CHECK(glue != NULL, "load %s: %s", argv[2], load_error());
	if (glue == NULL) {
		printf("%d passed, %d failed\n", passed, failed);
		return 1;
	}
	for (int i = 3; i < argc; i++) {
		char name[256];
		snprintf(name, sizeof name, "Java_io_github_ftpcoord_Native_%s", argv[i]);
		CHECK(symbol(glue, name) != NULL, "the glue does not export %s", name);
	}

	struct JNINativeInterface_ fns;
	memset(&fns, 0, sizeof fns);
	fns.NewByteArray = fake_new_byte_array;
	fns.SetByteArrayRegion = fake_set_byte_array_region;
	JNIEnv env = &fns;
	typedef jbyteArray(JNICALL * version_fn)(JNIEnv *, jclass);
	version_fn version = (version_fn)symbol(glue, "Java_io_github_ftpcoord_Native_version");
	if (version != NULL) {
		struct fake_array *v = (struct fake_array *)version(&env, NULL);
		CHECK(v != NULL && v->len > 9 && strncmp((const char *)v->data, "ftpcoord ", 9) == 0,
		      "version() through the glue: %s", v ? (const char *)v->data : "(null)");
		if (v != NULL) printf("jniload: %s\n", (const char *)v->data);
		free(v);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
