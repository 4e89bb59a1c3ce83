/* Syscall sites whose number is not an immediate, with the instruction before the `syscall`
 * (`P`, 3 bytes or more, registers only): without page 0 sysgate moves `P` into a trampoline
 * and turns `P; syscall` into a call to it (crates/runtime/src/displaced.rs).
 *
 *   disp3  mov %rdi,%rax; syscall          the call replaces both
 *   disp4  lea 0x0(%rdi),%rax (4 bytes)    one byte of filler first
 *   disp5  mov $0,%edx (5 bytes)           two bytes of filler
 *   disp7  mov $0,%rdx (7 bytes)           four bytes of filler
 *   riplea lea rip_word(%rip),%rsi         runs as movabs $&rip_word,%rsi in the trampoline
 *   pair   xor %edx,%edx; mov %edi,%eax    two 2-byte instructions move together
 *   pairjt the same, but a jump lands on the mov: stays on the SIGSYS path
 *   mem    mov (%rsi),%rax                 a load cannot move: stays on the SIGSYS path
 *
 * The old `syscall` is now the top two bytes of the call's displacement: they must trap.
 *
 * No padding is within reach of any of them. Checks, from four threads at once while the
 * sites are being rewritten: every call returns what the kernel returns (getppid, ENOSYS for
 * a number past the table and for rax = -1), also when code jumps straight to the old
 * `syscall` (getppid, getpid), and the flags come back as they were. Prints which sites were
 * rewritten (first byte `e8`) and "all displaced checks passed". */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

long disp3(long nr);
long disp4(long nr);
long disp5(long nr);
long disp7(long nr);
/* The syscall's result, plus 1000000 if rsi after it is not &rip_word. */
long riplea(long nr);
long pair(long nr);
long pairjt(long nr);
long mem(long nr, const long *p);
extern const unsigned char disp3_syscall[], disp4_syscall[], disp5_syscall[], disp7_syscall[], riplea_syscall[],
	pair_syscall[], pairjt_syscall[], mem_syscall[];
long rip_word;
/* rax = nr, then call `target` (the old `syscall` of one of the functions above). */
long via_jump(long nr, const void *target);
/* The same with the flags set to `flags` first; returns the flags after. */
uint64_t flags_via(long nr, const void *target, uint64_t flags);

/* Each function starts 16-byte aligned, so `P; syscall` lies in one aligned block; what
 * follows the `ret` is code (never run), not padding. */
#define FN(name, body)                                                                                  \
	".p2align 4\n"                                                                                  \
	".globl " #name "\n"                                                                            \
	".type " #name ",@function\n" #name ":\n"                                                       \
	"	.cfi_startproc\n" body "	ret\n"                                                             \
	"	.rept 40\n"                                                                                  \
	"	mov %rax, %rax\n"                                                                            \
	"	.endr\n"                                                                                     \
	"	.cfi_endproc\n"                                                                              \
	".size " #name ", .-" #name "\n"

__asm__(".text\n"
	FN(disp3, "	mov %rdi, %rax\n"
		  ".globl disp3_syscall\n"
		  "disp3_syscall: syscall\n")
	FN(disp4, "	.byte 0x48, 0x8d, 0x47, 0x00\n" /* lea 0x0(%rdi),%rax */
		  ".globl disp4_syscall\n"
		  "disp4_syscall: syscall\n")
	FN(disp5, "	mov %rdi, %rax\n"
		  "	.byte 0xba, 0, 0, 0, 0\n" /* mov $0,%edx */
		  ".globl disp5_syscall\n"
		  "disp5_syscall: syscall\n")
	FN(disp7, "	mov %rdi, %rax\n"
		  "	.byte 0x48, 0xc7, 0xc2, 0, 0, 0, 0\n" /* mov $0,%rdx */
		  ".globl disp7_syscall\n"
		  "disp7_syscall: syscall\n")
	FN(riplea, "	mov %rdi, %rax\n"
		   "	lea rip_word(%rip), %rsi\n" /* 48 8d 35 disp32 */
		   ".globl riplea_syscall\n"
		   "riplea_syscall: syscall\n"
		   "	lea rip_word(%rip), %rdx\n"
		   "	cmp %rdx, %rsi\n"
		   "	je 1f\n"
		   "	add $1000000, %rax\n"
		   "1:\n")
	FN(pair, "	xor %edx, %edx\n"
		 "	mov %edi, %eax\n"
		 ".globl pair_syscall\n"
		 "pair_syscall: syscall\n")
	FN(pairjt, "	xor %edx, %edx\n"
		   "2:	mov %edi, %eax\n"
		   ".globl pairjt_syscall\n"
		   "pairjt_syscall: syscall\n"
		   "	cmp $-1, %rax\n" /* never: a branch back to the mov */
		   "	je 2b\n")
	FN(mem, "	mov (%rsi), %rax\n"
		".globl mem_syscall\n"
		"mem_syscall: syscall\n")
	FN(via_jump, "	mov %rdi, %rax\n"
		     "	call *%rsi\n")
	FN(flags_via, "	push %rdx\n"
		      "	popfq\n"
		      "	mov %rdi, %rax\n"
		      "	call *%rsi\n"
		      "	pushfq\n"
		      "	pop %rax\n"
		      "	cld\n"));

static long ppid, pid;
static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
		printf("%s FAILED\n", what);
	}
}

static void *hammer(void *arg)
{
	(void)arg;
	const long nr = 110;
	for (int i = 0; i < 2000 && failures < 10; i++) {
		check(disp3(110) == ppid, "disp3 getppid");
		check(disp4(110) == ppid, "disp4 getppid");
		check(disp5(110) == ppid, "disp5 getppid");
		check(disp7(110) == ppid, "disp7 getppid");
		check(riplea(110) == ppid, "riplea getppid, rsi = &rip_word");
		check(pair(110) == ppid, "pair getppid");
		check(pairjt(110) == ppid, "pairjt getppid");
		check(mem(0, &nr) == ppid, "mem getppid");
		check(disp3(100000) == -ENOSYS, "disp3: a number past the table is ENOSYS");
		check(disp4(-1L) == -ENOSYS, "disp4: rax = -1 is ENOSYS");
		check(via_jump(110, disp3_syscall) == ppid, "jump straight to disp3's syscall");
		check(via_jump(39, disp4_syscall) == pid, "jump straight to disp4's syscall: getpid");
		check(via_jump(110, disp5_syscall) == ppid, "jump straight to disp5's syscall");
		check(via_jump(39, disp7_syscall) == pid, "jump straight to disp7's syscall: getpid");
		check(via_jump(39, riplea_syscall) == pid + 1000000, "jump straight to riplea's syscall: getpid");
		check(via_jump(39, pair_syscall) == pid, "jump straight to pair's syscall: getpid");
	}
	return NULL;
}

int main(void)
{
	ppid = getppid();
	pid = getpid();
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, hammer, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	static const uint64_t arith[6] = {0x1, 0x4, 0x10, 0x40, 0x80, 0x800};
	const void *targets[] = {disp3, disp4, disp3_syscall, disp4_syscall};
	for (int k = 0; k < 4; k++)
		for (int df = 0; df < 2; df++)
			for (int pat = 0; pat < 64; pat++) {
				uint64_t f = 0x202 | (df ? 0x400 : 0);
				for (int b = 0; b < 6; b++)
					if (pat & 1 << b)
						f |= arith[b];
				uint64_t got = flags_via(110, targets[k], f);
				if ((got & ~0x10000ull) != f) {
					printf("flags %#lx came back as %#lx (target %d) FAILED\n", (unsigned long)f,
					       (unsigned long)got, k);
					failures++;
				}
			}
	/* The call ends where the old syscall ended. */
	printf("rewritten: d3=%d d4=%d d5=%d d7=%d rip=%d pair=%d pairjt=%d mem=%d\n", disp3_syscall[-3] == 0xe8,
	       disp4_syscall[-3] == 0xe8, disp5_syscall[-3] == 0xe8, disp7_syscall[-3] == 0xe8,
	       riplea_syscall[-3] == 0xe8, pair_syscall[-3] == 0xe8, pairjt_syscall[-3] == 0xe8,
	       mem_syscall[-3] == 0xe8);
	if (failures == 0)
		printf("all displaced checks passed\n");
	return failures != 0;
}
