package nemo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors. An *APIError matches them with errors.Is through its
// code or HTTP status (see APIError.Is).
var (
	// ErrTokenExpired: code 1001, 1010 or 1011, or HTTP 401.
	ErrTokenExpired = errors.New("nemo: token invalid or expired")
	// ErrSessionNotFound: code 1002, or HTTP 404 {"detail":"Session not found"}.
	ErrSessionNotFound = errors.New("nemo: session not found")
	// ErrNoCredits: code 2001.
	ErrNoCredits = errors.New("nemo: no credits left")
	// ErrUnsupportedFile: code 4001.
	ErrUnsupportedFile = errors.New("nemo: unsupported file")
	// ErrFileTooLarge: code 4002 (or HTTP 413).
	ErrFileTooLarge = errors.New("nemo: file too large")
	// ErrPlanBlocked: HTTP 402, the plan blocks export (not a credits problem).
	ErrPlanBlocked = errors.New("nemo: plan blocks export")
	// ErrNoRenderScope: HTTP 403, the token may not render (anonymous
	// tokens lacked the render scope in skill v1.8).
	ErrNoRenderScope = errors.New("nemo: token may not render")
	// ErrRateLimited: HTTP 429.
	ErrRateLimited = errors.New("nemo: rate limited")
	// ErrMissingClientID: HTTP 400 naming the X-Client-Id header.
	ErrMissingClientID = errors.New("nemo: missing client id")
)

// Codes the API sends in its envelope.
const (
	CodeOK              = 0
	CodeTokenInvalid    = 1001
	CodeSessionNotFound = 1002
	CodeTokenExpired    = 1010
	CodeTokenRevoked    = 1011
	CodeNoCredits       = 2001
	CodeUnsupportedFile = 4001
	CodeFileTooLarge    = 4002
)

// APIError is any failure the API reports: a non-2xx status, or a
// non-zero code in a 2xx reply.
type APIError struct {
	// Method and Path name the call (never a query or a token).
	Method, Path string
	// Status is the HTTP status.
	Status int
	// Code is the envelope's code (0 when the body had none).
	Code int
	// Message is the server's reason, trimmed to 300 bytes.
	Message string
	// RetryAfter is the Retry-After header of a 429, when present.
	RetryAfter time.Duration
}

// Error implements error.
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("nemo: ")
	if e.Method != "" {
		b.WriteString(e.Method + " " + e.Path + ": ")
	}
	fmt.Fprintf(&b, "HTTP %d", e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, " code %d", e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	return b.String()
}

// Is matches the package's sentinel errors by code or status.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrTokenExpired:
		return e.Code == CodeTokenInvalid || e.Code == CodeTokenExpired || e.Code == CodeTokenRevoked || e.Status == http.StatusUnauthorized
	case ErrSessionNotFound:
		return e.Code == CodeSessionNotFound || e.Status == http.StatusNotFound && strings.Contains(strings.ToLower(e.Message), "session not found")
	case ErrNoCredits:
		return e.Code == CodeNoCredits
	case ErrUnsupportedFile:
		return e.Code == CodeUnsupportedFile
	case ErrFileTooLarge:
		return e.Code == CodeFileTooLarge || e.Status == http.StatusRequestEntityTooLarge
	case ErrPlanBlocked:
		return e.Status == http.StatusPaymentRequired
	case ErrNoRenderScope:
		return e.Status == http.StatusForbidden
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrMissingClientID:
		return e.Status == http.StatusBadRequest && strings.Contains(strings.ToLower(e.Message), "client")
	}
	return false
}

// maxErrorBody caps what checkResponse reads of a failed reply; maxBody
// caps a successful one (drafts can be large).
const (
	maxErrorBody = 1 << 20
	maxBody      = 64 << 20
)

// checkResponse reads resp's body (at most 1 MiB of a failed reply) and
// returns the envelope's data, or an *APIError for a non-2xx status or a
// non-zero code. It closes the body.
func checkResponse(resp *http.Response) (json.RawMessage, error) {
	defer resp.Body.Close()
	ok := resp.StatusCode >= 200 && resp.StatusCode < 300
	limit := int64(maxBody)
	if !ok {
		limit = maxErrorBody
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit))
	if err != nil && ok {
		return nil, fmt.Errorf("nemo: %s %s: read body: %w", resp.Request.Method, resp.Request.URL.Path, err)
	}
	method, path := "", ""
	if resp.Request != nil {
		method, path = resp.Request.Method, resp.Request.URL.Path
	}
	data, code, msg, failed := decodeEnvelope(body)
	if ok && !failed {
		return data, nil
	}
	e := &APIError{Method: method, Path: path, Status: resp.StatusCode, Code: code, Message: trimMsg(msg)}
	if e.Message == "" && !ok {
		e.Message = trimMsg(strings.TrimSpace(string(body)))
		if e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	return nil, e
}

func trimMsg(s string) string {
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

// parseRetryAfter reads delta-seconds or an HTTP date; 0 when absent or bad.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n >= 0 {
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// decodeEnvelope accepts the three reply shapes: {"code":N,"message":..,
// "data":..}, {"success":bool,"data":..,"error":..} and a bare object. It
// returns the data, the code, a message, and whether the reply says it
// failed. A body that is not JSON gives failed=false and nil data.
func decodeEnvelope(body []byte) (data json.RawMessage, code int, msg string, failed bool) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, 0, "", false
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, 0, "", false
	}
	msg = firstString(env, "message", "msg", "detail", "error", "errorMessage", "error_message")
	if raw, ok := env["code"]; ok {
		code = parseCode(raw)
		if code != CodeOK {
			return env["data"], code, msg, true
		}
		if d, ok := env["data"]; ok {
			return d, 0, msg, false
		}
		return json.RawMessage(body), 0, msg, false
	}
	if raw, ok := env["success"]; ok {
		var s bool
		_ = json.Unmarshal(raw, &s)
		if !s {
			if c, ok := env["error_code"]; ok {
				code = parseCode(c)
			} else if c, ok := env["errorCode"]; ok {
				code = parseCode(c)
			}
			if msg == "" {
				msg = "request failed"
			}
			return env["data"], code, msg, true
		}
		if d, ok := env["data"]; ok {
			return d, 0, "", false
		}
		return json.RawMessage(body), 0, "", false
	}
	if _, ok := env["error"]; ok && msg != "" {
		if _, isStatus := env["status"]; !isStatus { // {"status":"failed","error":..} is a render status
			return nil, 0, msg, true
		}
	}
	return json.RawMessage(body), 0, msg, false
}

// parseCode reads a code given as a number or a numeric string.
func parseCode(raw json.RawMessage) int {
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		if i, err := strconv.ParseFloat(string(n), 64); err == nil {
			return int(i)
		}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if i, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			return i
		}
		if s != "" {
			return -1 // a non-numeric error code: failure, code unknown
		}
	}
	return 0
}

// firstString returns the first key holding a string, or an object with
// a "message" string.
func firstString(m map[string]json.RawMessage, keys ...string) string {
	for _, k := range keys {
		raw, ok := m[k]
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) == nil && s != "" {
			return s
		}
		var o struct {
			Message string `json:"message"`
			Msg     string `json:"msg"`
		}
		if json.Unmarshal(raw, &o) == nil {
			if o.Message != "" {
				return o.Message
			}
			if o.Msg != "" {
				return o.Msg
			}
		}
	}
	return ""
}
