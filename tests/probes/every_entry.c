/*
 * every_entry: enters the kernel by every way that is not a plain `syscall` instruction —
 * `int $0x80` from 64-bit code, the three legacy vsyscall entry points, the vDSO functions —
 * from the main thread, a new thread, a fork child and a signal handler. Each context's calls
 * are bracketed by marker syscalls (openat of /nonexistent/sysgate-marker-<ctx>-begin/end) so a
 * trace can be checked context by context. Without a vDSO (sysgate drops it by default) the
 * same calls are plain syscalls. Every result is checked against the truth (the
 * right parent pid, a time within a second, a valid cpu). Finally a child reads the vsyscall
 * page, which must fault (vsyscall=xonly) exactly as natively.
 *
 * Prints one line per check; exits 0 only if all passed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VSYSCALL 0xffffffffff600000UL

static int failures;
static char *low; /* a page below 4 GiB: i386 calls take 32-bit pointers */
static long (*vdso_getcpu)(unsigned *, unsigned *, void *);

static void check(int ok, const char *ctx, const char *what)
{
	char line[160];
	int n = snprintf(line, sizeof line, "%-8s %-44s %s\n", ctx, what, ok ? "ok" : "FAILED");
	if (write(1, line, n) < 0)
		_exit(3);
	if (!ok)
		__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
}

static void marker(const char *ctx, const char *what)
{
	char path[128];
	snprintf(path, sizeof path, "/nonexistent/sysgate-marker-%s-%s", ctx, what);
	int fd = open(path, O_RDONLY);
	if (fd >= 0)
		close(fd);
}

static long int80(long nr, long a, long b)
{
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "0"(nr), "b"(a), "c"(b) : "memory");
	return r;
}

static void ways(const char *ctx)
{
	marker(ctx, "begin");

	/* int $0x80: i386 access(path, F_OK) with a recognisable path, and i386 getppid. */
	char *path = low + 256 * (ctx[0] % 8);
	snprintf(path, 200, "/nonexistent/sysgate-marker-%s-int80", ctx);
	check(int80(33, (long)path, 0) == -ENOENT, ctx, "int80 access -> ENOENT");
	check(int80(64, 0, 0) == getppid(), ctx, "int80 getppid = parent pid");

	/* The legacy vsyscall page. */
	struct timeval tv = {0};
	long r = ((long (*)(struct timeval *, void *))VSYSCALL)(&tv, NULL);
	check(r == 0 && labs(tv.tv_sec - (long)time(NULL)) <= 1, ctx, "vsyscall gettimeofday: now");
	long t = 0;
	long rt = ((long (*)(long *))(VSYSCALL + 0x400))(&t);
	check(rt == t && labs(rt - (long)time(NULL)) <= 1, ctx, "vsyscall time: now, stored");
	unsigned cpu = ~0u, node = ~0u;
	r = ((long (*)(unsigned *, unsigned *, void *))(VSYSCALL + 0x800))(&cpu, &node, NULL);
	check(r == 0 && cpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF), ctx, "vsyscall getcpu: a valid cpu");

	marker(ctx, "vdso");
	/* The vDSO, through libc and directly. CLOCK_BOOTTIME makes the call recognisable. */
	struct timespec ts = {0};
	check(clock_gettime(CLOCK_BOOTTIME, &ts) == 0 && ts.tv_sec >= 0, ctx, "vdso clock_gettime(CLOCK_BOOTTIME)");
	struct timeval tv2 = {0};
	check(gettimeofday(&tv2, NULL) == 0 && labs(tv2.tv_sec - (long)time(NULL)) <= 1, ctx, "vdso gettimeofday: now");
	time_t t2 = time(NULL);
	check(labs((long)t2 - (long)tv2.tv_sec) <= 1, ctx, "vdso time: now");
	cpu = ~0u;
	/* Without a vDSO (sysgate's default drops it) the same call is a plain syscall. */
	long gr = vdso_getcpu ? vdso_getcpu(&cpu, NULL, NULL) : syscall(SYS_getcpu, &cpu, NULL, NULL);
	check(gr == 0 && cpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF), ctx, "vdso getcpu: a valid cpu");
	struct timespec res = {0};
	check(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_nsec > 0, ctx, "vdso clock_getres");

	marker(ctx, "end");
}

static void *thread_main(void *arg)
{
	(void)arg;
	ways("thread");
	return NULL;
}

static volatile int in_handler_done;
static void on_usr1(int sig)
{
	(void)sig;
	ways("signal");
	in_handler_done = 1;
}

int main(void)
{
	low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED) {
		perror("mmap MAP_32BIT");
		return 2;
	}
	void *vdso = dlopen("linux-vdso.so.1", RTLD_NOW | RTLD_NOLOAD);
	if (vdso)
		vdso_getcpu = (long (*)(unsigned *, unsigned *, void *))dlsym(vdso, "__vdso_getcpu");

	ways("main");

	pthread_t th;
	check(pthread_create(&th, NULL, thread_main, NULL) == 0 && pthread_join(th, NULL) == 0, "main",
	      "thread ran");

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		ways("fork");
		_exit(failures ? 1 : 0);
	}
	int status = 0;
	check(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "main", "fork child passed");

	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	check(in_handler_done, "main", "signal handler ran");

	/* Reading the vsyscall page faults (xonly), under sysgate as natively. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		volatile unsigned char c = *(volatile unsigned char *)VSYSCALL;
		(void)c;
		_exit(0);
	}
	check(pid > 0 && waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV,
	      "main", "reading the vsyscall page: SIGSEGV");

	printf("%s\n", failures ? "FAILED" : "all entries passed");
	return failures ? 1 : 0;
}
