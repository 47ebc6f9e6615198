/*
 * Preloaded after libasan into the postmaster by test/sanitize/run.sh (as preload.so).
 *
 * 1. Linked with -z initfirst, so the dynamic loader runs asan_init_first() before any
 *    other library constructor: ASan is initialized before the constructors of
 *    libgpg-error and p11-kit (which postgres pulls in through libsystemd, gnutls and
 *    libldap) call bindtextdomain(). Without it the ASan runtime initializes lazily inside
 *    bindtextdomain(), glibc's _nl_state_lock is left corrupted, and `postgres -V` (hence
 *    pg_ctl start) hangs forever in the next bindtextdomain().
 *
 * 2. __ubsan_default_options(): the UBSan handlers (those of libasan) parse UBSAN_OPTIONS
 *    lazily, at the first report, by reading /proc/self/environ, which postgres has
 *    overwritten with its ps display by then (save_ps_display_args). The variable is lost
 *    and the defaults apply: no stack trace, no halt. The options are compiled in instead
 *    (-DSANITIZE_UBSAN_OPTIONS=...).
 */
#ifndef SANITIZE_UBSAN_OPTIONS
#define SANITIZE_UBSAN_OPTIONS "print_stacktrace=1:halt_on_error=1:abort_on_error=1"
#endif

void __asan_init(void);

__attribute__((constructor)) static void
asan_init_first(void)
{
	__asan_init();
}

const char *
__ubsan_default_options(void)
{
	return SANITIZE_UBSAN_OPTIONS;
}
