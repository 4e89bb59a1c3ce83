/* Known syscall counts for `sysgate count`, across threads, a fork child and an exec'd image:
 *
 *   getppid   100 (main) + 50 (thread) + 25 (fork child)       = 175
 *   fchdir(-1)  5 (main, each fails with EBADF)                 errors 5
 *   umask       3 (the exec'd image)
 *   getpgrp     1 (main, after the child)
 *
 * Raw syscall(2) calls, so that no libc caching changes the numbers.
 *
 * `count_calls crowd`: more threads alive at once than sysgate has per-thread counter slots,
 * and signal handlers counting while the thread they interrupt counts the same way:
 *
 *   getppid   a fork child's 100 threads x 7 (the child ends with _exit while they block)
 *             + 300 threads alive together x 7 + 100000 in the main thread = 102800
 *   fchdir(-1) 10000 in the main thread, between the getppid calls: errors 10000
 *   getpgrp   once per SIGALRM handler run (printed as "handler N") */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void *thread_main(void *arg) {
    (void)arg;
    for (int i = 0; i < 50; i++)
        syscall(SYS_getppid);
    return NULL;
}

static pthread_barrier_t crowd_ready, crowd_hold;

static void *crowd_thread(void *arg) {
    for (int i = 0; i < 7; i++)
        syscall(SYS_getppid);
    pthread_barrier_wait(&crowd_ready);
    if (arg)
        pthread_barrier_wait(&crowd_hold);
    return NULL;
}

/* n threads, all alive once each has counted; `hold`: they never return (the process ends
   under them). */
static void crowd_wave(int n, int hold) {
    static pthread_t th[400];
    pthread_barrier_init(&crowd_ready, NULL, n + 1);
    pthread_barrier_init(&crowd_hold, NULL, n + 1);
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, crowd_thread, hold ? (void *)1 : NULL) != 0) {
            printf("pthread_create failed\n");
            _exit(2);
        }
    pthread_barrier_wait(&crowd_ready);
    if (hold)
        syscall(SYS_exit_group, 0);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

static volatile long handler_runs;
static void on_alarm(int sig) {
    (void)sig;
    syscall(SYS_getpgrp);
    handler_runs++;
}

static int crowd(void) {
    pid_t p = fork();
    if (p == 0)
        crowd_wave(100, 1);
    int st;
    waitpid(p, &st, 0);
    crowd_wave(300, 0);
    signal(SIGALRM, on_alarm);
    struct itimerval it = {{0, 50}, {0, 50}};
    setitimer(ITIMER_REAL, &it, NULL);
    for (int i = 0; i < 100000; i++) {
        syscall(SYS_getppid);
        if (i % 10 == 0)
            syscall(SYS_fchdir, -1);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    printf("handler %ld\n", handler_runs);
    return 0;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "crowd") == 0)
        return crowd();
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        for (int i = 0; i < 3; i++)
            syscall(SYS_umask, 022);
        return 0;
    }
    for (int i = 0; i < 100; i++)
        syscall(SYS_getppid);
    for (int i = 0; i < 5; i++)
        syscall(SYS_fchdir, -1);
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);
    pid_t p = fork();
    if (p == 0) {
        for (int i = 0; i < 25; i++)
            syscall(SYS_getppid);
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
        _exit(127);
    }
    int st;
    waitpid(p, &st, 0);
    syscall(SYS_getpgrp);
    printf("done %d\n", WEXITSTATUS(st));
    return 0;
}
