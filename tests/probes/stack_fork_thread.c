/*
 * stack_fork_thread: the same function (inner) makes a write from main, from a fork child and
 * from a thread; built static, so no ld.so or libc.so is mapped: `trace -f -k` shows inner and
 * its caller (main, or the thread's start function th) for each.
 */
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) void inner(const char *s) { write(1, s, 2); }

static void *th(void *a)
{
	(void)a;
	inner("t\n");
	return 0;
}

int main(void)
{
	inner("m\n");
	pid_t p = fork();
	if (!p) {
		inner("c\n");
		_exit(0);
	}
	waitpid(p, 0, 0);
	pthread_t t;
	pthread_create(&t, 0, th, 0);
	pthread_join(t, 0);
	return 0;
}
