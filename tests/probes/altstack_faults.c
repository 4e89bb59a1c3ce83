/* Faults handled on an alternate signal stack and left with siglongjmp, over and over (the
 * fault-recovery loop of stress-ng's mprotect stressor): the handler makes a syscall, then
 * siglongjmp (whose rt_sigprocmask runs on the alternate stack) goes back to code off it.
 * Natively every delivery lands at the same place, the top of the alternate stack. Under
 * sysgate a call made on the alternate stack lends the part below the caller to the kernel
 * (crates/runtime/src/signals.rs, `lend_alt_stack`); a loan that outlived the handler put each
 * delivery one frame lower than the last, until the stack ran out after about 20 faults and
 * the kernel killed the process. Prints the number of faults and of distinct handler depths.
 *
 * With the argument `kill`, the signal is SIGUSR1 from raise() instead of a fault: the
 * runtime gives the whole stack back at the next call it serves from the program's own stack
 * (raise's tgkill under trace; under run such a call takes the fast path, see the README). */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static char *depths[8];
static int ndepths;

static void handler(int sig)
{
	(void)sig;
	char here;
	int known = 0;
	for (int i = 0; i < ndepths; i++)
		known |= depths[i] == &here;
	if (!known && ndepths < 8)
		depths[ndepths++] = &here;
	getppid();
	siglongjmp(env, 1);
}

int main(int argc, char **argv)
{
	int by_kill = argc > 1 && argv[1][0] == 'k';
	int sig = by_kill ? SIGUSR1 : SIGSEGV;
	static char alt[64 * 1024];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
	struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_ONSTACK};
	char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || sigaltstack(&ss, NULL) || sigaction(sig, &sa, NULL)) {
		perror("set-up");
		return 1;
	}
	volatile int faults = 0;
	sigsetjmp(env, 1);
	if (faults < 500) {
		faults++;
		if (by_kill)
			raise(SIGUSR1);
		else
			*(volatile char *)page = 1;
	}
	printf("%s: %d, handler depths: %d\n", by_kill ? "signals" : "faults", faults, ndepths);
	return 0;
}
