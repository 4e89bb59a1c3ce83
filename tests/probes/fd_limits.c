/*
 * fd_limits: what a program that probes "all of its descriptors" sees.
 *
 * Lists the descriptors that fstat() finds below sysconf(_SC_OPEN_MAX) (the way CPython's
 * subprocess tests look for leaked descriptors), prints the descriptor limits, and says
 * whether a `mov $nr,%eax; syscall` site executed a few times was rewritten — a runtime whose
 * descriptors sit above the soft limit must still reach its own (the rewriter reads
 * /proc/self/maps through one).
 *
 * Output: "fds 0,1,2", "limit SOFT HARD", "rewritten 0|1".
 */
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

extern long limits_site(void); /* mov $39,%eax; syscall; ret */
extern unsigned char limits_site_code[];

__asm__(".text\n"
	".globl limits_site\n"
	".type limits_site,@function\n"
	"limits_site:\n"
	".cfi_startproc\n"
	"limits_site_code:\n"
	"	mov $39, %eax\n"
	"	syscall\n"
	"	ret\n"
	".cfi_endproc\n"
	".size limits_site, .-limits_site\n");

int main(void)
{
	long max = sysconf(_SC_OPEN_MAX);
	printf("fds ");
	const char *sep = "";
	for (long fd = 0; fd < max; fd++) {
		struct stat st;
		if (fstat((int)fd, &st) == 0) {
			printf("%s%ld", sep, fd);
			sep = ",";
		}
	}
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("\nlimit %llu %llu\n", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
	long pid = getpid();
	int bad = 0;
	for (int i = 0; i < 3; i++)
		bad += limits_site() != pid;
	int rewritten = memcmp(limits_site_code, "\xb8\x27\x00\x00\x00\x0f\x05", 7) != 0;
	printf("rewritten %d\n", rewritten);
	return bad != 0;
}
