/*
 * thread_exit: a thread other than the main one ends the process with exit(3) (exit_group)
 * while the main thread waits in pause(). strace reports the process's exit under the
 * thread-group leader's id, whichever thread called exit_group.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

static void *ender(void *arg)
{
	(void)arg;
	exit(3);
}

int main(void)
{
	pthread_t t;
	pthread_create(&t, NULL, ender, NULL);
	for (;;)
		pause();
}
