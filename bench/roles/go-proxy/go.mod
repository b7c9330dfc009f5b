module ory-proxy/bench/go-proxy

go 1.19
