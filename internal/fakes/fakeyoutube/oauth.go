package fakeyoutube

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Scope granted when a request names none.
const defaultScope = "https://www.googleapis.com/auth/youtube.upload"

type authCode struct {
	clientID    string
	redirectURI string
	challenge   string
	method      string
	scope       string
	expires     time.Time
}

// handleAuthorize approves every valid request at once: it redirects to the
// loopback redirect_uri with a fresh code and the caller's state.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	s.authRequests = append(s.authRequests, q)
	deny := s.denyConsent
	s.mu.Unlock()

	redirect := q.Get("redirect_uri")
	ru, err := url.Parse(redirect)
	if err != nil || ru.Scheme != "http" || !isLoopback(ru.Hostname()) {
		http.Error(w, "Error 400: invalid_request\nredirect_uri must be a loopback http URL", http.StatusBadRequest)
		return
	}
	if q.Get("client_id") != s.opts.ClientID {
		http.Error(w, "Error 401: invalid_client\nThe OAuth client was not found.", http.StatusUnauthorized)
		return
	}
	back := url.Values{}
	if st := q.Get("state"); st != "" {
		back.Set("state", st)
	}
	switch {
	case deny:
		back.Set("error", "access_denied")
	case q.Get("response_type") != "code":
		back.Set("error", "unsupported_response_type")
	case q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256":
		back.Set("error", "invalid_request")
	default:
		code := "4/fake-" + newID(16)
		scope := q.Get("scope")
		if scope == "" {
			scope = defaultScope
		}
		s.mu.Lock()
		s.codes[code] = authCode{
			clientID:    q.Get("client_id"),
			redirectURI: redirect,
			challenge:   q.Get("code_challenge"),
			method:      q.Get("code_challenge_method"),
			scope:       scope,
			expires:     time.Now().Add(10 * time.Minute),
		}
		s.mu.Unlock()
		back.Set("code", code)
		back.Set("scope", scope)
	}
	sep := "?"
	if ru.RawQuery != "" {
		sep = "&"
	}
	http.Redirect(w, r, redirect+sep+back.Encode(), http.StatusFound)
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// handleToken implements the refresh_token and authorization_code grants.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "POST required")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "malformed form body")
		return
	}
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	} else {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	}
	if !equal(id, s.opts.ClientID) || !equal(secret, s.opts.ClientSecret) {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "The OAuth client was not found.")
		return
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		s.mu.Lock()
		ok := s.refreshTokens[rt] && !s.invalidGrant
		s.mu.Unlock()
		if !ok {
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Token has been expired or revoked.")
			return
		}
		s.issue(w, "", defaultScope)
	case "authorization_code":
		code := r.PostForm.Get("code")
		s.mu.Lock()
		ac, ok := s.codes[code]
		delete(s.codes, code) // codes are single use
		s.mu.Unlock()
		switch {
		case !ok || time.Now().After(ac.expires):
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Malformed auth code.")
			return
		case ac.redirectURI != r.PostForm.Get("redirect_uri"):
			writeOAuthError(w, http.StatusBadRequest, "redirect_uri_mismatch", "Bad Request")
			return
		case ac.challenge != "" && !pkceOK(ac.challenge, r.PostForm.Get("code_verifier")):
			writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "Missing code verifier.")
			return
		}
		rt := "1//fake-" + newID(16)
		s.mu.Lock()
		s.refreshTokens[rt] = true
		s.mu.Unlock()
		s.issue(w, rt, ac.scope)
	default:
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("Invalid grant_type: %s", gt))
	}
}

func pkceOK(challenge, verifier string) bool {
	if verifier == "" {
		return false
	}
	sum := sha256.Sum256([]byte(verifier))
	return equal(base64.RawURLEncoding.EncodeToString(sum[:]), challenge)
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// issue answers a token request with a new access token (and refreshToken
// when not empty).
func (s *Server) issue(w http.ResponseWriter, refreshToken, scope string) {
	tok := "ya29.fake-" + newID(16)
	s.mu.Lock()
	s.accessTokens[tok] = time.Now().Add(s.opts.TokenTTL)
	s.mu.Unlock()
	body := map[string]any{
		"access_token": tok,
		"expires_in":   int(s.opts.TokenTTL.Seconds()),
		"scope":        scope,
		"token_type":   "Bearer",
	}
	if refreshToken != "" {
		body["refresh_token"] = refreshToken
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, body)
}

// authorized checks the bearer token of an API request and answers 401
// when it is missing, unknown or expired.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if s.opts.NoAuth {
		return true
	}
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if ok {
		s.mu.Lock()
		exp, known := s.accessTokens[tok]
		s.mu.Unlock()
		if known && time.Now().Before(exp) {
			return true
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/", error="invalid_token"`)
	writeError(w, http.StatusUnauthorized, "authError", "global",
		"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
	return false
}
