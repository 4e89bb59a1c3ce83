/* A hostile program: tries every way around an in-process syscall layer to create a socket,
 * for `sysgate sandbox --deny %network`. Each attempt runs in a fork child (a gadget in the
 * middle of someone else's code may leave that code damaged), which exits 0 when the socket
 * was refused, 1 when it got one (an escape), 2 when the attempt could not be made.
 *
 *   attempt <name>: denied|ESCAPED|skipped
 *   gadgets: <n> tried (<m> in sysgate's own text)
 *   escapes: <k> of <attempts>
 *
 * Ways tried: libc's socket(); a raw `syscall` in the program's text; a raw `syscall` from a
 * fresh JIT page; every `syscall; ret` (0f 05 c3) found in a readable executable mapping,
 * called with the socket number (sysgate's own `syscall; ret` among them); the runtime's
 * Syscall User Dispatch selector byte (found through %gs) set to "allow" before a raw
 * syscall; Syscall User Dispatch switched off with prctl before a raw syscall; `int $0x80`
 * with the i386 socket and socketcall numbers (also with the selector set to allow); and
 * io_uring (IORING_OP_SOCKET). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#endif

static int attempts, escapes;

static long raw_syscall3(long nr, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static long call_gadget(void *g, long nr, long a, long b, long c) {
    long r;
    __asm__ volatile("call *%[g]"
                     : "=a"(r)
                     : [g] "r"(g), "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "r8", "r9", "r10", "memory");
    return r;
}

static long int80(long nr, long b, long c, long d) {
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(b), "c"(c), "d"(d) : "memory");
    return r;
}

/* The runtime's per-thread block: %gs:0 points at itself; the selector byte is at +40 and
 * the block's magic ("sysgate1") at +48. */
static void no_block(int sig) {
    (void)sig;
    _exit(2);
}

static volatile uint8_t *selector(void) {
    uint64_t self = 0, magic = 0;
    signal(SIGSEGV, no_block); /* natively %gs:0 is not mapped: nothing to attempt */
    __asm__ volatile("mov %%gs:0, %0" : "=r"(self));
    if (!self)
        return NULL;
    magic = *(volatile uint64_t *)(self + 48);
    if (magic != 0x7379736761746531ULL)
        return NULL;
    return (volatile uint8_t *)(self + 40);
}

static int got_socket(long r) {
    if (r >= 0) {
        close((int)r);
        return 1;
    }
    return 0;
}

/* Runs `fn` in a child: 0 denied, 1 escaped, 2 skipped. */
static void attempt(const char *name, int (*fn)(void *), void *arg) {
    fflush(stdout);
    pid_t p = fork();
    if (p == 0)
        _exit(fn(arg));
    int st = 0;
    waitpid(p, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
    if (code == 2) {
        printf("attempt %s: skipped\n", name);
        return;
    }
    attempts++;
    if (code == 1)
        escapes++;
    printf("attempt %s: %s\n", name, code == 1 ? "ESCAPED" : (WIFSIGNALED(st) ? "denied (killed)" : "denied"));
}

static int via_libc(void *a) { (void)a; return got_socket(socket(AF_INET, SOCK_STREAM, 0)); }
static int via_raw(void *a) { (void)a; return got_socket(raw_syscall3(SYS_socket, AF_INET, SOCK_STREAM, 0)); }
static int via_unix(void *a) { (void)a; return got_socket(raw_syscall3(SYS_socket, AF_UNIX, SOCK_STREAM, 0)); }

static int via_jit(void *a) {
    (void)a;
    unsigned char code[] = {0xb8, SYS_socket, 0, 0, 0, 0x0f, 0x05, 0xc3}; /* mov $41,%eax; syscall; ret */
    unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return 2;
    memcpy(page, code, sizeof code);
    return got_socket(call_gadget(page, SYS_socket, AF_INET, SOCK_STREAM, 0));
}

static int via_gadget(void *g) { return got_socket(call_gadget(g, SYS_socket, AF_INET, SOCK_STREAM, 0)); }

static int via_selector(void *a) {
    (void)a;
    volatile uint8_t *sel = selector();
    if (!sel)
        return 2;
    *sel = 0; /* SYSCALL_DISPATCH_FILTER_ALLOW */
    long r = raw_syscall3(SYS_socket, AF_INET, SOCK_STREAM, 0);
    *sel = 1;
    return got_socket(r);
}

static int via_sud_off(void *a) {
    (void)a;
    prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
    return got_socket(raw_syscall3(SYS_socket, AF_INET, SOCK_STREAM, 0));
}

static int via_int80_socket(void *a) {
    (void)a;
    return got_socket(int80(359 /* i386 socket */, AF_INET, SOCK_STREAM, 0));
}

static int via_int80_socketcall(void *a) {
    (void)a;
    uint32_t *args = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (args == MAP_FAILED)
        return 2;
    args[0] = AF_INET;
    args[1] = SOCK_STREAM;
    args[2] = 0;
    return got_socket(int80(102 /* socketcall */, 1 /* SYS_SOCKET */, (long)(uintptr_t)args, 0));
}

static int via_selector_int80(void *a) {
    volatile uint8_t *sel = selector();
    if (!sel)
        return 2;
    *sel = 0;
    int r = via_int80_socketcall(a) || via_int80_socket(a);
    *sel = 1;
    return r;
}

static int via_io_uring(void *a) {
    (void)a;
    /* io_uring_setup is where it starts; IORING_OP_SOCKET would follow. */
    unsigned char params[120];
    memset(params, 0, sizeof params);
    long fd = raw_syscall3(425 /* io_uring_setup */, 4, (long)params, 0);
    if (fd >= 0) {
        close((int)fd);
        return 1;
    }
    return 0;
}

static int via_selector_io_uring(void *a) {
    volatile uint8_t *sel = selector();
    if (!sel)
        return 2;
    *sel = 0;
    int r = via_io_uring(a);
    *sel = 1;
    return r;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    attempt("libc-socket", via_libc, NULL);
    attempt("raw-syscall", via_raw, NULL);
    attempt("raw-syscall-unix", via_unix, NULL);
    attempt("jit-page", via_jit, NULL);
    attempt("selector-allow", via_selector, NULL);
    attempt("sud-off", via_sud_off, NULL);
    attempt("int80-socket", via_int80_socket, NULL);
    attempt("int80-socketcall", via_int80_socketcall, NULL);
    attempt("selector-allow-int80", via_selector_int80, NULL);
    attempt("io_uring", via_io_uring, NULL);
    attempt("selector-allow-io_uring", via_selector_io_uring, NULL);

    /* Every `syscall; ret` in a readable executable mapping. */
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    int gadgets = 0, ours = 0;
    while (maps && fgets(line, sizeof line, maps)) {
        unsigned long lo, hi;
        char perms[5], path[256] = "";
        if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %255s", &lo, &hi, perms, path) < 3)
            continue;
        if (perms[0] != 'r' || perms[2] != 'x')
            continue;
        for (unsigned char *p = (unsigned char *)lo; p + 3 <= (unsigned char *)hi; p++) {
            if (p[0] != 0x0f || p[1] != 0x05 || p[2] != 0xc3)
                continue;
            char name[320];
            int in_sysgate = strstr(path, "sysgate") != NULL;
            snprintf(name, sizeof name, "gadget-%p%s%s", (void *)p, path[0] ? "-" : "", path);
            gadgets++;
            ours += in_sysgate;
            attempt(name, via_gadget, p);
        }
    }
    if (maps)
        fclose(maps);
    printf("gadgets: %d tried (%d in sysgate's own text)\n", gadgets, ours);
    printf("escapes: %d of %d\n", escapes, attempts);
    return 0;
}
