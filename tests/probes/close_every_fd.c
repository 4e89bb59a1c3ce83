/* A program that closes every descriptor its hard limit allows, one by one, and dup2()s over
 * the top of the table: the runtime's descriptors (trace output, the shared region) live up
 * there, and `close`/`dup2` of them must not reach them, also when no tool wants `close` or
 * `dup2` (the entry then filters those calls by number without the slow path).
 *
 * A second thread leaves its marker first and then blocks in `read` (a call before which
 * nothing is flushed) while the main thread moves the runtime's descriptors about: its
 * buffered line must still reach the trace file when it exits.
 *
 * Prints "closed N, dup2 failures M" and leaves markers (openat of nonexistent paths) after
 * each step; the test checks the markers arrive in the trace file. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sched.h>
#include <unistd.h>

static void marker(const char *what)
{
	char path[128];
	snprintf(path, sizeof path, "/nonexistent/sysgate-marker-%s", what);
	syscall(SYS_openat, AT_FDCWD, path, O_RDONLY);
}

static int gate[2];
static volatile int thread_marked;

static void *waiter(void *arg)
{
	(void)arg;
	marker("closeall-thread");
	thread_marked = 1;
	char c;
	syscall(SYS_read, gate[0], &c, 1L);
	return NULL;
}

int main(void)
{
	pthread_t th;
	if (pipe(gate) != 0 || pthread_create(&th, NULL, waiter, NULL) != 0)
		return 2;
	while (!thread_marked)
		sched_yield();
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max > (1 << 20))
		rl.rlim_max = 1 << 20;
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	getrlimit(RLIMIT_NOFILE, &rl);
	marker("closeall-start");
	long closed = 0;
	for (long fd = 3; fd < (long)rl.rlim_cur; fd++)
		if (fd != gate[0] && fd != gate[1] && syscall(SYS_close, fd) == 0)
			closed++;
	marker("closeall-after-close");
	long failures = 0;
	long top = (long)rl.rlim_cur;
	for (long fd = top > 256 ? top - 256 : 3; fd < top; fd++) {
		if (syscall(SYS_dup2, 1L, fd) != fd)
			failures++;
		if (syscall(SYS_dup3, 2L, fd, O_CLOEXEC) != fd)
			failures++;
		syscall(SYS_close, fd);
	}
	marker("closeall-after-dup2");
	syscall(SYS_write, gate[1], "x", 1L);
	pthread_join(th, NULL);
	printf("closed %ld, dup2 failures %ld\n", closed, failures);
	return 0;
}
