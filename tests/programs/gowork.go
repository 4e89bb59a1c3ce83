package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"time"
)

func main() {
	var wg sync.WaitGroup
	var mu sync.Mutex
	sum := 0
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			x := 0
			for j := 0; j < 3000000; j++ {
				x += j % (i + 1)
			}
			data, _ := os.ReadFile("/etc/hostname")
			mu.Lock()
			sum += x + len(data)
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	out, err := exec.Command("echo", "child").Output()
	t := time.Now().Unix()
	exe, _ := os.Executable()
	fmt.Println("sum>0:", sum > 0, "procs:", runtime.NumCPU() > 0, "child:", string(out), err, "time ok:", t > 1600000000, "exe:", exe)
}
