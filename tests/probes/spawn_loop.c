/*
 * spawn_loop: how long a start takes, with nothing else in the loop.
 *
 * Usage: spawn_loop N PROG [ARGS...]
 *   Forks, execs PROG and waits for it, N times; prints "X us per start" (the mean).
 *   With LOADER=PATH in the environment it execs PATH with PROG's argv and SYSGATE_EXEC=PROG
 *   instead: the loader started directly, as `sysgate run` starts it (SYSGATE_CONFIG and
 *   SYSGATE_FDS must be set as `sysgate run` sets them), which tells the `sysgate` command's
 *   share of a start from the loader's. Used for the start-up figures in the README; timings
 *   belong to benchmarks, not tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: spawn_loop N PROG [ARGS...]\n");
		return 2;
	}
	int n = atoi(argv[1]);
	char *prog = argv[2];
	const char *loader = getenv("LOADER");
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		pid_t p = fork();
		if (p == 0) {
			if (loader) {
				setenv("SYSGATE_EXEC", prog, 1);
				execve(loader, argv + 2, environ);
			} else {
				execve(prog, argv + 2, environ);
			}
			_exit(127);
		}
		int st;
		if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st) == 127) {
			fprintf(stderr, "spawn_loop: %s did not run\n", prog);
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%.1f us per start\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / n / 1e3);
	return 0;
}
