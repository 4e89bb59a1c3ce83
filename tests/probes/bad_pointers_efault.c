/*
 * bad_pointers_efault: bad pointers handed to the kernel give EFAULT, never a crash, and
 * the program's own SIGSEGV handler still sees its own faults.
 *
 *  - open((char *)1), a path running into an unmapped page, stat() into an
 *    unmapped buffer, write() and read() with bad buffers, raw
 *    clock_gettime() and nanosleep() with bad pointers: EFAULT each
 *  - a SIGSEGV handler (SA_SIGINFO) catches loads from NULL+8 and from an
 *    unmapped page with the right si_addr, and leaves by siglongjmp; syscalls
 *    keep working afterwards
 *
 * Prints one line per check and exits non-zero if any check failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("%-52s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static int efault(long r)
{
	return r == -1 && errno == EFAULT;
}

static sigjmp_buf segv_env;
static volatile sig_atomic_t segv_count;
static void *volatile segv_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	segv_count++;
	segv_addr = si->si_addr;
	siglongjmp(segv_env, 1);
}

/* Load through p under a SIGSEGV handler; returns 1 if the load faulted at p. */
static int faults_at(volatile int *p)
{
	segv_addr = NULL;
	if (sigsetjmp(segv_env, 1) == 0) {
		int v = *p;
		(void)v;
		return 0;
	}
	return segv_addr == (void *)p;
}

int main(void)
{
	long page = sysconf(_SC_PAGESIZE);
	/* Two pages, the second unmapped: [page 0 mapped][page 1 hole]. */
	char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(map != MAP_FAILED && munmap(map + page, page) == 0, "mapping with a hole");
	char *hole = map + page;

	errno = 0;
	check(efault(open((char *)1, O_RDONLY)), "open((char *)1) -> EFAULT");

	/* A path with no NUL before the hole. */
	memset(map, 'a', page);
	errno = 0;
	struct stat st;
	check(efault(stat(hole - 16, &st)), "stat(path running into a hole) -> EFAULT");
	errno = 0;
	check(efault(stat(hole, &st)), "stat(path in a hole) -> EFAULT");
	errno = 0;
	check(efault(stat("/", (struct stat *)hole)), "stat(\"/\", buffer in a hole) -> EFAULT");
	errno = 0;
	check(efault(syscall(SYS_newfstatat, AT_FDCWD, "/", (void *)8, 0)), "newfstatat(\"/\", (void *)8) -> EFAULT");

	/* Through a volatile so the compiler does not see the bad buffers. */
	char *volatile addr8 = (char *)8;
	int p[2];
	check(pipe(p) == 0, "pipe");
	errno = 0;
	check(efault(write(p[1], addr8, 10)), "write(pipe, (void *)8, 10) -> EFAULT");
	errno = 0;
	check(efault(write(p[1], hole - 4, 10)), "write(pipe, buffer running into a hole) -> EFAULT");
	check(write(p[1], "0123456789", 10) == 10, "write(pipe, good buffer)");
	errno = 0;
	check(efault(read(p[0], addr8, 10)), "read(pipe, (void *)8, 10) -> EFAULT");
	char buf[16];
	ssize_t n = read(p[0], buf, sizeof buf);
	/* On EFAULT the kernel may or may not have consumed the data; count what is left. */
	check(n >= 0 && n <= 10, "read(pipe, good buffer) after EFAULT");
	close(p[0]);
	close(p[1]);

	errno = 0;
	check(efault(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, (void *)8)), "raw clock_gettime(..., (void *)8) -> EFAULT");
	errno = 0;
	check(efault(syscall(SYS_nanosleep, (void *)hole, NULL)), "raw nanosleep(hole, NULL) -> EFAULT");
	errno = 0;
	check(efault(syscall(SYS_rt_sigaction, SIGUSR1, (void *)8, NULL, 8)), "rt_sigaction(SIGUSR1, (void *)8) -> EFAULT");
	errno = 0;
	check(efault(syscall(SYS_rt_sigprocmask, SIG_BLOCK, (void *)8, NULL, 8)), "rt_sigprocmask(SIG_BLOCK, (void *)8) -> EFAULT");

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	check(sigaction(SIGSEGV, &sa, NULL) == 0, "own SIGSEGV handler installed");
	segv_count = 0;
	check(faults_at((volatile int *)8), "load from NULL+8 -> own handler, si_addr 8");
	check(faults_at((volatile int *)(hole + 64)), "load from a hole -> own handler, si_addr");
	check(segv_count == 2, "handler ran twice");
	for (int i = 0; i < 200; i++)
		faults_at((volatile int *)(hole + 8 * i));
	check(segv_count == 202, "200 more faults, each handled");

	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	check(!sigismember(&cur, SIGSEGV), "SIGSEGV unblocked after siglongjmp");
	errno = 0;
	check(open("/nonexistent/sysgate-badptr", O_RDONLY) == -1 && errno == ENOENT, "syscalls work afterwards");
	errno = 0;
	check(efault(open((char *)1, O_RDONLY)), "EFAULT still EFAULT afterwards");

	printf("%s\n", failures ? "FAILED" : "all bad pointer checks passed");
	return failures ? 1 : 0;
}
