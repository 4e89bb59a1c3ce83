/*
 * altstack_handlers: signal handlers on an alternate signal stack that make syscalls while other
 * signals keep arriving.
 *
 * 1. storm: SIGUSR1 (sent by the main loop) and SIGALRM (an interval timer) both have
 *    SA_ONSTACK handlers that make syscalls (getppid, close(-1), sigaltstack queries) and
 *    check, after each, that their own frame and siginfo are intact. A nested delivery that
 *    lands on top of a live frame on the alternate stack corrupts it: the check fails, or the
 *    handler's rt_sigreturn restores garbage. Each delivery also records whether the handler
 *    runs on the alternate stack (natively always; see the output's "off" count).
 * 2. queries: sigaltstack() reports SS_ONSTACK inside a handler and 0 outside; changing it
 *    from a handler running on it fails with EPERM.
 * 3. siglongjmp: a handler that leaves with siglongjmp leaves the alternate stack free: the
 *    next SA_ONSTACK handler runs on it again.
 *
 * Prints one line per part and "storm counts: deliveries=N off=N" (handlers that found
 * themselves off the alternate stack); exits non-zero if any check failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define ALT_SIZE (256 * 1024)
static char *alt;
static volatile sig_atomic_t usr1_count, alrm_count, bad, off_stack, query_bad;

static int on_alt(const void *p)
{
	return (const char *)p >= alt && (const char *)p < alt + ALT_SIZE;
}

static void work(int sig, siginfo_t *info)
{
	volatile uint64_t canary = 0x5a5a0000u + (unsigned)sig;
	int signo = info->si_signo;
	int here = on_alt((const void *)&canary);
	if (!here)
		off_stack++;
	for (int i = 0; i < 4; i++) {
		syscall(SYS_getppid);
		syscall(SYS_close, -1);
		stack_t o;
		if (sigaltstack(NULL, &o) != 0 || o.ss_flags != (here ? SS_ONSTACK : 0))
			query_bad++;
		if (canary != 0x5a5a0000u + (unsigned)sig || info->si_signo != signo || signo != sig)
			bad++;
	}
}

static void on_usr1(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	work(sig, info);
	usr1_count++;
}

static void on_alrm(int sig, siginfo_t *info, void *uc)
{
	(void)uc;
	work(sig, info);
	alrm_count++;
}

static sigjmp_buf jb;
static volatile sig_atomic_t usr2_on_alt, eperm_ok;

static void on_usr2(int sig)
{
	(void)sig;
	int here;
	usr2_on_alt = on_alt(&here);
	stack_t ss = { .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0 };
	eperm_ok = sigaltstack(&ss, NULL) == -1 && errno == EPERM;
	siglongjmp(jb, 1);
}

static void handle(int sig, void (*f)(int, siginfo_t *, void *))
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = f;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigaction(sig, &sa, NULL);
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 20000;
	int failed = 0;
	alt = malloc(ALT_SIZE);
	stack_t ss = { .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0 };
	if (sigaltstack(&ss, NULL) != 0) {
		perror("sigaltstack");
		return 2;
	}
	stack_t o;
	int outside_ok = sigaltstack(NULL, &o) == 0 && o.ss_flags == 0 && o.ss_sp == alt && o.ss_size == ALT_SIZE;

	handle(SIGUSR1, on_usr1);
	handle(SIGALRM, on_alrm);
	struct itimerval it = { { 0, 50 }, { 0, 50 } };
	setitimer(ITIMER_REAL, &it, NULL);
	for (int i = 0; i < rounds; i++)
		kill(getpid(), SIGUSR1);
	struct itimerval off = { { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &off, NULL);
	int storm_ok = usr1_count == rounds && alrm_count > 0 && bad == 0;
	printf("storm: %s\n", storm_ok ? "ok" : "FAILED");
	fprintf(stderr, "storm counts: deliveries=%d off=%d\n", (int)(usr1_count + alrm_count), (int)off_stack);
	if (!storm_ok)
		fprintf(stderr, "usr1=%d/%d alrm=%d corrupt=%d off_stack=%d\n", (int)usr1_count, rounds,
			(int)alrm_count, (int)bad, (int)off_stack);
	failed += !storm_ok;

	int queries_ok = outside_ok && query_bad == 0 && sigaltstack(NULL, &o) == 0 && o.ss_flags == 0;
	printf("queries: %s\n", queries_ok ? "ok" : "FAILED");
	failed += !queries_ok;

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr2;
	sa.sa_flags = SA_ONSTACK;
	sigaction(SIGUSR2, &sa, NULL);
	int jumps_ok = 1;
	for (int i = 0; i < 3; i++) {
		usr2_on_alt = 0;
		eperm_ok = 0;
		if (sigsetjmp(jb, 1) == 0)
			raise(SIGUSR2);
		jumps_ok &= usr2_on_alt && eperm_ok;
	}
	printf("siglongjmp: %s\n", jumps_ok ? "ok" : "FAILED");
	failed += !jumps_ok;
	return failed ? 1 : 0;
}
