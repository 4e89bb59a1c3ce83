/* Faults handled on an alternate signal stack and left with siglongjmp, over and over (the
 * fault-recovery loop of stress-ng's mprotect stressor): the handler makes a syscall, then
 * siglongjmp (whose rt_sigprocmask runs on the alternate stack) goes back to code off it.
 * Natively every delivery lands at the same place, the top of the alternate stack. Under
 * sysgate a call made on the alternate stack lends the part below the caller to the kernel
 * (crates/runtime/src/signals.rs, `lend_alt_stack`); a loan that outlived the handler put each
 * delivery one frame lower than the last, until the stack ran out after about 20 faults and
 * the kernel killed the process. Prints the number of faults and of distinct handler depths. */
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

int main(void)
{
	static char alt[64 * 1024];
	stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt};
	struct sigaction sa = {.sa_handler = handler, .sa_flags = SA_ONSTACK};
	char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED || sigaltstack(&ss, NULL) || sigaction(SIGSEGV, &sa, NULL)) {
		perror("set-up");
		return 1;
	}
	volatile int faults = 0;
	sigsetjmp(env, 1);
	if (faults < 500) {
		faults++;
		*(volatile char *)page = 1;
	}
	printf("faults: %d, handler depths: %d\n", faults, ndepths);
	return 0;
}
