package nemotest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

type raw struct {
	t   *testing.T
	s   *Server
	tok string
}

func (r *raw) do(method, path, body string, hdr ...string) (int, map[string]any, http.Header) {
	r.t.Helper()
	req, _ := http.NewRequest(method, r.s.URL+path, strings.NewReader(body))
	req.Header.Set("X-Skill-Source", "audio-editor-free")
	req.Header.Set("X-Skill-Version", "1")
	req.Header.Set("X-Skill-Platform", "unknown")
	req.Header.Set("Content-Type", "application/json")
	if r.tok != "" {
		req.Header.Set("Authorization", "Bearer "+r.tok)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m, resp.Header
}

func TestFakeRules(t *testing.T) {
	s := New(t)
	s.SetRetryAfter("7")
	r := &raw{t: t, s: s}
	if st, _, _ := r.do("POST", "/api/auth/anonymous-token", "", "X-Skill-Platform", ""); st != 402 {
		t.Fatalf("missing header: %d", st)
	}
	if st, _, _ := r.do("POST", "/api/auth/anonymous-token", ""); st != 400 {
		t.Fatalf("missing client id: %d", st)
	}
	st, m, _ := r.do("POST", "/api/auth/anonymous-token", "", "X-Client-Id", "c1")
	data, _ := m["data"].(map[string]any)
	if st != 200 || !strings.HasPrefix(data["token"].(string), "nmv_usr_") {
		t.Fatalf("token: %d %v", st, m)
	}
	if st, _, h := r.do("POST", "/api/auth/anonymous-token", "", "X-Client-Id", "c1"); st != 429 || h.Get("Retry-After") != "7" {
		t.Fatalf("second token: %d %v", st, h)
	}
	if st, _, _ := r.do("GET", "/api/credits/balance/simple", ""); st != 401 {
		t.Fatalf("no bearer: %d", st)
	}
	r.tok = data["token"].(string)
	if st, m, _ := r.do("GET", "/api/credits/balance/simple", ""); st != 200 || m["code"].(float64) != 0 {
		t.Fatalf("credits: %d %v", st, m)
	}
	s.ExpireTokens()
	if _, m, _ := r.do("GET", "/api/credits/balance/simple", ""); m["code"].(float64) != 1001 {
		t.Fatalf("expired: %v", m)
	}
	_, m, _ = r.do("POST", "/api/auth/anonymous-token", "", "X-Client-Id", "c1")
	r.tok = m["data"].(map[string]any)["token"].(string)
	_, m, _ = r.do("POST", "/api/tasks/me/with-session/nemo_agent", `{"task_name":"project","language":"en"}`)
	sid := m["data"].(map[string]any)["session_id"].(string)
	s.LoseSession(sid)
	if _, m, _ := r.do("GET", "/api/state/nemo_agent/me/"+sid+"/latest", ""); m["code"].(float64) != 1002 {
		t.Fatalf("lost REST: %v", m)
	}
	body := `{"app_name":"nemo_agent","user_id":"me","session_id":"` + sid + `","new_message":{"parts":[{"text":"hi"}]}}`
	if st, m, _ := r.do("POST", "/run_sse", body, "Accept", "text/event-stream"); st != 404 || m["detail"] != "Session not found" {
		t.Fatalf("lost SSE: %d %v", st, m)
	}
	// Renders: pending -> processing -> completed, in the bare shape.
	s.SetRenderShape(RenderShapeBare)
	st, started, _ := r.do("POST", "/api/render/proxy/lambda", `{"id":"r1","sessionId":"`+sid+`","draft":{"t":[]},"output":{"format":"mp4","quality":"high"}}`)
	rdata, _ := started["data"].(map[string]any)
	rid, _ := rdata["render_id"].(string)
	if st != 200 || !strings.HasPrefix(rid, "rnd_") {
		t.Fatalf("render start %d %v: want the service's render_id", st, started)
	}
	if st, _, _ := r.do("POST", "/api/render/proxy/lambda", `{"id":"r1","sessionId":"`+sid+`","draft":{}}`); st != 409 {
		t.Fatalf("duplicate render id: %d", st)
	}
	var got []string
	for i := 0; i < 3; i++ {
		_, m, _ := r.do("GET", "/api/render/proxy/lambda/"+rid, "")
		got = append(got, m["status"].(string))
	}
	if strings.Join(got, ",") != "pending,processing,completed" {
		t.Fatalf("statuses %v", got)
	}
	if st, _, _ := r.do("GET", "/api/render/proxy/"+rid+"/download", ""); st != 200 {
		t.Fatalf("download %d", st)
	}
	if n := s.Count("GET", "/api/render/proxy/lambda/"); n != 3 {
		t.Fatalf("Count = %d", n)
	}
}
