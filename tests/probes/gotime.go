// Prints the wall clock as a Go program reads it (the vDSO when there is one, else the
// clock_gettime syscall), and sleeps until an absolute deadline on it.
package main

import (
	"fmt"
	"time"
)

func main() {
	fmt.Println(time.Now().Unix())
	start := time.Now()
	time.Sleep(50 * time.Millisecond)
	fmt.Println(time.Since(start) >= 50*time.Millisecond)
}
