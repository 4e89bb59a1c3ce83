/*
 * jump_into_site: a syscall site of the common shape `mov $nr,%eax; syscall`, executed once
 * (so that sysgate may rewrite it), then entered again by jumping straight to its `syscall`
 * instruction with eax already set — as a retry loop might. Every entry must give getpid().
 * Prints whether the site's bytes were rewritten, then the results.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern long site_fn(void);           /* mov $39,%eax; syscall; ret */
extern long site_syscall_entry(long); /* eax = arg; jumps to site_fn's syscall */
extern unsigned char site_fn_code[];

__asm__(".text\n"
	".globl site_fn\n"
	".type site_fn,@function\n"
	"site_fn:\n"
	".cfi_startproc\n"
	"site_fn_code:\n"
	"	mov $39, %eax\n"
	"site_fn_syscall:\n"
	"	syscall\n"
	"	ret\n"
	".cfi_endproc\n"
	".size site_fn, .-site_fn\n"
	".globl site_syscall_entry\n"
	".type site_syscall_entry,@function\n"
	"site_syscall_entry:\n"
	".cfi_startproc\n"
	"	mov %rdi, %rax\n"
	"	jmp site_fn_syscall\n"
	".cfi_endproc\n"
	".size site_syscall_entry, .-site_syscall_entry\n");

int main(void)
{
	long pid = getpid();
	int bad = 0;
	for (int i = 0; i < 3; i++)
		bad += site_fn() != pid;
	unsigned char now[7];
	memcpy(now, site_fn_code, 7);
	int rewritten = memcmp(now, "\xb8\x27\x00\x00\x00\x0f\x05", 7) != 0;
	for (int i = 0; i < 3; i++)
		bad += site_syscall_entry(39) != pid;
	for (int i = 0; i < 3; i++)
		bad += site_fn() != pid;
	printf("rewritten=%d wrong=%d\n", rewritten, bad);
	return bad != 0;
}
