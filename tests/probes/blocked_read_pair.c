/*
 * blocked_read_pair: one thread blocks in read() on a pipe while the main thread makes three
 * calls and then writes the byte that ends the read. strace -f shows the read in two halves,
 * `read(3,  <unfinished ...>` and `<... read resumed>"x", 16) = 1`, around the main thread's
 * lines.
 */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static int p[2];

static void *reader(void *arg)
{
	(void)arg;
	char b[16];
	return (void *)(long)read(p[0], b, sizeof b);
}

int main(void)
{
	if (pipe(p))
		return 2;
	pthread_t t;
	pthread_create(&t, NULL, reader, NULL);
	struct timespec ts = {0, 100 * 1000 * 1000};
	nanosleep(&ts, NULL); /* the reader is in read() by now */
	close(-1);
	close(-2);
	close(-3);
	if (write(p[1], "x", 1) != 1)
		return 3;
	pthread_join(t, NULL);
	return 0;
}
