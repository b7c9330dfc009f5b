// The Go peer: net/http/httputil's ReverseProxy, what `ory proxy` is built on, with nothing on top.
// Usage (from the bench): go-proxy <origin URL>; prints its port on stdout, exits when stdin closes.
package main

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
)

func main() {
	origin, err := url.Parse(os.Args[1])
	if err != nil {
		panic(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(origin)
	// Go keeps 2 idle connections per host by default; 50 clients would reconnect all the time.
	proxy.Transport = &http.Transport{MaxIdleConnsPerHost: 128}
	// A client leaving mid-response (the load's end) is not news.
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	fmt.Println(listener.Addr().(*net.TCPAddr).Port)
	go func() { io.Copy(io.Discard, os.Stdin); os.Exit(0) }()
	panic(http.Serve(listener, proxy))
}
