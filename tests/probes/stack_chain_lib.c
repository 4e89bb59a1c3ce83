/*
 * stack_chain_lib: the library stack_chain dlopen()s: lib_write -> lib_inner -> write(2).
 */
#include <unistd.h>

__attribute__((noinline)) void lib_inner(void) { write(1, "lib\n", 4); }
__attribute__((noinline)) void lib_write(void) { lib_inner(); }
