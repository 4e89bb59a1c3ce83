/*
 * own_fds_invisible: a program that treats every file descriptor above stderr as its own.
 *
 * It closes 3..1023 one by one, calls close_range(3, ~0U, 0), dup2()s over
 * every descriptor from 3 up to the limit, fills the table, and keeps making
 * marker syscalls (openat of /nonexistent/sysgate-marker-fds-*) in between.
 * Whatever descriptors a runtime keeps for itself (a trace file) must survive
 * all of that invisibly: the program sees the same results as natively and
 * the trace goes on to the end.
 *
 * Prints one line per check and exits non-zero if any check failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MARK(origin) "/nonexistent/sysgate-marker-" origin

static int failures;

static void check(int ok, const char *what)
{
	printf("%-48s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

static int marker(const char *path, int expected_errno)
{
	errno = 0;
	int fd = open(path, O_RDONLY);
	return fd == -1 && errno == expected_errno;
}

int main(void)
{
	check(marker(MARK("fds-start"), ENOENT), "start marker");

	/* Exactly 1024 descriptors, whatever the inherited soft limit. */
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max >= 1024) {
		rl.rlim_cur = 1024;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	int limit = rl.rlim_cur < 1024 ? (int)rl.rlim_cur : 1024;
	check(rl.rlim_cur == 1024, "descriptor limit set to 1024");

	int bad = 0;
	for (int fd = 3; fd <= 1024; fd++)
		if (close(fd) != 0 && errno != EBADF)
			bad++;
	check(bad == 0, "close(3..1024): 0 or EBADF each");
	check(marker(MARK("fds-after-close-loop"), ENOENT), "marker after close loop");

	long r = syscall(SYS_close_range, 3U, ~0U, 0U);
	check(r == 0, "close_range(3, ~0U, 0)");
	check(marker(MARK("fds-after-close-range"), ENOENT), "marker after close_range");

	int fd = open("/dev/null", O_RDWR);
	check(fd == 3, "lowest free descriptor is 3");

	bad = 0;
	for (int i = 3; i < limit; i++)
		if (dup2(fd, i) != i)
			bad++;
	check(bad == 0, "dup2 over every descriptor 3..limit-1");
	bad = 0;
	for (int i = 3; i < limit; i++)
		if (fcntl(i, F_GETFD) != 0)
			bad++;
	check(bad == 0, "every descriptor 3..limit-1 open, no FD_CLOEXEC");
	check(dup3(fd, limit - 1, O_CLOEXEC) == limit - 1 && fcntl(limit - 1, F_GETFD) == FD_CLOEXEC,
	      "dup3 O_CLOEXEC onto the last descriptor");

	/* The table is full: an open() fails with EMFILE before the lookup. */
	check(marker(MARK("fds-table-full"), EMFILE), "marker with full table -> EMFILE");
	check(dup(0) == -1 && errno == EMFILE, "dup with full table -> EMFILE");
	check(close(limit - 1) == 0, "close the last descriptor");
	check(marker(MARK("fds-after-dup2"), ENOENT), "marker after dup2 loop");

	/* A child started with the full table keeps being traced too. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int ok = marker(MARK("fds-child"), ENOENT) &&
			 syscall(SYS_close_range, 3U, ~0U, 0U) == 0 &&
			 marker(MARK("fds-child-after-close-range"), ENOENT);
		_exit(ok ? 0 : 1);
	}
	int status = 0;
	check(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		      WEXITSTATUS(status) == 0,
	      "child with full table: markers, close_range");

	check(syscall(SYS_close_range, 3U, ~0U, 0U) == 0, "close_range again");
	bad = 0;
	for (int i = 3; i <= 1024; i++)
		if (close(i) != -1 || errno != EBADF)
			bad++;
	check(bad == 0, "everything above 2 is closed: EBADF each");
	check(fcntl(0, F_GETFD) >= 0 && fcntl(1, F_GETFD) >= 0 && fcntl(2, F_GETFD) >= 0,
	      "0, 1, 2 still open");
	fd = open("/dev/null", O_RDONLY);
	check(fd == 3, "lowest free descriptor is 3 again");
	close(fd);

	check(marker(MARK("fds-end"), ENOENT), "end marker");
	printf("%s\n", failures ? "FAILED" : "all fd checks passed");
	return failures ? 1 : 0;
}
