package nemo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// condenseStream is a realistic stream: per turn a thought, a function
// call and response, keep-alives, 8 partial chunks and the whole text.
func condenseStream(turns int) ([]byte, int) {
	var b bytes.Buffer
	n := 0
	ev := func(v any) {
		j, _ := json.Marshal(v)
		b.WriteString("data: ")
		b.Write(j)
		b.WriteString("\n\n")
		n++
	}
	for i := 0; i < turns; i++ {
		ev(map[string]any{"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": "planning", "thought": true}}}, "id": fmt.Sprint("t", i)})
		ev(map[string]any{"content": map[string]any{"role": "model", "parts": []any{map[string]any{"functionCall": map[string]any{"id": "af", "name": "edit_multitrack", "args": map[string]any{"op": "denoise", "track": 1}}}}}, "id": fmt.Sprint("c", i), "author": "nemo_agent", "invocationId": "e-1", "timestamp": 1743712255.31})
		ev(map[string]any{"content": map[string]any{"role": "user", "parts": []any{map[string]any{"functionResponse": map[string]any{"id": "af", "name": "edit_multitrack", "response": map[string]any{"ok": true}}}}}, "id": fmt.Sprint("r", i)})
		b.WriteString(": keep-alive\n\n")
		b.WriteString("data:\n\n")
		n += 2
		ev(map[string]any{"type": "heartbeat"})
		for k := 0; k < 8; k++ {
			ev(map[string]any{"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": "chunk of text "}}}, "partial": true, "id": fmt.Sprint("p", i, k)})
		}
		ev(map[string]any{"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": "Done: background noise removed and silence trimmed."}}}, "id": fmt.Sprint("w", i), "author": "nemo_agent"})
	}
	return b.Bytes(), n
}

// BenchmarkCondense reads and condenses a stream; target >= 100k events/s.
func BenchmarkCondense(b *testing.B) {
	data, n := condenseStream(100)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := newSSEReader(bytes.NewReader(data))
		var c Condenser
		for {
			f, err := r.Next()
			if err != nil {
				break
			}
			c.Feed(f)
		}
		if c.ToolCalls() != 100 {
			b.Fatal(c.ToolCalls())
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkRoundTrip compares one raw HTTP exchange with the fake
// (GET credits, headers set by hand) with the same call through Backend.
func BenchmarkRoundTrip(b *testing.B) {
	e := newEnv(b)
	ctx := ctxT(b)
	if _, err := e.b.Credits(ctx); err != nil { // gets a token
		b.Fatal(err)
	}
	tok := e.fake.Tokens()[0]
	b.Run("raw", func(b *testing.B) {
		hc := &http.Client{}
		for i := 0; i < b.N; i++ {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.fake.URL+"/api/credits/balance/simple", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("X-Skill-Source", "audio-editor-free")
			req.Header.Set("X-Skill-Version", "1")
			req.Header.Set("X-Skill-Platform", "unknown")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			var v struct {
				Data Balance `json:"data"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&v)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("backend", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := e.b.Credits(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}
