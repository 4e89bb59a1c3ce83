/*
 * sud_cost: what Syscall User Dispatch costs each syscall in the kernel alone, on this machine.
 *
 * While SUD is on for a thread, every syscall it makes takes the kernel's slow entry and exit
 * (syscall_trace_enter, syscall_user_dispatch, syscall_exit_work), even one made from the
 * allowed range, which is where sysgate's entry makes the program's calls. That is a floor
 * under every call sysgate passes through. This probe times the same raw getppid loop with SUD
 * off and with SUD on (the whole address space allowed, selector ALLOW: no call is
 * dispatched), alternating in one process.
 *
 * Usage: sud_cost N   Prints "off X on Y" (ns per call, best of 9 rounds each).
 * Used by scripts/bench; timings belong to benchmarks, not tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <time.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static double loop(long n)
{
	double a = now();
	for (long i = 0; i < n; i++) {
		long r;
		__asm__ volatile("syscall" : "=a"(r) : "a"(110L) : "rcx", "r11", "memory");
	}
	return (now() - a) / n;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 300000;
	volatile char selector = 0; /* SYSCALL_DISPATCH_FILTER_ALLOW */
	double off = 1e18, on = 1e18;
	for (int round = 0; round < 9; round++) {
		double x = loop(n);
		if (x < off)
			off = x;
		if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0UL, 0x7fffffffffffUL, &selector)) {
			perror("sud_cost: PR_SET_SYSCALL_USER_DISPATCH");
			return 1;
		}
		double y = loop(n);
		prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0UL, 0UL, 0UL);
		if (y < on)
			on = y;
	}
	printf("off %.1f on %.1f\n", off, on);
	return 0;
}
