/* A tracer and its tracee, both of this program: what a debugger sees of a child that makes
 * syscalls from sites nothing has run before. Natively, the only stops are the ones the
 * program causes itself (the SIGSTOP of a PTRACE_TRACEME child, the SIGUSR1 it raises, the
 * exec's SIGTRAP); under sysgate, no stop of the runtime's own (a SIGSYS) may show.
 *
 *   ptrace_tracees seize    the parent seizes a running child, resumes with PTRACE_CONT
 *   ptrace_tracees traceme  the child asks to be traced, stops itself, goes on
 *   ptrace_tracees waitid   as seize, the parent waiting with waitid(2)
 *   ptrace_tracees syscall  as seize, resumed with PTRACE_SYSCALL (syscall stops counted)
 *   ptrace_tracees exec [PROG ARGS]  the traced child execs PROG (`ls -1 /proc/self/fd`)
 *
 * Prints each stop's signal and the child's end; the last line is "ok".
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Syscalls from sites of their own, each run once per call of this function. */
static long site_a(void) { long r; __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_getppid) : "rcx", "r11", "memory"); return r; }
static long site_b(void) { long r; __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_getpid) : "rcx", "r11", "memory"); return r; }
static long site_c(void) { long r; __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_gettid) : "rcx", "r11", "memory"); return r; }

static void child_work(int go_fd) {
    char c;
    if (go_fd >= 0 && read(go_fd, &c, 1) != 1)
        _exit(3);
    long sum = 0;
    for (int i = 0; i < 3; i++)
        sum += site_a() + site_b() + site_c();
    raise(SIGUSR1); /* ignored by the child; a stop the tracer must see */
    _exit(sum > 0 ? 0 : 4);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "seize";
    int traceme = !strcmp(mode, "traceme") || !strcmp(mode, "exec");
    int use_waitid = !strcmp(mode, "waitid");
    int resume = !strcmp(mode, "syscall") ? PTRACE_SYSCALL : PTRACE_CONT;
    int go[2];
    if (pipe(go))
        return 1;
    signal(SIGUSR1, SIG_IGN);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        close(go[1]);
        if (traceme) {
            if (ptrace(PTRACE_TRACEME, 0, 0, 0))
                _exit(2);
            raise(SIGSTOP);
            if (!strcmp(mode, "exec")) {
                if (argc > 2)
                    execv(argv[2], argv + 2);
                else
                    execl("/bin/ls", "ls", "-1", "/proc/self/fd", (char *)0);
                _exit(5);
            }
            child_work(-1);
        }
        child_work(go[0]);
    }
    close(go[0]);
    if (!traceme) {
        if (ptrace(PTRACE_SEIZE, pid, 0, 0)) {
            perror("PTRACE_SEIZE");
            return 1;
        }
        /* PTRACE_SYSCALL needs a stop to start from: an interrupt (a PTRACE_EVENT_STOP). */
        if (resume == PTRACE_SYSCALL && ptrace(PTRACE_INTERRUPT, pid, 0, 0)) {
            perror("PTRACE_INTERRUPT");
            return 1;
        }
        if (write(go[1], "x", 1) != 1)
            return 1;
    }
    int syscall_stops = 0;
    for (;;) {
        int sig = 0, stopped = 0, code = 0;
        if (use_waitid) {
            siginfo_t si;
            memset(&si, 0, sizeof si);
            if (waitid(P_PID, pid, &si, WEXITED | WSTOPPED)) {
                perror("waitid");
                return 1;
            }
            if (si.si_code == CLD_TRAPPED || si.si_code == CLD_STOPPED) {
                stopped = 1;
                sig = si.si_status;
            } else {
                code = si.si_code == CLD_EXITED ? si.si_status : 128 + si.si_status;
            }
        } else {
            int st;
            if (waitpid(pid, &st, __WALL) != pid) {
                perror("waitpid");
                return 1;
            }
            if (WIFSTOPPED(st)) {
                stopped = 1;
                sig = WSTOPSIG(st);
            } else {
                code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            }
        }
        if (!stopped) {
            printf("child ended: %d\n", code);
            break;
        }
        if (resume == PTRACE_SYSCALL && sig == SIGTRAP) {
            syscall_stops++;
            sig = 0;
        } else {
            printf("stop: %s\n", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
            if (sig == SIGTRAP || sig == SIGSTOP)
                sig = 0; /* the exec's trap and the child's own stop: not passed on */
        }
        if (ptrace(resume, pid, 0, (void *)(long)sig)) {
            perror("ptrace resume");
            return 1;
        }
    }
    if (resume == PTRACE_SYSCALL)
        printf("syscall stops: %s\n", syscall_stops >= 18 ? "at least 18" : "too few");
    printf("ok\n");
    return 0;
}
