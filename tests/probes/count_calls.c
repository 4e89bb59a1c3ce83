/* Known syscall counts for `sysgate count`, across threads, a fork child and an exec'd image:
 *
 *   getppid   100 (main) + 50 (thread) + 25 (fork child)       = 175
 *   fchdir(-1)  5 (main, each fails with EBADF)                 errors 5
 *   umask       3 (the exec'd image)
 *   getpgrp     1 (main, after the child)
 *
 * Raw syscall(2) calls, so that no libc caching changes the numbers. */
#define _GNU_SOURCE
#include <pthread.h>
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

int main(int argc, char **argv) {
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
