/*
 * signal_semantics: signal semantics a program relies on, which must be the same with
 * every syscall passing through an in-process runtime.
 *
 *  - a blocking read() interrupted by SIGALRM (setitimer): EINTR without
 *    SA_RESTART, transparently restarted with it; the same for waitpid();
 *    nanosleep() returns EINTR either way
 *  - a handler on a sigaltstack
 *  - siglongjmp out of a handler (many times, and out of a blocking read),
 *    then more syscalls
 *  - a handler that makes syscalls of its own
 *  - sigprocmask round trip, sigpending, delivery on unblock
 *  - the program blocks, ignores and handles SIGSYS itself: its view of the
 *    mask and of the action is what it set, and syscalls keep working
 *  - raise(SIGUSR1) delivered with si_code SI_TKILL and our pid
 *
 * Prints one line per check (no timings, no pids) and exits non-zero if any
 * check failed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int failures;

static void check(int ok, const char *what)
{
	printf("%-58s %s\n", what, ok ? "ok" : "FAILED");
	fflush(stdout);
	if (!ok)
		failures++;
}

static int set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static void arm_timer_us(long usec)
{
	struct itimerval it = {.it_interval = {0, 0}, .it_value = {usec / 1000000, usec % 1000000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm_timer(void)
{
	struct itimerval it;
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_REAL, &it, NULL);
}

/* A few syscalls whose results are known, to show the process still works. */
static int syscalls_work(void)
{
	int p[2];
	char c = 0;
	if (pipe(p) != 0)
		return 0;
	int ok = write(p[1], "x", 1) == 1 && read(p[0], &c, 1) == 1 && c == 'x';
	close(p[0]);
	close(p[1]);
	errno = 0;
	ok = ok && open("/nonexistent/sysgate-signals", O_RDONLY) == -1 && errno == ENOENT;
	ok = ok && getpid() == (pid_t)syscall(SYS_getpid);
	return ok;
}

/* ---- SA_RESTART ----------------------------------------------------------- */

static volatile sig_atomic_t alarms;
static int restart_pipe_w = -1;

static void on_alarm_plain(int sig)
{
	(void)sig;
	alarms++;
}

/* With SA_RESTART the read restarts; this handler gives it something to read. */
static void on_alarm_feed(int sig)
{
	(void)sig;
	alarms++;
	if (write(restart_pipe_w, "r", 1) != 1)
		alarms += 100;
}

static void check_read_restart(void)
{
	int p[2];
	char c = 0;
	if (pipe(p) != 0) {
		check(0, "pipe");
		return;
	}

	alarms = 0;
	check(set_handler(SIGALRM, on_alarm_plain, 0) == 0, "sigaction SIGALRM without SA_RESTART");
	arm_timer_us(30000);
	errno = 0;
	ssize_t r = read(p[0], &c, 1);
	check(r == -1 && errno == EINTR && alarms == 1, "read interrupted -> EINTR");

	alarms = 0;
	restart_pipe_w = p[1];
	check(set_handler(SIGALRM, on_alarm_feed, SA_RESTART) == 0, "sigaction SIGALRM with SA_RESTART");
	arm_timer_us(30000);
	errno = 0;
	r = read(p[0], &c, 1);
	check(r == 1 && c == 'r' && alarms == 1, "read interrupted -> restarted, got data");
	close(p[0]);
	close(p[1]);
	set_handler(SIGALRM, SIG_DFL, 0);
}

static void check_wait_restart(void)
{
	for (int restart = 0; restart <= 1; restart++) {
		alarms = 0;
		set_handler(SIGALRM, on_alarm_plain, restart ? SA_RESTART : 0);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			struct timespec ts = {0, 300 * 1000 * 1000};
			nanosleep(&ts, NULL);
			_exit(9);
		}
		arm_timer_us(30000);
		int status = 0;
		errno = 0;
		pid_t r = waitpid(pid, &status, 0);
		if (restart) {
			check(r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 9 && alarms == 1,
			      "waitpid with SA_RESTART -> restarted, reaped");
		} else {
			int e = errno;
			check(r == -1 && e == EINTR && alarms == 1, "waitpid without SA_RESTART -> EINTR");
			r = waitpid(pid, &status, 0);
			check(r == pid && WIFEXITED(status) && WEXITSTATUS(status) == 9,
			      "waitpid again -> reaped");
		}
	}
	set_handler(SIGALRM, SIG_DFL, 0);
}

static void check_nanosleep_eintr(void)
{
	alarms = 0;
	set_handler(SIGALRM, on_alarm_plain, SA_RESTART);
	arm_timer_us(30000);
	struct timespec ts = {5, 0}, rem = {0, 0};
	errno = 0;
	int r = nanosleep(&ts, &rem);
	check(r == -1 && errno == EINTR && alarms == 1, "nanosleep interrupted -> EINTR despite SA_RESTART");
	check(rem.tv_sec > 0 && rem.tv_sec <= 5, "nanosleep reports remaining time");
	disarm_timer();
	set_handler(SIGALRM, SIG_DFL, 0);
}

/* ---- sigaltstack ---------------------------------------------------------- */

static char *alt_base;
static size_t alt_size = 64 * 1024;
static volatile sig_atomic_t alt_on_stack, alt_flags_ok;

static void on_usr2_alt(int sig)
{
	char here;
	stack_t cur;
	(void)sig;
	alt_on_stack = &here >= alt_base && &here < alt_base + alt_size;
	alt_flags_ok = sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_ONSTACK) &&
		       cur.ss_sp == alt_base;
}

static void check_sigaltstack(void)
{
	alt_base = mmap(NULL, alt_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
	check(alt_base != MAP_FAILED && sigaltstack(&ss, NULL) == 0, "sigaltstack installed");
	stack_t cur;
	check(sigaltstack(NULL, &cur) == 0 && cur.ss_sp == alt_base && cur.ss_size == alt_size &&
		      !(cur.ss_flags & (SS_ONSTACK | SS_DISABLE)),
	      "sigaltstack read back");
	set_handler(SIGUSR2, on_usr2_alt, SA_ONSTACK);
	raise(SIGUSR2);
	check(alt_on_stack, "SA_ONSTACK handler runs on the alternate stack");
	check(alt_flags_ok, "sigaltstack in handler reports SS_ONSTACK");
	stack_t off = {.ss_flags = SS_DISABLE};
	check(sigaltstack(&off, NULL) == 0 && sigaltstack(NULL, &cur) == 0 &&
		      (cur.ss_flags & SS_DISABLE),
	      "sigaltstack disabled");
	set_handler(SIGUSR2, SIG_DFL, 0);
}

/* ---- siglongjmp out of a handler ------------------------------------------ */

static sigjmp_buf jump_env;
static volatile sig_atomic_t jumps;

static void on_signal_jump(int sig)
{
	(void)sig;
	jumps++;
	siglongjmp(jump_env, 1);
}

static void check_siglongjmp(void)
{
	set_handler(SIGUSR2, on_signal_jump, 0);
	jumps = 0;
	int iterations = 2000;
	for (volatile int i = 0; i < iterations; i++) {
		if (sigsetjmp(jump_env, 1) == 0) {
			raise(SIGUSR2);
			break; /* not reached: the handler jumps */
		}
	}
	check(jumps == iterations, "siglongjmp out of a handler, 2000 times");
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	check(!sigismember(&cur, SIGUSR2), "mask restored by siglongjmp");
	check(syscalls_work(), "syscalls work after siglongjmp");

	/* Jump out of a handler that interrupted a blocking read. */
	int p[2];
	if (pipe(p) != 0) {
		check(0, "pipe");
		return;
	}
	set_handler(SIGALRM, on_signal_jump, 0);
	jumps = 0;
	int rounds = 50;
	volatile int returned = 0;
	for (volatile int i = 0; i < rounds; i++) {
		if (sigsetjmp(jump_env, 1) == 0) {
			char c;
			arm_timer_us(2000);
			if (read(p[0], &c, 1) >= 0 || errno != EINTR)
				returned++;
			returned++;
		}
	}
	disarm_timer();
	set_handler(SIGALRM, SIG_DFL, 0);
	close(p[0]);
	close(p[1]);
	check(jumps == rounds && returned == 0, "siglongjmp out of a handler interrupting read, 50 times");
	check(syscalls_work(), "syscalls work after that");
	set_handler(SIGUSR2, SIG_DFL, 0);
}

/* ---- a handler that makes syscalls ----------------------------------------- */

static volatile sig_atomic_t handler_syscalls_ok;

static void on_usr1_syscalls(int sig)
{
	(void)sig;
	int saved = errno;
	handler_syscalls_ok = syscalls_work();
	errno = saved;
}

static void check_handler_syscalls(void)
{
	set_handler(SIGUSR1, on_usr1_syscalls, 0);
	handler_syscalls_ok = 0;
	raise(SIGUSR1);
	check(handler_syscalls_ok, "handler makes syscalls");
	check(syscalls_work(), "syscalls work after that handler");
	set_handler(SIGUSR1, SIG_DFL, 0);
}

/* ---- sigprocmask ---------------------------------------------------------- */

static volatile sig_atomic_t usr1_count;
static void on_usr1_count(int sig)
{
	(void)sig;
	usr1_count++;
}

static void check_sigprocmask(void)
{
	sigset_t set, old, cur, pend;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	check(sigprocmask(SIG_BLOCK, &set, &old) == 0, "sigprocmask SIG_BLOCK");
	check(!sigismember(&old, SIGUSR1), "old mask did not hold SIGUSR1");
	sigprocmask(SIG_SETMASK, NULL, &cur);
	check(sigismember(&cur, SIGUSR1) && sigismember(&cur, SIGUSR2) && !sigismember(&cur, SIGHUP),
	      "mask reads back as set");

	set_handler(SIGUSR1, on_usr1_count, 0);
	usr1_count = 0;
	raise(SIGUSR1);
	check(usr1_count == 0, "blocked SIGUSR1 not delivered");
	check(sigpending(&pend) == 0 && sigismember(&pend, SIGUSR1), "SIGUSR1 pending");
	check(sigprocmask(SIG_SETMASK, &old, NULL) == 0, "sigprocmask restore");
	check(usr1_count == 1, "SIGUSR1 delivered on unblock");
	sigprocmask(SIG_SETMASK, NULL, &cur);
	check(!sigismember(&cur, SIGUSR1) && !sigismember(&cur, SIGUSR2), "mask restored");
	set_handler(SIGUSR1, SIG_DFL, 0);
}

/* ---- the program's own SIGSYS --------------------------------------------- */

static volatile sig_atomic_t sigsys_count;
static volatile sig_atomic_t sigsys_code;
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	sigsys_count++;
	sigsys_code = si->si_code;
}

static void check_sigsys(void)
{
	sigset_t set, cur;
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	check(sigprocmask(SIG_BLOCK, &set, NULL) == 0, "block SIGSYS");
	sigprocmask(SIG_SETMASK, NULL, &cur);
	check(sigismember(&cur, SIGSYS), "SIGSYS reads back as blocked");
	check(syscalls_work(), "syscalls work with SIGSYS blocked");
	/* Also through the raw syscall with a full set. */
	sigset_t all;
	sigfillset(&all);
	check(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 8) == 0, "raw rt_sigprocmask blocks everything");
	check(syscalls_work(), "syscalls work with everything blocked");
	sigemptyset(&cur);
	check(syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &cur, 8) == 0 && sigismember(&cur, SIGSYS),
	      "raw rt_sigprocmask reads SIGSYS blocked");
	sigemptyset(&set);
	check(sigprocmask(SIG_SETMASK, &set, NULL) == 0, "unblock everything");
	sigprocmask(SIG_SETMASK, NULL, &cur);
	check(!sigismember(&cur, SIGSYS), "SIGSYS reads back as unblocked");

	struct sigaction sa, old;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	check(sigaction(SIGSYS, &sa, NULL) == 0, "ignore SIGSYS");
	check(sigaction(SIGSYS, NULL, &old) == 0 && old.sa_handler == SIG_IGN, "SIGSYS reads back as ignored");
	check(syscalls_work(), "syscalls work with SIGSYS ignored");

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigsys;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	check(sigaction(SIGSYS, &sa, NULL) == 0, "own SIGSYS handler installed");
	check(sigaction(SIGSYS, NULL, &old) == 0 && old.sa_sigaction == on_sigsys &&
		      (old.sa_flags & SA_SIGINFO),
	      "SIGSYS handler reads back");
	check(syscalls_work(), "syscalls work with own SIGSYS handler");
	sigsys_count = 0;
	raise(SIGSYS);
	check(sigsys_count == 1 && sigsys_code == SI_TKILL, "raise(SIGSYS) reaches own handler");
	check(syscalls_work(), "syscalls work after that");

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	check(sigaction(SIGSYS, &sa, &old) == 0 && old.sa_sigaction == on_sigsys, "SIGSYS back to default");
	check(syscalls_work(), "syscalls work after restoring SIGSYS");
}

/* ---- raise ----------------------------------------------------------------- */

static volatile sig_atomic_t info_ok;
static void on_usr1_info(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	info_ok = sig == SIGUSR1 && si->si_signo == SIGUSR1 && si->si_code == SI_TKILL &&
		  si->si_pid == getpid();
}

static void check_raise(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_usr1_info;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);
	info_ok = 0;
	check(raise(SIGUSR1) == 0 && info_ok, "raise(SIGUSR1) delivered with siginfo");
	set_handler(SIGUSR1, SIG_DFL, 0);
}

/* A vfork child shares its parent's memory but has its own signal actions: what it sets
 * before exec (posix_spawn and CPython's subprocess reset every handled signal to SIG_DFL)
 * must not change the parent's. */
static volatile sig_atomic_t vfork_usr1;
static void on_usr1_vfork(int sig)
{
	(void)sig;
	vfork_usr1++;
}

static void check_vfork_child_actions(void)
{
	set_handler(SIGUSR1, on_usr1_vfork, 0);
	set_handler(SIGSEGV, on_usr1_vfork, 0);
	pid_t pid = vfork();
	if (pid == 0) {
		struct sigaction dfl;
		memset(&dfl, 0, sizeof dfl);
		dfl.sa_handler = SIG_DFL;
		sigaction(SIGUSR1, &dfl, NULL);
		sigaction(SIGSEGV, &dfl, NULL);
		_exit(0);
	}
	int status;
	waitpid(pid, &status, 0);
	struct sigaction cur;
	check(sigaction(SIGUSR1, NULL, &cur) == 0 && cur.sa_handler == on_usr1_vfork,
	      "vfork child's SIG_DFL leaves the parent's SIGUSR1 handler");
	check(sigaction(SIGSEGV, NULL, &cur) == 0 && cur.sa_handler == on_usr1_vfork,
	      "vfork child's SIG_DFL leaves the parent's SIGSEGV handler");
	raise(SIGUSR1);
	check(vfork_usr1 == 1, "parent's SIGUSR1 handler still runs");
	signal(SIGUSR1, SIG_DFL);
	signal(SIGSEGV, SIG_DFL);
}

int main(void)
{
	check(syscalls_work(), "syscalls work at start");
	check_read_restart();
	check_wait_restart();
	check_nanosleep_eintr();
	check_sigaltstack();
	check_siglongjmp();
	check_handler_syscalls();
	check_sigprocmask();
	check_sigsys();
	check_raise();
	check_vfork_child_actions();
	check(syscalls_work(), "syscalls work at the end");
	printf("%s\n", failures ? "FAILED" : "all signal checks passed");
	return failures ? 1 : 0;
}
