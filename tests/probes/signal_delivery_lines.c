/*
 * signal_delivery_lines: a signal raised by the program (SIGUSR1) and one the kernel sends when a child
 * exits (SIGCHLD), both to handlers that make a syscall: the trace shows each delivery as
 * strace does, after the call it interrupted and before the handler's calls.
 */
#include <stdio.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
static void h(int s) { write(1, "h\n", 2); }
int main(void){ signal(SIGUSR1, h); signal(SIGCHLD, h); raise(SIGUSR1); pid_t p = fork(); if (!p) _exit(3); int st; waitpid(p, &st, 0); return 0; }
