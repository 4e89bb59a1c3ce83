/* Known byte counts per descriptor, from three kinds of writer: the main thread (write to
 * fd 1, pwrite64 to fd 7), a second thread (writev of two 1000-byte pieces to fd 1) and a
 * fork child (write of 300 bytes to fd 2, then _exit). A tool that counts bytes written per
 * descriptor over the whole run sees fd 1: 3000 bytes in 2 calls, fd 2: 300 in 1, fd 7: 50
 * in 1. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[1000];

static void *writer(void *arg) {
    (void)arg;
    struct iovec iov[2] = {{buf, 1000}, {buf, 1000}};
    if (writev(1, iov, 2) != 2000)
        abort();
    return NULL;
}

int main(int argc, char **argv) {
    memset(buf, 'x', sizeof buf);
    if (argc < 2)
        return 2;
    int f = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (f < 0 || dup2(f, 7) != 7)
        return 3;
    close(f);
    if (write(1, buf, 1000) != 1000)
        return 4;
    pthread_t t;
    if (pthread_create(&t, NULL, writer, NULL) || pthread_join(t, NULL))
        return 5;
    pid_t c = fork();
    if (c == 0) {
        if (write(2, buf, 300) != 300)
            _exit(6);
        _exit(0);
    }
    int st;
    if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st))
        return 7;
    if (pwrite(7, buf, 50, 0) != 50)
        return 8;
    return 0;
}
