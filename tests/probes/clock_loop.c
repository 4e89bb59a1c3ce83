/*
 * clock_loop: reads the time through libc N times (clock_gettime, gettimeofday, time), the
 * calls a vDSO would answer without entering the kernel. Prints how many calls it made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 5;
	long sum = 0;
	for (int i = 0; i < n; i++) {
		struct timespec ts;
		struct timeval tv;
		clock_gettime(CLOCK_REALTIME, &ts);
		gettimeofday(&tv, NULL);
		sum += (ts.tv_sec > 0) + (tv.tv_sec > 0) + (time(NULL) > 0);
	}
	printf("%ld calls\n", sum);
	return sum == 3L * n ? 0 : 1;
}
