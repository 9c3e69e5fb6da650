package studio

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"sync"
	"time"
)

// sessionCookie carries a signed-in browser's session ID.
const sessionCookie = "ytmaker_session"

// Session limits.
const (
	DefaultSessionTTL = 7 * 24 * time.Hour
	maxSessions       = 10000
)

// sessions are kept in this process's memory, by the SHA-256 of their ID
// (a leaked memory dump does not give usable cookies). Signing out
// deletes the session; restarting the server signs everyone out.
type sessions struct {
	mu  sync.Mutex
	ttl time.Duration
	now func() time.Time
	m   map[[sha256.Size]byte]time.Time // expiry
}

func newSessions(ttl time.Duration) *sessions {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	return &sessions{ttl: ttl, now: time.Now, m: map[[sha256.Size]byte]time.Time{}}
}

// create starts a session and returns its ID.
func (s *sessions) create() string {
	var b [32]byte
	rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= maxSessions {
		for k, exp := range s.m {
			if !exp.After(now) {
				delete(s.m, k)
			}
		}
		for k := range s.m { // still full: drop any one
			if len(s.m) < maxSessions {
				break
			}
			delete(s.m, k)
		}
	}
	s.m[sha256.Sum256([]byte(id))] = now.Add(s.ttl)
	return id
}

// valid reports whether id is a live session.
func (s *sessions) valid(id string) bool {
	if id == "" || len(id) > 100 {
		return false
	}
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.m[k]
	if !ok {
		return false
	}
	if !exp.After(s.now()) {
		delete(s.m, k)
		return false
	}
	return true
}

// end deletes a session.
func (s *sessions) end(id string) {
	k := sha256.Sum256([]byte(id))
	s.mu.Lock()
	delete(s.m, k)
	s.mu.Unlock()
}

// tokenMatches compares a submitted token with the configured one in
// constant time.
func tokenMatches(given string, want [sha256.Size]byte) bool {
	sum := sha256.Sum256([]byte(given))
	return given != "" && subtle.ConstantTimeCompare(sum[:], want[:]) == 1
}

// setSessionCookie gives the browser its session: HttpOnly (no script
// reads it), SameSite=Strict (no other site's page sends it), Secure over
// TLS.
func setSessionCookie(w http.ResponseWriter, r *http.Request, id string, ttl time.Duration) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(ttl.Seconds())})
}

func clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: -1})
}
