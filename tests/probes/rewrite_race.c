/*
 * rewrite_race: many threads execute the same never-executed syscall sites at once, so the
 * first traps, the rewrites and executions of the half-rewritten code all race. Every call must
 * return the right value.
 *
 * Usage: rewrite_race [THREADS] [CALLS]
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static long expected_ppid, expected_pid;
static pthread_barrier_t start;
static long calls = 20000;

/* Several distinct sites, each reached by every thread for the first time together. */
#define SITE(name, nr)                                                                             \
	static __attribute__((noinline)) long name(void)                                           \
	{                                                                                          \
		long r;                                                                            \
		__asm__ volatile("syscall" : "=a"(r) : "0"((long)(nr)) : "rcx", "r11", "memory"); \
		return r;                                                                          \
	}
SITE(site_a, SYS_getppid)
SITE(site_b, SYS_getpid)
SITE(site_c, SYS_getppid)
SITE(site_d, SYS_getpid)

/* A site whose seven bytes straddle an aligned 16-byte block (they start at offset 12): the
   rewriter patches it in steps (int3 first), which must be just as safe. */
extern long site_straddle(void);
__asm__(".text\n"
	".p2align 4\n"
	".globl site_straddle\n"
	".type site_straddle,@function\n"
	"site_straddle:\n"
	".cfi_startproc\n"
	"	.byte 0x0f, 0x1f, 0x40, 0x00\n" /* 4-byte nop */
	"	.byte 0x0f, 0x1f, 0x40, 0x00\n"
	"	.byte 0x0f, 0x1f, 0x40, 0x00\n"
	"	mov $39, %eax\n"                 /* offsets 12..16 */
	"	syscall\n"                       /* offsets 17..18 */
	"	ret\n"
	".cfi_endproc\n"
	".size site_straddle, .-site_straddle\n");

static void *worker(void *arg)
{
	long bad = 0;
	(void)arg;
	pthread_barrier_wait(&start);
	for (long i = 0; i < calls; i++) {
		bad += site_a() != expected_ppid;
		bad += site_b() != expected_pid;
		bad += site_c() != expected_ppid;
		bad += site_d() != expected_pid;
		bad += site_straddle() != expected_pid;
	}
	return (void *)bad;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 8;
	if (argc > 2)
		calls = atol(argv[2]);
	expected_ppid = getppid();
	expected_pid = getpid();
	pthread_t t[64];
	if (n < 1 || n > 64)
		return 2;
	pthread_barrier_init(&start, NULL, n);
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	long bad = 0;
	for (int i = 0; i < n; i++) {
		void *r;
		pthread_join(t[i], &r);
		bad += (long)r;
	}
	printf("%d threads, %ld calls each: %ld wrong results\n", n, calls * 5, bad);
	return bad != 0;
}
