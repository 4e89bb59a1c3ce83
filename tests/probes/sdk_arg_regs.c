/* openat(AT_FDCWD, argv[1], O_RDONLY) as a raw `syscall`, checking that the argument
 * registers hold what the program put there when the call returns (the kernel leaves them
 * alone; a tool that points the call at another path must put them back), then prints the
 * file it opened. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    long ret = SYS_openat;
    long rdi = AT_FDCWD, rsi = (long)argv[1], rdx = O_RDONLY;
    asm volatile("syscall" : "+a"(ret), "+D"(rdi), "+S"(rsi), "+d"(rdx) : : "rcx", "r11", "memory");
    long rdi_after = rdi, rsi_after = rsi, rdx_after = rdx;
    if (rdi_after != AT_FDCWD || rsi_after != (long)argv[1] || rdx_after != O_RDONLY) {
        printf("registers changed: rdi=%lx rsi=%lx rdx=%lx\n", rdi_after, rsi_after, rdx_after);
        return 1;
    }
    if (ret < 0) {
        printf("openat: %ld\n", ret);
        return 1;
    }
    char b[256];
    ssize_t n = read((int)ret, b, sizeof b);
    if (n > 0)
        fwrite(b, 1, (size_t)n, stdout);
    printf("registers kept\n");
    return 0;
}
