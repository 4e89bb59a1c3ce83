/* Reads the time every way a program can: the legacy vsyscall page's time() and
 * gettimeofday(), the raw time/gettimeofday/clock_gettime syscalls, and libc's time().
 * Prints one `name seconds` line each. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define VSYSCALL 0xffffffffff600000UL

int main(void) {
    time_t (*vtime)(time_t *) = (time_t(*)(time_t *))(VSYSCALL + 0x400);
    int (*vgtod)(struct timeval *, void *) = (int (*)(struct timeval *, void *))VSYSCALL;
    time_t t = 0;
    time_t v = vtime(&t);
    printf("vsyscall-time %ld %ld\n", (long)v, (long)t);
    struct timeval tv = {0, 0};
    vgtod(&tv, NULL);
    printf("vsyscall-gettimeofday %ld\n", (long)tv.tv_sec);
    printf("syscall-time %ld\n", (long)syscall(SYS_time, NULL));
    syscall(SYS_gettimeofday, &tv, NULL);
    printf("syscall-gettimeofday %ld\n", (long)tv.tv_sec);
    struct timespec ts = {0, 0};
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &ts);
    printf("syscall-clock_gettime %ld\n", (long)ts.tv_sec);
    printf("libc-time %ld\n", (long)time(NULL));
    return 0;
}
