/*
 * every_origin: one recognisable syscall from every way a program can reach the
 * kernel, so a trace can be checked for each of them.
 *
 * Every marker is openat(AT_FDCWD, "/nonexistent/sysgate-marker-<origin>",
 * O_RDONLY), which fails with ENOENT and shows its origin in the trace:
 *
 *   main-asm       inline `syscall` in the main executable
 *   libc           libc open()
 *   thread         libc open() in a pthread
 *   fork           libc open() in a fork child
 *   vfork          inline `syscall` in a vfork child (then _exit)
 *   vfork-exec     a vfork child that execs this probe with --mark
 *   jit            machine code written to an anonymous page, made RX, called
 *   jit-again      the same JIT code called a second time
 *   jit-rewritten  new code written over the JIT page, syscall at a new offset
 *   dlopen-asm     inline `syscall` in a library loaded with dlopen()
 *   dlopen-libc    libc open() from that library
 *   signal         libc open() in a SIGUSR1 handler
 *   sigaltstack    libc open() in a handler running on a sigaltstack
 *   after-exec     libc open() after execve of this probe
 *
 * Usage: entries DLIB.so            run everything, finish by exec'ing itself
 *        entries --mark ORIGIN      make one marker and exit 44 on ENOENT
 *        entries --after-exec PID   the image after the final exec
 *
 * Prints one line per check and exits 0 only when every check passed.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MARK(origin) "/nonexistent/sysgate-marker-" origin

static int failures;
static const char *self_path;

static void check(int ok, const char *what)
{
	printf("%-40s %s\n", what, ok ? "ok" : "FAILED");
	if (!ok)
		failures++;
}

/* openat(AT_FDCWD, path, O_RDONLY) with a syscall instruction in this binary. */
static inline __attribute__((always_inline)) long asm_openat(const char *path)
{
	long ret;
	register long r10 __asm__("r10") = 0;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_openat), "D"((long)AT_FDCWD), "S"(path),
			   "d"((long)O_RDONLY), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static int libc_marker(const char *path)
{
	errno = 0;
	int fd = open(path, O_RDONLY);
	return fd == -1 && errno == ENOENT;
}

/* ---- thread ------------------------------------------------------------ */

static void *thread_main(void *arg)
{
	(void)arg;
	pid_t tid = (pid_t)syscall(SYS_gettid);
	int ok = libc_marker(MARK("thread")) && tid != getpid();
	return (void *)(intptr_t)(ok ? 7 : 1);
}

static void do_thread(void)
{
	pthread_t t;
	void *ret = NULL;
	int ok = pthread_create(&t, NULL, thread_main, NULL) == 0 &&
		 pthread_join(t, &ret) == 0 && (intptr_t)ret == 7;
	check(ok, "thread marker, own tid, joined");
}

/* ---- fork / vfork -------------------------------------------------------- */

static int wait_for(pid_t pid, int code)
{
	int status = 0;
	pid_t r;
	do
		r = waitpid(pid, &status, 0);
	while (r == -1 && errno == EINTR);
	return r == pid && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static void do_fork(void)
{
	pid_t parent = getpid();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int ok = getppid() == parent && getpid() != parent &&
			 libc_marker(MARK("fork"));
		_exit(ok ? 42 : 1);
	}
	check(pid > 0 && wait_for(pid, 42), "fork child marker, getppid, status");
}

static void do_vfork(void)
{
	fflush(stdout);
	pid_t pid = vfork();
	if (pid == 0) {
		long r = asm_openat(MARK("vfork"));
		_exit(r == -ENOENT ? 43 : 1);
	}
	check(pid > 0 && wait_for(pid, 43), "vfork child marker, status");
}

static void do_vfork_exec(void)
{
	fflush(stdout);
	pid_t pid = vfork();
	if (pid == 0) {
		execl(self_path, "entries", "--mark", "vfork-exec", (char *)NULL);
		_exit(127);
	}
	check(pid > 0 && wait_for(pid, 44), "vfork+exec child marker, status");
}

/* ---- JIT ------------------------------------------------------------------ */

typedef long (*jit_fn)(long dirfd, const char *path, long flags);

static void do_jit(void)
{
	/* mov $257,%eax; syscall; ret */
	static const unsigned char code[] = {0xb8, 0x01, 0x01, 0x00, 0x00, 0x0f, 0x05, 0xc3};
	/* nop; nop; nop; mov $257,%eax; syscall; ret */
	static const unsigned char code2[] = {0x90, 0x90, 0x90, 0xb8, 0x01, 0x01, 0x00,
					      0x00, 0x0f, 0x05, 0xc3};
	long page_size = sysconf(_SC_PAGESIZE);
	unsigned char *page = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		check(0, "jit page mmap");
		return;
	}
	memcpy(page, code, sizeof code);
	check(mprotect(page, page_size, PROT_READ | PROT_EXEC) == 0, "jit page mprotect RX");
	jit_fn fn = (jit_fn)(void *)page;
	check(fn(AT_FDCWD, MARK("jit"), O_RDONLY) == -ENOENT, "jit marker");
	check(fn(AT_FDCWD, MARK("jit-again"), O_RDONLY) == -ENOENT, "jit marker, second call");

	/* The program rewrites its own code: the new bytes must run as written. */
	check(mprotect(page, page_size, PROT_READ | PROT_WRITE) == 0, "jit page mprotect RW");
	memset(page, 0xcc, 64);
	memcpy(page, code2, sizeof code2);
	check(mprotect(page, page_size, PROT_READ | PROT_EXEC) == 0, "jit page mprotect RX again");
	check(fn(AT_FDCWD, MARK("jit-rewritten"), O_RDONLY) == -ENOENT, "jit marker, rewritten code");
	munmap(page, page_size);
}

/* ---- dlopen --------------------------------------------------------------- */

static void do_dlopen(const char *lib)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("dlopen %s: %s\n", lib, dlerror());
		check(0, "dlopen");
		return;
	}
	int (*mark)(void) = (int (*)(void))dlsym(h, "sysgate_dlib_mark");
	check(mark != NULL, "dlsym");
	if (mark)
		check(mark() == 0, "dlopen library markers");
	check(dlclose(h) == 0, "dlclose");
}

/* ---- signals -------------------------------------------------------------- */

static volatile sig_atomic_t usr1_ok, altstack_ok;
static char *alt_base;
static size_t alt_size;

static void on_usr1(int sig)
{
	usr1_ok = sig == SIGUSR1 && libc_marker(MARK("signal"));
}

static void on_usr2_altstack(int sig)
{
	char here;
	int on_alt = &here >= alt_base && &here < alt_base + alt_size;
	stack_t cur;
	int reports_onstack = sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_ONSTACK);
	altstack_ok = sig == SIGUSR2 && on_alt && reports_onstack &&
		      libc_marker(MARK("sigaltstack"));
}

static void do_signal(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	check(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction SIGUSR1");
	check(raise(SIGUSR1) == 0 && usr1_ok, "signal handler marker");
}

static void do_sigaltstack(void)
{
	alt_size = 64 * 1024;
	alt_base = mmap(NULL, alt_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt_base == MAP_FAILED) {
		check(0, "sigaltstack mmap");
		return;
	}
	stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
	check(sigaltstack(&ss, NULL) == 0, "sigaltstack");
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr2_altstack;
	sa.sa_flags = SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	check(sigaction(SIGUSR2, &sa, NULL) == 0, "sigaction SIGUSR2 SA_ONSTACK");
	check(raise(SIGUSR2) == 0 && altstack_ok, "sigaltstack handler marker");
	stack_t off = {.ss_flags = SS_DISABLE};
	check(sigaltstack(&off, NULL) == 0, "sigaltstack disable");
}

/* ---- exec ----------------------------------------------------------------- */

static int after_exec(const char *expected_pid)
{
	check(libc_marker(MARK("after-exec")), "after-exec marker");
	check(getpid() == (pid_t)atol(expected_pid), "exec kept the pid");
	return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	self_path = strchr(argv[0], '/') ? argv[0] : "/proc/self/exe";

	if (argc == 3 && strcmp(argv[1], "--mark") == 0) {
		char path[256];
		snprintf(path, sizeof path, MARK("%s"), argv[2]);
		return libc_marker(path) ? 44 : 1;
	}
	if (argc == 3 && strcmp(argv[1], "--after-exec") == 0)
		return after_exec(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: entries DLIB.so\n");
		return 2;
	}

	check(asm_openat(MARK("main-asm")) == -ENOENT, "main-asm marker");
	check(libc_marker(MARK("libc")), "libc marker");
	do_thread();
	do_fork();
	do_vfork();
	do_vfork_exec();
	do_jit();
	do_dlopen(argv[1]);
	do_signal();
	do_sigaltstack();

	if (failures) {
		printf("%d checks failed, not exec'ing\n", failures);
		return 1;
	}
	char pid[32];
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	fflush(stdout);
	execl(self_path, "entries", "--after-exec", pid, (char *)NULL);
	printf("execl %s: %s\n", self_path, strerror(errno));
	return 1;
}
