/* Syscall sites whose `syscall` instruction straddles a cache line or a page: its `0f` is the
 * last byte of one and its `05` the first byte of the next (glibc's `__open64_nocancel` is laid
 * out so on Debian 13, and `opendir` calls it). No locked store covers both bytes, so sysgate
 * rewrites such a site in steps keeping the `0f` and turning `05` into `0b` (`ud2`, the trap
 * the old `syscall` becomes) in one locked byte store (crates/runtime/src/rewrite.rs, `Swap`).
 *
 *   page  mov %rdi,%rax; mov $-100,%edi; syscall    the `syscall` at offset 0xfff of a page
 *   line  the same, the `syscall` at offset 0x3f of a cache line inside a page
 *   imm   mov $110,%eax; syscall                    at offset 0xfff of a page
 *
 * Four threads call them while they are being rewritten; every call must return what the
 * kernel returns, also when code jumps straight to the old `syscall` (getppid, getpid). Prints
 * which sites were rewritten (the old `syscall` is now `ud2`, `0f 0b`) and "all straddle checks
 * passed". */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

long page_site(long nr);
long line_site(long nr);
long imm_site(void);
extern const unsigned char page_syscall[], line_syscall[], imm_syscall[];
/* rax = nr, then call `target` (the old `syscall` of one of the functions above). */
long via_jump(long nr, const void *target);

#define FN(name, body)                                                                                  \
	".globl " #name "\n"                                                                            \
	".type " #name ",@function\n" #name ":\n"                                                       \
	"	.cfi_startproc\n" body "	ret\n"                                                             \
	"	.rept 40\n"                                                                                  \
	"	mov %rax, %rax\n"                                                                            \
	"	.endr\n"                                                                                     \
	"	.cfi_endproc\n"                                                                              \
	".size " #name ", .-" #name "\n"

/* page: 3 + 5 bytes before the `syscall`, which starts at 0xfff. */
__asm__(".text\n"
	".p2align 12\n"
	".skip 4096 - 8 - 1, 0xcc\n"
	FN(page_site, "	mov %rdi, %rax\n"
		      "	mov $-100, %edi\n"
		      ".globl page_syscall\n"
		      "page_syscall: syscall\n")
	".p2align 12\n"
	".skip 3 * 64 + 64 - 8 - 1, 0xcc\n"
	FN(line_site, "	mov %rdi, %rax\n"
		      "	mov $-100, %edi\n"
		      ".globl line_syscall\n"
		      "line_syscall: syscall\n")
	".p2align 12\n"
	".skip 4096 - 5 - 1, 0xcc\n"
	FN(imm_site, "	mov $110, %eax\n"
		     ".globl imm_syscall\n"
		     "imm_syscall: syscall\n")
	".p2align 4\n"
	FN(via_jump, "	mov %rdi, %rax\n"
		     "	call *%rsi\n"));

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
	for (int i = 0; i < 2000 && failures < 10; i++) {
		check(page_site(110) == ppid, "page getppid");
		check(line_site(110) == ppid, "line getppid");
		check(imm_site() == ppid, "imm getppid");
		check(via_jump(39, page_syscall) == pid, "jump straight to page's syscall: getpid");
		check(via_jump(110, line_syscall) == ppid, "jump straight to line's syscall");
		check(via_jump(110, imm_syscall) == ppid, "jump straight to imm's syscall");
	}
	return NULL;
}

static int ud2(const unsigned char *at)
{
	return at[0] == 0x0f && at[1] == 0x0b;
}

int main(void)
{
	ppid = getppid();
	pid = getpid();
	if (((unsigned long)page_syscall & 4095) != 4095 || ((unsigned long)line_syscall & 4095) != 255 ||
	    ((unsigned long)imm_syscall & 4095) != 4095) {
		printf("layout: page %#lx line %#lx imm %#lx FAILED\n", (unsigned long)page_syscall & 4095,
		       (unsigned long)line_syscall & 4095, (unsigned long)imm_syscall & 4095);
		return 1;
	}
	pthread_t t[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, hammer, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	printf("rewritten: page=%d line=%d imm=%d\n", ud2(page_syscall), ud2(line_syscall), ud2(imm_syscall));
	if (failures == 0)
		printf("all straddle checks passed\n");
	return failures != 0;
}
