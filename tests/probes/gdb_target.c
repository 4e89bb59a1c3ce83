/* A program for a debugger: a breakpoint in g, three frames under it, a value to return. */
#include <stdio.h>
int g(int x) { return x * 2; }
int f(int x) { return g(x + 1); }
int main(void) { printf("%d\n", f(2)); return 0; }
