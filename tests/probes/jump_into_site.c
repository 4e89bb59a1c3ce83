/*
 * jump_into_site: a syscall site of the common shape `mov $nr,%eax; syscall`, executed once
 * (so that sysgate may rewrite it), then entered again by jumping straight to its `syscall`
 * instruction with eax already set — as a retry loop might. Every entry must give getpid().
 * Two such sites: one inside an aligned 16-byte block (without page 0 it becomes filler and a
 * call, displaced.rs) and one straddling two blocks (rewritten in steps into `call; ud2`,
 * trampoline.rs). Prints whether the sites' bytes were rewritten, then the results.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern long site_fn(void);           /* mov $39,%eax; syscall; ret */
extern long site_syscall_entry(long); /* eax = arg; jumps to site_fn's syscall */
extern unsigned char site_fn_code[];
extern long site_fn2(void);           /* the same, its 7 bytes at offset 12 of a 16-byte block */
extern long site2_syscall_entry(long);
extern unsigned char site_fn2_code[];

__asm__(".text\n"
	".p2align 4\n"
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
	".size site_syscall_entry, .-site_syscall_entry\n"
	".p2align 4\n"
	".globl site_fn2\n"
	".type site_fn2,@function\n"
	"site_fn2:\n"
	".cfi_startproc\n"
	"	mov %rax, %rax\n"
	"	mov %rax, %rax\n"
	"	mov %rax, %rax\n"
	"	mov %rax, %rax\n"
	"site_fn2_code:\n"
	"	mov $39, %eax\n"
	"site_fn2_syscall:\n"
	"	syscall\n"
	"	ret\n"
	".cfi_endproc\n"
	".size site_fn2, .-site_fn2\n"
	".globl site2_syscall_entry\n"
	".type site2_syscall_entry,@function\n"
	"site2_syscall_entry:\n"
	".cfi_startproc\n"
	"	mov %rdi, %rax\n"
	"	jmp site_fn2_syscall\n"
	".cfi_endproc\n"
	".size site2_syscall_entry, .-site2_syscall_entry\n");

/* How a site was rewritten: "displaced" (filler, then a call ending where the syscall ended),
 * "ud2" (a call, then ud2 where the syscall was), "none" or "other". */
static const char *kind(const unsigned char *c)
{
	if (memcmp(c, "\xb8\x27\x00\x00\x00\x0f\x05", 7) == 0)
		return "none";
	if (c[0] == 0x66 && c[1] == 0x90 && c[2] == 0xe8)
		return "displaced";
	if (c[0] == 0xe8 && c[5] == 0x0f && c[6] == 0x0b)
		return "ud2";
	return "other";
}

int main(void)
{
	long pid = getpid();
	int bad = 0;
	for (int i = 0; i < 3; i++)
		bad += (site_fn() != pid) + (site_fn2() != pid);
	const char *k1 = kind(site_fn_code), *k2 = kind(site_fn2_code);
	for (int i = 0; i < 3; i++)
		bad += (site_syscall_entry(39) != pid) + (site2_syscall_entry(39) != pid);
	for (int i = 0; i < 3; i++)
		bad += (site_fn() != pid) + (site_fn2() != pid);
	printf("rewritten=%s,%s wrong=%d\n", k1, k2, bad);
	return bad != 0;
}
