/*
 * ret_after_syscall: what a `ret` right after a `syscall` costs on this machine.
 *
 * The kernel's return-stack mitigations (SRSO "Safe RET", RSB filling) can leave the CPU's
 * return-stack buffer useless when a syscall returns, so that the first `ret` to a `call` made
 * before the syscall is mispredicted. The entry of sysgate therefore returns with
 * `pop %rcx; jmp *%rcx` (crates/runtime/src/entry.rs). This probe times a getppid loop three
 * ways, in one process:
 *   inline   `syscall` in the loop (no call at all)
 *   ret      `call f` where f is `syscall; ret`
 *   jmp      `call g` where g is `syscall; pop %rcx; jmp *%rcx`
 *
 * Usage: ret_after_syscall N   Prints "inline X ret Y jmp Z" (ns per call, best of 5 rounds).
 * Used by scripts/bench; timings belong to benchmarks, not tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

__asm__(".text\n"
	"ras_ret: mov $110, %eax\n syscall\n ret\n"
	"ras_jmp: mov $110, %eax\n syscall\n pop %rcx\n jmp *%rcx\n");

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

#define TIME(stmt)                                    \
	({                                            \
		double t0 = now_ns();                 \
		for (long i = 0; i < n; i++)          \
			stmt;                         \
		(now_ns() - t0) / n;                  \
	})

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 0;
	if (n <= 0) {
		fprintf(stderr, "usage: %s N\n", argv[0]);
		return 2;
	}
	double best[3] = { 1e18, 1e18, 1e18 };
	for (int round = 0; round < 5; round++) {
		double t[3];
		t[0] = TIME(__asm__ volatile("mov $110, %%eax; syscall" ::: "rax", "rcx", "r11", "memory"));
		t[1] = TIME(__asm__ volatile("call ras_ret" ::: "rax", "rcx", "r11", "memory"));
		t[2] = TIME(__asm__ volatile("call ras_jmp" ::: "rax", "rcx", "r11", "memory"));
		for (int k = 0; k < 3; k++)
			if (t[k] < best[k])
				best[k] = t[k];
	}
	printf("inline %.1f ret %.1f jmp %.1f\n", best[0], best[1], best[2]);
	return 0;
}
