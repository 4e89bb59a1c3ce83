/*
 * getppid_loop: the cost of one syscall, for benchmarks.
 *
 * Usage: getppid_loop N [asm|libc]
 *   asm   (default) getppid through an inline `syscall` in this binary
 *   libc  getppid() from libc
 *
 * Prints "<mode> <N> calls <ns> ns/call" on stdout.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline long asm_getppid(void)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "0"((long)SYS_getppid) : "rcx", "r11", "memory");
	return ret;
}

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s N [asm|libc]\n", argv[0]);
		return 2;
	}
	long n = atol(argv[1]);
	const char *mode = argc == 3 ? argv[2] : "asm";
	int use_libc;
	if (strcmp(mode, "asm") == 0)
		use_libc = 0;
	else if (strcmp(mode, "libc") == 0)
		use_libc = 1;
	else {
		fprintf(stderr, "%s: unknown mode %s\n", argv[0], mode);
		return 2;
	}
	if (n <= 0) {
		fprintf(stderr, "%s: N must be positive\n", argv[0]);
		return 2;
	}

	long expected = getppid(), mismatches = 0;
	double start = now_ns();
	if (use_libc) {
		for (long i = 0; i < n; i++)
			mismatches += getppid() != expected;
	} else {
		for (long i = 0; i < n; i++)
			mismatches += asm_getppid() != expected;
	}
	double elapsed = now_ns() - start;
	printf("%s %ld calls %.1f ns/call\n", mode, n, elapsed / n);
	if (mismatches) {
		fprintf(stderr, "%s: %ld calls returned a wrong parent pid\n", argv[0], mismatches);
		return 1;
	}
	return 0;
}
