/*
 * small_stack_threads: threads that start on a stack of a few KiB (as Go's new threads do, on their
 * 8 KiB system stack) and make syscalls at sites no thread has used before. Under sysgate each
 * first call of a site traps: the kernel's SIGSYS frame (the whole vector state, about 3 KiB
 * with AVX-512) lands on that small stack, and the handler, which decodes and rewrites the
 * site, must not run there too. A guard page lies below each stack, so an overflow kills the
 * probe instead of corrupting memory quietly.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define STACK (6 * 1024)

/* Each site loads its number from another register (the shape the rewriter moves into a
   trampoline of its own) and is used by one thread only. */
#define SITE(name)                                                                                 \
    __attribute__((noinline)) static long name(long nr) {                                          \
        long r;                                                                                    \
        __asm__ volatile("mov %1, %%rax\n\tsyscall" : "=a"(r) : "r"(nr) : "rcx", "r11", "memory"); \
        return r;                                                                                  \
    }
SITE(site0) SITE(site1) SITE(site2) SITE(site3) SITE(site4) SITE(site5) SITE(site6) SITE(site7)
static long (*const sites[8])(long) = {site0, site1, site2, site3, site4, site5, site6, site7};

static volatile int results[8];

static int child(void *arg) {
    long i = (long)arg;
    long pid = sites[i](SYS_getpid);
    results[i] = pid == getpid() ? 1 : 2;
    syscall(SYS_exit, 0);
    return 0;
}

int main(void) {
    int ok = 1;
    for (long i = 0; i < 8; i++) {
        char *m = mmap(NULL, 4096 + STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED || mprotect(m, 4096, PROT_NONE) != 0)
            return 2;
        int tid = clone(child, m + 4096 + STACK, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM, (void *)i);
        if (tid < 0)
            return 2;
        while (results[i] == 0)
            sched_yield();
        ok &= results[i] == 1;
    }
    printf("small stacks: %s\n", ok ? "ok" : "FAILED");
    return !ok;
}
