/*
 * unblock_pending: a signal pending while blocked is delivered the moment rt_sigprocmask
 * unblocks it, on that call's return: the trace shows the call whole (its old mask, [USR1],
 * already written) and then the delivery, as strace does.
 */
#include <signal.h>
#include <unistd.h>
static void h(int s) { (void)s; write(1, "h\n", 2); }
int main(void) {
    sigset_t s, none, old;
    signal(SIGUSR1, h);
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &s, NULL);
    raise(SIGUSR1);
    sigprocmask(SIG_SETMASK, &none, &old);
    return sigismember(&old, SIGUSR1) ? 0 : 1;
}
