// gosites: makes syscalls through Go's register-argument stub (syscall.Syscall ->
// runtime/internal/syscall.Syscall6) and its runtime's own stubs, then prints, for each site
// address given in hex on the command line, whether its bytes still hold `syscall` (0f 05).
// Natively they all do; under sysgate a site that was rewritten does not.
package main

import (
	"fmt"
	"os"
	"strconv"
	"syscall"
	"unsafe"
)

func main() {
	n := 0
	for i := 0; i < 1000; i++ {
		r, _, _ := syscall.Syscall(syscall.SYS_GETPPID, 0, 0, 0)
		n += int(r)
	}
	if n == 0 {
		fmt.Println("getppid failed")
		os.Exit(1)
	}
	for _, a := range os.Args[1:] {
		addr, err := strconv.ParseUint(a, 16, 64)
		if err != nil {
			fmt.Println("bad address", a)
			os.Exit(2)
		}
		b := (*[2]byte)(unsafe.Pointer(uintptr(addr)))
		if b[0] == 0x0f && b[1] == 0x05 {
			fmt.Println("syscall")
		} else {
			fmt.Println("rewritten")
		}
	}
}
