/* Which getppid calls see an injected value (42), per thread: the main thread, a second
 * thread, a fork child, and the fork child's exec'd image (which continues the child's counts,
 * as a tracee does in strace). Prints `who first second` with 1 for an injected result. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void two(const char *who) {
    long x = syscall(SYS_getppid);
    long y = syscall(SYS_getppid);
    printf("%s %d %d\n", who, x == 42, y == 42);
}

static void *thread_main(void *arg) {
    (void)arg;
    two("thread");
    return NULL;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "exec") == 0) {
        two("execd");
        return 0;
    }
    long a = syscall(SYS_getppid);
    printf("main1 %d\n", a == 42);
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);
    pid_t p = fork();
    if (p == 0) {
        two("child");
        execl("/proc/self/exe", argv[0], "exec", (char *)NULL);
        _exit(127);
    }
    waitpid(p, NULL, 0);
    long b = syscall(SYS_getppid);
    printf("main2 %d\n", b == 42);
    return 0;
}
