/* A helper for sandbox_path_attacks, built with `gcc -static`: a program without a dynamic
 * loader, so nothing can be preloaded into it. Creates argv[1] (O_CREAT|O_WRONLY, mode 0644)
 * and writes one byte to it.
 *
 *   static_writer PATH     exit 0 when the byte was written, 1 when not, 2 on a usage error */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    int fd = open(argv[1], O_CREAT | O_WRONLY, 0644);
    if (fd < 0)
        return 1;
    int ok = write(fd, "x", 1) == 1;
    close(fd);
    return ok ? 0 : 1;
}
