package api

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// CodeHostNotAllowed refuses a request whose Host names neither this
// machine's loopback nor a host of ALLOWED_ORIGINS (no API token set).
const CodeHostNotAllowed = "HOST_NOT_ALLOWED"

// hostCheck guards a server without a token against DNS rebinding: a web
// page whose name is re-pointed at 127.0.0.1 sends its own name as Host,
// and the browser then treats YTMaker's answers as that page's. Only
// loopback names and the hosts of the allowed origins pass.
type hostCheck map[string]bool

// newHostCheck accepts the host names of origins ("https://app.example.com"
// adds app.example.com, on any port) besides the loopback ones.
func newHostCheck(origins []string) hostCheck {
	h := hostCheck{}
	for _, o := range origins {
		if u, err := url.Parse(strings.TrimSpace(o)); err == nil && u.Hostname() != "" {
			h[strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))] = true
		}
	}
	return h
}

// allows reports whether a Host header value (with or without a port) is
// one to serve: 127.0.0.0/8, [::1], localhost, or an allowed origin's host.
func (h hostCheck) allows(host string) bool {
	name := host
	if n, _, err := net.SplitHostPort(host); err == nil {
		name = n
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		name = host[1 : len(host)-1]
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == "" {
		return false
	}
	if name == "localhost" || h[name] {
		return true
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") && net.ParseIP(host) != nil {
		return false // an IPv6 address must be in brackets in a Host header
	}
	ip := net.ParseIP(name)
	return ip != nil && ip.IsLoopback()
}

// guard answers 421 HOST_NOT_ALLOWED and reports false when r's Host is
// not allowed.
func (h hostCheck) guard(w http.ResponseWriter, r *http.Request) bool {
	if h.allows(r.Host) {
		return true
	}
	writeError(w, newError(http.StatusMisdirectedRequest, CodeHostNotAllowed,
		"Host %q is not served: without API_TOKEN this server answers only to 127.0.0.1, localhost and [::1] "+
			"(any port) and to the hosts of ALLOWED_ORIGINS", r.Host).with("host", r.Host))
	return false
}
