/*
 * jni_md.h for 64-bit Windows, written for ftpcoord's cross build.
 *
 * Why our own: the JDK's jni.h includes the platform's jni_md.h, which ships
 * only with a JDK for that platform (include/win32/), and Debian packages no
 * Windows JDK. The Linux JDK's jni.h is the same file on every platform; only
 * these few definitions differ. They follow the JNI specification's
 * platform types for Windows: LLP64 (long is 32 bits, so jint is long as
 * in the Windows JDK), exported entry points via __declspec, and __stdcall
 * (which x86-64 ignores: one calling convention, no name decoration).
 */
#ifndef FTPCOORD_WIN32_JNI_MD_H
#define FTPCOORD_WIN32_JNI_MD_H

#define JNIEXPORT __declspec(dllexport)
#define JNIIMPORT __declspec(dllimport)
#define JNICALL __stdcall

typedef long jint;
typedef __int64 jlong;
typedef signed char jbyte;

#endif
