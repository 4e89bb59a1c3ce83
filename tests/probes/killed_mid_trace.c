/*
 * killed_mid_trace MODE [FILE]: makes close(-1), close(-2), ... and then dies without the
 * runtime's help, so that only lines already handed to sysgate can survive:
 *   raise    10000 calls, then raise(SIGKILL);
 *   threads  4 threads make 2500 calls each and then block in read() on a pipe; the main
 *            thread raises SIGKILL once all four are blocked;
 *   segv     10000 calls, then a store through a null pointer;
 *   loop     calls forever; after each one the number of calls done so far is stored in the
 *            first 8 bytes of FILE (a shared mapping: no syscall), so that whoever kills it
 *            from outside knows how many lines the trace must hold.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int pipefd[2];
static atomic_int blocked;

static void *worker(void *arg)
{
	long base = (long)arg;
	for (long i = 0; i < 2500; i++)
		close((int)(-1 - (base + i)));
	atomic_fetch_add(&blocked, 1);
	char c;
	return (void *)(long)read(pipefd[0], &c, 1);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "raise";
	if (!strcmp(mode, "threads")) {
		if (pipe(pipefd))
			return 2;
		pthread_t t[4];
		for (long i = 0; i < 4; i++)
			pthread_create(&t[i], NULL, worker, (void *)(i * 2500));
		while (atomic_load(&blocked) < 4)
			usleep(1000);
		usleep(50000); /* all four inside read() */
		raise(SIGKILL);
		return 1;
	}
	if (!strcmp(mode, "loop")) {
		if (argc < 3)
			return 2;
		int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || ftruncate(fd, 4096))
			return 2;
		volatile uint64_t *done = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (done == MAP_FAILED)
			return 2;
		for (uint64_t i = 0;; i++) {
			close((int)(-1 - (long)(i % 1000000000)));
			*done = i + 1;
		}
	}
	for (int i = 0; i < 10000; i++)
		close(-1 - i);
	if (!strcmp(mode, "segv"))
		*(volatile int *)(uintptr_t)0 = 1;
	raise(SIGKILL);
	return 1;
}
