package nemo

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func resp(status int, body string, hdr ...string) *http.Response {
	rec := httptest.NewRecorder()
	for i := 0; i+1 < len(hdr); i += 2 {
		rec.Header().Set(hdr[i], hdr[i+1])
	}
	rec.WriteHeader(status)
	_, _ = io.WriteString(rec, body)
	r := rec.Result()
	r.Request = httptest.NewRequest(http.MethodGet, "/base/api/x", nil)
	return r
}

func TestCheckResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		status   int
		body     string
		hdr      []string
		wantData string
		wantErr  error
		wantCode int
	}{
		{name: "code envelope", status: 200, body: `{"code":0,"message":"ok","data":{"a":1}}`, wantData: `{"a":1}`},
		{name: "success envelope", status: 200, body: `{"success":true,"data":{"a":1}}`, wantData: `{"a":1}`},
		{name: "bare object", status: 200, body: `{"a":1}`, wantData: `{"a":1}`},
		{name: "code without data", status: 200, body: `{"code":0,"token":"x"}`, wantData: `{"code":0,"token":"x"}`},
		{name: "string code zero", status: 200, body: `{"code":"0","data":{"a":1}}`, wantData: `{"a":1}`},
		{name: "render status bare with error is data", status: 200, body: `{"status":"failed","error":"boom"}`, wantData: `{"status":"failed","error":"boom"}`},
		{name: "1001 with 200", status: 200, body: `{"code":1001,"message":"token invalid"}`, wantErr: ErrTokenExpired, wantCode: 1001},
		{name: "1010", status: 200, body: `{"code":1010,"message":"expired"}`, wantErr: ErrTokenExpired, wantCode: 1010},
		{name: "1011", status: 200, body: `{"code":1011,"message":"revoked"}`, wantErr: ErrTokenExpired, wantCode: 1011},
		{name: "http 401", status: 401, body: `{"detail":"Not authenticated"}`, wantErr: ErrTokenExpired},
		{name: "1002", status: 200, body: `{"code":1002,"message":"Session not found"}`, wantErr: ErrSessionNotFound, wantCode: 1002},
		{name: "404 detail", status: 404, body: `{"detail":"Session not found"}`, wantErr: ErrSessionNotFound},
		{name: "2001", status: 200, body: `{"code":2001,"message":"Insufficient credits"}`, wantErr: ErrNoCredits, wantCode: 2001},
		{name: "2001 as string in success shape", status: 200, body: `{"success":false,"error":"no credits","error_code":"2001"}`, wantErr: ErrNoCredits, wantCode: 2001},
		{name: "4001", status: 200, body: `{"code":4001,"message":"Unsupported"}`, wantErr: ErrUnsupportedFile, wantCode: 4001},
		{name: "4002", status: 200, body: `{"code":4002,"message":"Too large"}`, wantErr: ErrFileTooLarge, wantCode: 4002},
		{name: "413", status: 413, body: `too big`, wantErr: ErrFileTooLarge},
		{name: "400 client id", status: 400, body: `{"detail":"Missing X-Client-Id header"}`, wantErr: ErrMissingClientID},
		{name: "402", status: 402, body: `{"detail":"plan"}`, wantErr: ErrPlanBlocked},
		{name: "429", status: 429, body: `{"detail":"slow down"}`, hdr: []string{"Retry-After", "3"}, wantErr: ErrRateLimited},
		{name: "500 text", status: 500, body: `oops`},
		{name: "success false", status: 200, body: `{"success":false,"error":{"message":"bad"}}`},
		{name: "bare error", status: 200, body: `{"error":"bad"}`},
		{name: "non-2xx with code in body", status: 403, body: `{"code":2001,"message":"no credits"}`, wantErr: ErrNoCredits, wantCode: 2001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			data, err := checkResponse(resp(tt.status, tt.body, tt.hdr...))
			failing := tt.wantErr != nil || tt.wantData == ""
			if !failing {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if string(data) != tt.wantData {
					t.Fatalf("data = %s, want %s", data, tt.wantData)
				}
				return
			}
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("err = %v, want Is %v", err, tt.wantErr)
			}
			if ae.Code != tt.wantCode || ae.Status != tt.status {
				t.Errorf("code, status = %d, %d; want %d, %d", ae.Code, ae.Status, tt.wantCode, tt.status)
			}
			if ae.Message == "" {
				t.Error("empty message")
			}
			if tt.status == 429 && ae.RetryAfter != 3*time.Second {
				t.Errorf("RetryAfter = %v", ae.RetryAfter)
			}
		})
	}
}

func TestAPIErrorIsExclusive(t *testing.T) {
	t.Parallel()
	sentinels := []error{ErrTokenExpired, ErrSessionNotFound, ErrNoCredits, ErrUnsupportedFile, ErrFileTooLarge, ErrPlanBlocked, ErrRateLimited, ErrMissingClientID}
	cases := map[*APIError]error{
		{Status: 200, Code: 1001}:                                  ErrTokenExpired,
		{Status: 200, Code: 1002}:                                  ErrSessionNotFound,
		{Status: 200, Code: 2001}:                                  ErrNoCredits,
		{Status: 200, Code: 4001}:                                  ErrUnsupportedFile,
		{Status: 200, Code: 4002}:                                  ErrFileTooLarge,
		{Status: 402}:                                              ErrPlanBlocked,
		{Status: 429}:                                              ErrRateLimited,
		{Status: 400, Message: "Missing X-Client-Id"}:              ErrMissingClientID,
		{Status: 404, Message: "Not found"}:                        nil,
		{Status: 500, Code: 9999, Message: "Session not found ok"}: nil,
	}
	for e, want := range cases {
		for _, s := range sentinels {
			if got := errors.Is(e, s); got != (s == want) {
				t.Errorf("errors.Is(%v, %v) = %v", e, s, got)
			}
		}
	}
}

func TestAPIErrorMessageCapped(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 3<<20)
	_, err := checkResponse(resp(500, big))
	if err == nil || len(err.Error()) > 400 {
		t.Fatalf("error too long or nil: %d", len(err.Error()))
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"5", 5 * time.Second}, {"0.5", 500 * time.Millisecond}, {"-1", 0}, {"junk", 0},
		{now.Add(10 * time.Second).Format(http.TimeFormat), 10 * time.Second},
		{now.Add(-10 * time.Second).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseRender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want RenderStatus
	}{
		{"success data outputUrl", `{"success":true,"data":{"id":"r1","status":"completed","progress":100,"outputUrl":"https://x/o.mp4"}}`,
			RenderStatus{ID: "r1", Status: "completed", Progress: 100, URL: "https://x/o.mp4"}},
		{"bare output object", `{"status":"completed","output":{"url":"https://x/o.mp4","duration":12.5,"size":99}}`,
			RenderStatus{ID: "r0", Status: "completed", Progress: 100, URL: "https://x/o.mp4", Duration: 12.5, Size: 99}},
		{"code data output", `{"code":0,"data":{"status":"completed","output":{"url":"https://x/o.mp4"}}}`,
			RenderStatus{ID: "r0", Status: "completed", Progress: 100, URL: "https://x/o.mp4"}},
		{"data already unwrapped", `{"status":"processing","progress":40}`, RenderStatus{ID: "r0", Status: "processing", Progress: 40}},
		{"pending", `{"status":"pending"}`, RenderStatus{ID: "r0", Status: "pending"}},
		{"failed with error", `{"status":"failed","error":"boom"}`, RenderStatus{ID: "r0", Status: "failed", Error: "boom"}},
		{"failed with error object", `{"status":"error","error":{"message":"boom"}}`, RenderStatus{ID: "r0", Status: "failed", Error: "boom"}},
		{"output string", `{"status":"done","output":"https://x/o.mp4"}`, RenderStatus{ID: "r0", Status: "completed", Progress: 100, URL: "https://x/o.mp4"}},
		{"snake url", `{"status":"completed","output_url":"https://x/o.mp4"}`, RenderStatus{ID: "r0", Status: "completed", Progress: 100, URL: "https://x/o.mp4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, _, _, failed := decodeEnvelope([]byte(tt.in))
			if failed {
				t.Fatal("envelope failed")
			}
			got, err := parseRender("r0", data)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzEnvelope(f *testing.F) {
	for _, s := range []string{`{"code":0,"data":{}}`, `{"success":false,"error":{"message":"x"}}`, `{"code":"2001"}`, `{}`, `[]`, `{"code":1e400}`, `{"error":null}`, `{"status":"failed","error":3}`} {
		f.Add(s, 200)
	}
	f.Fuzz(func(t *testing.T, body string, status int) {
		if status < 100 || status > 599 {
			status = 200
		}
		data, err := checkResponse(resp(status, body))
		if err == nil {
			if status/100 != 2 {
				t.Fatalf("status %d accepted", status)
			}
			if data != nil && !json.Valid(data) {
				t.Fatalf("invalid data %q", data)
			}
			_, _ = parseRender("r", data)
			return
		}
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != status {
			t.Fatalf("err %v", err)
		}
		_ = ae.Error()
	})
}
