/*
 * dlopen_sites_lib: a shared library the entries probe loads with dlopen() at run time,
 * so its syscall sites appear only after the program started.
 *
 * sysgate_dlib_mark() makes the markers dlopen-asm (inline `syscall` in this
 * library's text) and dlopen-libc (libc open() called from here); it returns
 * 0 when both failed with ENOENT as they should.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

int sysgate_dlib_mark(void)
{
	long ret;
	register long r10 __asm__("r10") = 0;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((long)SYS_openat), "D"((long)AT_FDCWD),
			   "S"("/nonexistent/sysgate-marker-dlopen-asm"), "d"((long)O_RDONLY),
			   "r"(r10)
			 : "rcx", "r11", "memory");
	int bad = 0;
	if (ret != -ENOENT)
		bad |= 1;
	errno = 0;
	if (open("/nonexistent/sysgate-marker-dlopen-libc", O_RDONLY) != -1 || errno != ENOENT)
		bad |= 2;
	return bad;
}
