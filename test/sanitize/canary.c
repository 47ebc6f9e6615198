/*
 * Sanitizer canary for test/sanitize/run.sh: a tiny module built with the same
 * -fsanitize flags as dbos_client and loaded into the same postmaster. It proves that
 * the harness sees reports from a dlopen'ed module: if these bugs go unreported, a clean
 * run of the suites would prove nothing. Never installed outside the private prefix.
 */
#include "postgres.h"

#include <stdlib.h>

#include "fmgr.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(asan_canary);
/* Writes one byte past a malloc'ed block: AddressSanitizer heap-buffer-overflow. */
Datum
asan_canary(PG_FUNCTION_ARGS)
{
	int32		n = PG_GETARG_INT32(0);
	char	   *p = malloc(n);

	/* volatile: a plain store just before free() is dead and compiled away */
	((volatile char *) p)[n] = 1;
	free(p);
	PG_RETURN_VOID();
}

PG_FUNCTION_INFO_V1(ubsan_canary);
/* Signed overflow for 2147483647: UndefinedBehaviorSanitizer "runtime error". */
Datum
ubsan_canary(PG_FUNCTION_ARGS)
{
	int32		x = PG_GETARG_INT32(0);

	PG_RETURN_INT32(x + 1);
}
