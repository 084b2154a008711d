/*
 * A stand-in for Windows' bcryptprimitives.dll, for tests under wine only
 * (never shipped). Go's Windows runtime (1.22 and later) takes its random
 * bytes from bcryptprimitives.dll!ProcessPrng, which Windows 10 and later
 * have but Debian 12's wine (8.0) lacks: without it ftpcoord.dll aborts at
 * load with "bcryptprimitives.dll not found". This one answers from
 * RtlGenRandom (advapi32's SystemFunction036), which wine has.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buf, ULONG len);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	while (len > 0) {
		ULONG n = len > 0x40000000 ? 0x40000000 : (ULONG)len;
		if (!SystemFunction036(data, n)) return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
