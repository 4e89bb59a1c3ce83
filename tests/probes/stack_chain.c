/*
 * stack_chain: main -> chain_a -> chain_b -> write(2), then the same through a function of a
 * library it dlopen()s (stack_chain_lib.c: lib_write). Built with -O0 and frame pointers, so
 * each function keeps its frame: `trace -k` shows every one of them, as strace -k does.
 *
 * Usage: stack_chain [LIB]
 */
#include <dlfcn.h>
#include <stdio.h>
#include <unistd.h>

__attribute__((noinline)) void chain_b(void) { write(1, "b\n", 2); }
__attribute__((noinline)) void chain_a(void) { chain_b(); }

int main(int argc, char **argv)
{
	chain_a();
	if (argc > 1) {
		void *h = dlopen(argv[1], RTLD_NOW);
		if (!h) {
			fprintf(stderr, "%s\n", dlerror());
			return 1;
		}
		void (*f)(void) = (void (*)(void))dlsym(h, "lib_write");
		if (!f)
			return 1;
		f();
	}
	return 0;
}
