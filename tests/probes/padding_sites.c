/* Syscall sites with no room for a call (the number comes from a register, through a
 * one-byte `pop`, so the instruction before the `syscall` cannot move either) next to
 * alignment padding: without page 0 sysgate turns such a `syscall` into a short jump to a
 * call placed in the padding (crates/runtime/src/padding.rs).
 *
 *   pad_inner  padding after `ret`, inside the function, before an aligned branch target
 *   pad_gap    padding after the function, before the next one
 *   pad_live   nops right after the `syscall`, which run: they must never be used (and no
 *              other padding is within reach, so the site stays on the SIGSYS path)
 *
 * Checks that every call returns what the kernel returns (getppid, ENOSYS for a number past
 * the table), also when code jumps straight to the old `syscall`, and that the flags come
 * back as they were. Prints which sites were rewritten (first byte `eb`) and
 * "all padding checks passed". */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

long pad_inner(long nr, long unused, long fail);
long pad_gap(long nr);
long pad_live(long nr);
extern const unsigned char pad_inner_syscall[], pad_gap_syscall[], pad_live_syscall[];
/* rax = nr, then call `target` (a `syscall; ret` inside one of the functions above). */
long via_jump(long nr, const void *target);
/* The same with the flags set to `flags` first; returns the flags after. */
uint64_t flags_via(long nr, const void *target, uint64_t flags);

__asm__(
	".text\n"
	".p2align 4\n"
	".globl pad_inner\n"
	".type pad_inner,@function\n"
	"pad_inner:\n"
	"	.cfi_startproc\n"
	"	test %rdx, %rdx\n"
	"	jnz 1f\n"
	"	push %rdi\n"
	"	pop %rax\n"
	".globl pad_inner_syscall\n"
	"pad_inner_syscall:\n"
	"	syscall\n"
	"	ret\n"
	"	.p2align 4\n"
	"1:	mov $-1, %rax\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size pad_inner, .-pad_inner\n"

	".p2align 4\n"
	".globl pad_gap\n"
	".type pad_gap,@function\n"
	"pad_gap:\n"
	"	.cfi_startproc\n"
	"	push %rdi\n"
	"	pop %rax\n"
	".globl pad_gap_syscall\n"
	"pad_gap_syscall:\n"
	"	syscall\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size pad_gap, .-pad_gap\n"

	".p2align 4\n"
	".globl pad_live\n"
	".type pad_live,@function\n"
	"pad_live:\n"
	"	.cfi_startproc\n"
	"	push %rdi\n"
	"	pop %rax\n"
	".globl pad_live_syscall\n"
	"pad_live_syscall:\n"
	"	syscall\n"
	"	.p2align 4\n"
	"	ret\n"
	/* Never executed, and not padding: keeps any other padding out of reach. */
	"	.rept 50\n"
	"	mov %rax, %rax\n"
	"	.endr\n"
	"	.cfi_endproc\n"
	".size pad_live, .-pad_live\n"

	".p2align 4\n"
	".globl via_jump\n"
	".type via_jump,@function\n"
	"via_jump:\n"
	"	.cfi_startproc\n"
	"	mov %rdi, %rax\n"
	"	call *%rsi\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size via_jump, .-via_jump\n"

	".p2align 4\n"
	".globl flags_via\n"
	".type flags_via,@function\n"
	"flags_via:\n"
	"	.cfi_startproc\n"
	"	push %rdx\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	popfq\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	mov %rdi, %rax\n"
	"	call *%rsi\n"
	"	pushfq\n"
	"	.cfi_adjust_cfa_offset 8\n"
	"	pop %rax\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	cld\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size flags_via, .-flags_via\n");

static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		failures++;
		printf("%s FAILED\n", what);
	}
}

int main(void)
{
	const long ppid = getppid();
	for (int i = 0; i < 2000; i++) {
		check(pad_inner(110, 0, 0) == ppid, "pad_inner getppid");
		check(pad_inner(110, 0, 1) == -1, "pad_inner other path");
		check(pad_gap(110) == ppid, "pad_gap getppid");
		check(pad_live(110) == ppid, "pad_live getppid");
		check(pad_gap(100000) == -ENOSYS, "pad_gap: a number past the table is ENOSYS");
		check(pad_inner(-1L, 0, 0) == -ENOSYS, "pad_inner: rax = -1 is ENOSYS");
		check(via_jump(110, pad_inner_syscall) == ppid, "jump straight to pad_inner's syscall");
		check(via_jump(110, pad_gap_syscall) == ppid, "jump straight to pad_gap's syscall");
		check(via_jump(39, pad_gap_syscall) == getpid(), "jump straight to pad_gap's syscall: getpid");
		if (failures > 10)
			break;
	}
	static const uint64_t arith[6] = {0x1, 0x4, 0x10, 0x40, 0x80, 0x800};
	for (int df = 0; df < 2; df++)
		for (int pat = 0; pat < 64; pat++) {
			uint64_t f = 0x202 | (df ? 0x400 : 0);
			for (int b = 0; b < 6; b++)
				if (pat & 1 << b)
					f |= arith[b];
			uint64_t got = flags_via(110, pad_gap_syscall, f);
			if ((got & ~0x10000ull) != f) {
				printf("flags %#lx came back as %#lx FAILED\n", (unsigned long)f, (unsigned long)got);
				failures++;
			}
		}
	printf("rewritten: inner=%d gap=%d live=%d\n", pad_inner_syscall[0] == 0xeb, pad_gap_syscall[0] == 0xeb,
	       pad_live_syscall[0] == 0xeb);
	if (failures == 0)
		printf("all padding checks passed\n");
	return failures != 0;
}
