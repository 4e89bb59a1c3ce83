/*
 * nested_handler_stacks: signal handlers that run on ever deeper stacks and make a syscall each, while
 * the main thread is blocked in read(). Under sysgate the blocked read is served on the
 * entry stack, so the kernel delivers each handler there; the handler's syscall, when it is
 * trapped, needs a new entry frame below the handler's own signal frame (several KiB of
 * vector state, the protection-key register on top). Each handler checks the call's result
 * and that its own stack kept what it wrote; the probe must survive all of them.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#define STEP 256
#define DEEPEST (64 * 1024)

static volatile int depth, calls, bad;
static pid_t parent;

static long raw_getppid(void) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"((long)SYS_getppid) : "rcx", "r11", "memory");
    return r;
}

static void on_alarm(int sig) {
    (void)sig;
    int n = depth;
    unsigned char *buf = __builtin_alloca(n + 64);
    memset(buf, 0x5a, n + 64);
    __asm__ volatile("" : : "r"(buf) : "memory");
    if (raw_getppid() != parent)
        bad++;
    for (int i = 0; i < n + 64; i++)
        if (buf[i] != 0x5a) {
            bad++;
            break;
        }
    calls++;
    depth = n + STEP;
}

int main(void) {
    parent = getppid();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, 0);
    int p[2];
    if (pipe(p) != 0)
        return 2;
    struct itimerval it = {{0, 2000}, {0, 2000}};
    setitimer(ITIMER_REAL, &it, 0);
    char c;
    while (depth <= DEEPEST)
        if (read(p[0], &c, 1) != -1)
            return 2;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, 0);
    printf("handlers: %s\n", bad == 0 && calls >= DEEPEST / STEP ? "ok" : "FAILED");
    return bad != 0;
}
