package main

import "fmt"

type T struct{ a, b int }

func f(p *T) (r string) {
	defer func() {
		if e := recover(); e != nil {
			r = fmt.Sprint("recovered: ", e)
		}
	}()
	p.b = 1
	return "no fault"
}

func main() { fmt.Println(f(nil)) }
