/* What a syscall leaves behind: after `syscall` every register but rax (the result), rcx
 * (the return address) and r11 keeps its value, and so do the flags (every arithmetic flag,
 * DF), xmm0-15, mxcsr and the x87 control word. The probe loads known values into all of
 * them, runs getppid through two site shapes (the `mov $nr,%eax; syscall` shape that is
 * patched without page 0, and the number moved from another register) and `close` through
 * the first shape, and compares, for all 64 patterns of
 * CF PF AF ZF SF OF with DF clear and set, and with a non-default mxcsr and control word.
 *
 * It also checks the tracing fact behind `r11`: natively r11 comes back as the flags the call
 * was made with; under sysgate r11 is clobbered (DESIGN.md), so that is only printed.
 *
 * Prints one line per failed check and "all register checks passed" at the end. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct state {
	uint64_t gpr[16]; /* rax rbx rcx rdx rsi rdi rbp r8 r9 r10 r11 r12 r13 r14 r15 (rsp unused) */
	uint64_t flags;
	uint32_t mxcsr;
	uint16_t fcw;
	uint16_t pad;
	uint8_t xmm[16][16];
};

/* void regcall(const struct state *in, struct state *out, int shape)
 * Loads every register of `in` (flags last, with popfq), runs the syscall at the chosen site
 * (0: `mov $110,%eax; syscall`, 1: `mov %r11,%rax; syscall`, 2: `mov $3,%eax; syscall`, close
 * of the descriptor in rdi's low half) and stores every register into `out`. */
void regcall(const struct state *in, struct state *out, int shape);
__asm__(
	".text\n"
	".globl regcall\n"
	".type regcall,@function\n"
	"regcall:\n"
	"	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"	sub $24, %rsp\n"
	"	mov %rsi, 0(%rsp)\n"          /* out */
	"	mov %edx, 8(%rsp)\n"          /* shape */
	"	stmxcsr 16(%rsp)\n"           /* caller's mxcsr and control word, restored at the end */
	"	fnstcw 20(%rsp)\n"
	"	ldmxcsr 136(%rdi)\n"
	"	fldcw 140(%rdi)\n"
	"	movdqu 144+0*16(%rdi), %xmm0\n"
	"	movdqu 144+1*16(%rdi), %xmm1\n"
	"	movdqu 144+2*16(%rdi), %xmm2\n"
	"	movdqu 144+3*16(%rdi), %xmm3\n"
	"	movdqu 144+4*16(%rdi), %xmm4\n"
	"	movdqu 144+5*16(%rdi), %xmm5\n"
	"	movdqu 144+6*16(%rdi), %xmm6\n"
	"	movdqu 144+7*16(%rdi), %xmm7\n"
	"	movdqu 144+8*16(%rdi), %xmm8\n"
	"	movdqu 144+9*16(%rdi), %xmm9\n"
	"	movdqu 144+10*16(%rdi), %xmm10\n"
	"	movdqu 144+11*16(%rdi), %xmm11\n"
	"	movdqu 144+12*16(%rdi), %xmm12\n"
	"	movdqu 144+13*16(%rdi), %xmm13\n"
	"	movdqu 144+14*16(%rdi), %xmm14\n"
	"	movdqu 144+15*16(%rdi), %xmm15\n"
	/* rax = the chosen site; r11 = the number for shape 1 (syscall clobbers both anyway). */
	"	lea 10f(%rip), %rax\n"
	"	cmpl $1, 8(%rsp)\n"
	"	jne 1f\n"
	"	lea 11f(%rip), %rax\n"
	"1:	cmpl $2, 8(%rsp)\n"
	"	jne 1f\n"
	"	lea 12f(%rip), %rax\n"
	"1:	mov 0*8(%rdi), %r11\n"
	"	mov 1*8(%rdi), %rbx\n"
	"	mov 3*8(%rdi), %rdx\n"
	"	mov 4*8(%rdi), %rsi\n"
	"	mov 6*8(%rdi), %rbp\n"
	"	mov 7*8(%rdi), %r8\n"
	"	mov 8*8(%rdi), %r9\n"
	"	mov 9*8(%rdi), %r10\n"
	"	mov 11*8(%rdi), %r12\n"
	"	mov 12*8(%rdi), %r13\n"
	"	mov 13*8(%rdi), %r14\n"
	"	mov 14*8(%rdi), %r15\n"
	"	pushq 128(%rdi)\n"
	"	mov 5*8(%rdi), %rdi\n"
	"	popfq\n"
	"	jmp *%rax\n"
	/* shape 0: mov $110,%eax; syscall */
	"10:	mov $110, %eax\n"
	"	syscall\n"
	"	jmp 3f\n"
	/* shape 1: the number moved from another register */
	"11:	mov %r11, %rax\n"
	"	syscall\n"
	"	jmp 3f\n"
	/* shape 2: close, with the descriptor in rdi */
	"12:	mov $3, %eax\n"
	"	syscall\n"
	"3:	pushfq\n"
	"	cld\n"
	"	push %rdi\n"
	"	mov 16(%rsp), %rdi\n"          /* out (two words pushed since) */
	"	pop 5*8(%rdi)\n"
	"	pop 128(%rdi)\n"
	"	mov %rax, 0*8(%rdi)\n"
	"	mov %rbx, 1*8(%rdi)\n"
	"	mov %rcx, 2*8(%rdi)\n"
	"	mov %rdx, 3*8(%rdi)\n"
	"	mov %rsi, 4*8(%rdi)\n"
	"	mov %rbp, 6*8(%rdi)\n"
	"	mov %r8, 7*8(%rdi)\n"
	"	mov %r9, 8*8(%rdi)\n"
	"	mov %r10, 9*8(%rdi)\n"
	"	mov %r11, 10*8(%rdi)\n"
	"	mov %r12, 11*8(%rdi)\n"
	"	mov %r13, 12*8(%rdi)\n"
	"	mov %r14, 13*8(%rdi)\n"
	"	mov %r15, 14*8(%rdi)\n"
	"	stmxcsr 136(%rdi)\n"
	"	fnstcw 140(%rdi)\n"
	"	movdqu %xmm0, 144+0*16(%rdi)\n"
	"	movdqu %xmm1, 144+1*16(%rdi)\n"
	"	movdqu %xmm2, 144+2*16(%rdi)\n"
	"	movdqu %xmm3, 144+3*16(%rdi)\n"
	"	movdqu %xmm4, 144+4*16(%rdi)\n"
	"	movdqu %xmm5, 144+5*16(%rdi)\n"
	"	movdqu %xmm6, 144+6*16(%rdi)\n"
	"	movdqu %xmm7, 144+7*16(%rdi)\n"
	"	movdqu %xmm8, 144+8*16(%rdi)\n"
	"	movdqu %xmm9, 144+9*16(%rdi)\n"
	"	movdqu %xmm10, 144+10*16(%rdi)\n"
	"	movdqu %xmm11, 144+11*16(%rdi)\n"
	"	movdqu %xmm12, 144+12*16(%rdi)\n"
	"	movdqu %xmm13, 144+13*16(%rdi)\n"
	"	movdqu %xmm14, 144+14*16(%rdi)\n"
	"	movdqu %xmm15, 144+15*16(%rdi)\n"
	"	ldmxcsr 16(%rsp)\n"
	"	fldcw 20(%rsp)\n"
	"	add $24, %rsp\n"
	"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"	ret\n"
	".size regcall, .-regcall\n");

_Static_assert(__builtin_offsetof(struct state, flags) == 128, "layout");
_Static_assert(__builtin_offsetof(struct state, mxcsr) == 136, "layout");
_Static_assert(__builtin_offsetof(struct state, fcw) == 140, "layout");
_Static_assert(__builtin_offsetof(struct state, xmm) == 144, "layout");

static const char *const names[16] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8",
				      "r9",  "r10", "r11", "r12", "r13", "r14", "r15", "-"};
static int failures;

static void fail(const char *what, int shape, uint64_t flags, uint64_t want, uint64_t got)
{
	if (failures++ < 20)
		printf("shape %d flags %#lx: %s: want %#lx got %#lx FAILED\n", shape, (unsigned long)flags, what,
		       (unsigned long)want, (unsigned long)got);
}

int main(void)
{
	static const uint64_t arith[6] = {0x1, 0x4, 0x10, 0x40, 0x80, 0x800}; /* CF PF AF ZF SF OF */
	const uint64_t ppid = (uint64_t)getppid();
	unsigned r11_matched = 0, calls = 0;
	for (int shape = 0; shape < 3; shape++) {
		for (int df = 0; df < 2; df++) {
			for (int pat = 0; pat < 64; pat++) {
				struct state in, out;
				memset(&in, 0, sizeof in);
				memset(&out, 0, sizeof out);
				for (int i = 0; i < 15; i++)
					in.gpr[i] = 0x1111111111111111ull * (uint64_t)(i + 1) ^ (uint64_t)pat << 40;
				in.gpr[0] = 110; /* getppid (shape 1 takes rax from here, through r11) */
				uint64_t want = ppid;
				if (shape == 2) {
					/* close(999) with garbage in rdi's high half: EBADF. */
					in.gpr[5] = 0xdead000000000000ull | 999;
					want = (uint64_t)-9;
				}
				in.flags = 0x202 | (df ? 0x400 : 0);
				for (int b = 0; b < 6; b++)
					if (pat & 1 << b)
						in.flags |= arith[b];
				/* Round toward zero, all exceptions masked, flush-to-zero; 53-bit x87
				   precision with round-up. */
				in.mxcsr = 0x1f80 | 0x6000 | 0x8000;
				in.fcw = 0x037f & ~0x0300u;
				in.fcw |= 0x0200 | 0x0800;
				for (int x = 0; x < 16; x++)
					for (int k = 0; k < 16; k++)
						in.xmm[x][k] = (uint8_t)(x * 16 + k + pat);
				regcall(&in, &out, shape);
				calls++;
				if (out.gpr[0] != want)
					fail("rax (result)", shape, in.flags, want, out.gpr[0]);
				for (int i = 1; i < 15; i++) {
					if (i == 2 || i == 10) /* rcx, r11 */
						continue;
					if (out.gpr[i] != in.gpr[i])
						fail(names[i], shape, in.flags, in.gpr[i], out.gpr[i]);
				}
				/* RF (bit 16) may differ; nothing else. */
				if ((out.flags & ~0x10000ull) != (in.flags & ~0x10000ull))
					fail("flags", shape, in.flags, in.flags, out.flags);
				if (out.gpr[10] == in.flags)
					r11_matched++;
				if (out.mxcsr != in.mxcsr)
					fail("mxcsr", shape, in.flags, in.mxcsr, out.mxcsr);
				if (out.fcw != in.fcw)
					fail("x87 control word", shape, in.flags, in.fcw, out.fcw);
				for (int x = 0; x < 16; x++)
					if (memcmp(out.xmm[x], in.xmm[x], 16) != 0) {
						char what[16];
						snprintf(what, sizeof what, "xmm%d", x);
						fail(what, shape, in.flags, in.xmm[x][0], out.xmm[x][0]);
					}
			}
		}
	}
	printf("r11 held the flags after %u of %u calls\n", r11_matched, calls);
	if (failures) {
		printf("%d register checks FAILED\n", failures);
		return 1;
	}
	printf("all register checks passed\n");
	return 0;
}
