package connectproxy_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"

	"example.com/cutover/harness/connectproxy"
)

// A client standing "behind" the proxy reaches what the proxy reaches.
func Example() {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			io.WriteString(c, "hello from the far side\n")
			c.Close()
		}
	}()
	p, err := connectproxy.Start(context.Background())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close()
	c, err := connectproxy.Dial(context.Background(), &net.Dialer{}, p.Addr(), ln.Addr().String())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	line, _ := bufio.NewReader(c).ReadString('\n')
	fmt.Print(line)
	// Output:
	// hello from the far side
}
