package nemo

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readAll(t testing.TB, in string) []Frame {
	r := newSSEReader(strings.NewReader(in))
	var out []Frame
	for {
		f, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, f)
	}
}

func TestSSEReader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []Frame
	}{
		{"lf", "data: a\n\ndata: b\n\n", []Frame{{Data: []byte("a")}, {Data: []byte("b")}}},
		{"crlf", "data: a\r\n\r\n", []Frame{{Data: []byte("a")}}},
		{"cr", "data: a\r\rdata: b\r\r", []Frame{{Data: []byte("a")}, {Data: []byte("b")}}},
		{"multi data lines", "data: a\ndata: b\n\n", []Frame{{Data: []byte("a\nb")}}},
		{"no space", "data:a\n\n", []Frame{{Data: []byte("a")}}},
		{"comment", ": ping\n\ndata: x\n\n", []Frame{{Comment: true}, {Data: []byte("x")}}},
		{"empty data", "data:\n\n", []Frame{{Data: []byte{}}}},
		{"event and id", "event: error\nid: 7\ndata: boom\n\n", []Frame{{Event: "error", ID: "7", Data: []byte("boom")}}},
		{"eof without blank line", "data: last", []Frame{{Data: []byte("last")}}},
		{"blank lines only", "\n\n\n", nil},
		{"unknown field ignored", "retry: 10\nfoo\ndata: a\n\n", []Frame{{Data: []byte("a")}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readAll(t, tt.in)
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b []byte) bool { return string(a) == string(b) })); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func adkText(id, text string, partial bool) string {
	ev := map[string]any{"content": map[string]any{"role": "model", "parts": []any{map[string]any{"text": text}}}, "id": id, "author": "nemo_agent"}
	if partial {
		ev["partial"] = true
	}
	b, _ := json.Marshal(ev)
	return "data: " + string(b) + "\n\n"
}

func TestCondenser(t *testing.T) {
	t.Parallel()
	call := `data: {"content":{"parts":[{"functionCall":{"id":"af-1","name":"edit_multitrack","args":{}}}],"role":"model"},"id":"c1"}` + "\n\n"
	result := `data: {"content":{"parts":[{"functionResponse":{"id":"af-1","name":"edit_multitrack","response":{}}}],"role":"user"},"id":"c2"}` + "\n\n"
	tests := []struct {
		name       string
		in         string
		wantText   string
		wantCalls  int
		wantErr    string
		wantCode   int
		keepAlives int
	}{
		{name: "adk text", in: call + result + adkText("t1", "Done: noise removed.", false), wantText: "Done: noise removed.", wantCalls: 1},
		{name: "partials then whole", in: adkText("p1", "Hel", true) + adkText("p2", "lo", true) + adkText("w", "Hello", false), wantText: "Hello"},
		{name: "partials only", in: adkText("p1", "Hel", true) + adkText("p2", "lo", true), wantText: "Hello"},
		{name: "two messages", in: adkText("a", "One.", false) + adkText("b", "Two.", false), wantText: "One.\n\nTwo."},
		{name: "duplicate id", in: adkText("a", "One.", false) + adkText("a", "One.", false), wantText: "One."},
		{name: "thought dropped", in: `data: {"content":{"parts":[{"text":"thinking...","thought":true},{"text":"Answer"}],"role":"model"}}` + "\n\n", wantText: "Answer"},
		{name: "heartbeats", in: ": ka\n\ndata:\n\n" + `data: {"type":"heartbeat"}` + "\n\n" + "data: {}\n\n", keepAlives: 4},
		{name: "error field", in: adkText("a", "Working", false) + `data: {"error":"model overloaded"}` + "\n\n", wantText: "Working", wantErr: "model overloaded"},
		{name: "error object", in: `data: {"error":{"message":"bad","code":2001}}` + "\n\n", wantErr: "bad", wantCode: 2001},
		{name: "event error", in: "event: error\ndata: upstream timeout\n\n", wantErr: "upstream timeout"},
		{name: "event error json", in: "event: error\ndata: {\"message\":\"x\"}\n\n", wantErr: "x"},
		{name: "errorCode fields", in: `data: {"errorCode":"2001","errorMessage":"Insufficient credits"}` + "\n\n", wantErr: "Insufficient credits", wantCode: 2001},
		{name: "tagged", in: `data: {"type":"tool_call","name":"x"}` + "\n\n" + `data: {"type":"tool_result"}` + "\n\n" + `data: {"type":"text","content":"Tagged reply"}` + "\n\n", wantText: "Tagged reply", wantCalls: 1},
		{name: "tagged error", in: `data: {"type":"error","message":"nope"}` + "\n\n", wantErr: "nope"},
		{name: "trailing temp issue", in: adkText("a", "Added BGM.", false) + adkText("b", "I encountered a temporary issue. Please retry.", false), wantText: "Added BGM."},
		{name: "temp issue alone kept", in: adkText("b", "I encountered a temporary issue.", false), wantText: "I encountered a temporary issue."},
		{name: "user role text ignored", in: `data: {"content":{"parts":[{"text":"echo"}],"role":"user"}}` + "\n\n", wantText: ""},
		{name: "not json ignored", in: "data: hello\n\n", keepAlives: 1},
		{name: "finish STOP after text", in: adkText("a", "Noise removed.", false) + `data: {"errorCode":"STOP"}` + "\n\n", wantText: "Noise removed."},
		{name: "finish MAX_TOKENS after text", in: adkText("a", "Noise removed.", false) + `data: {"errorCode":"MAX_TOKENS","errorMessage":"max tokens"}` + "\n\n", wantText: "Noise removed."},
		{name: "finish FINISH_REASON_STOP snake", in: adkText("a", "Done.", false) + `data: {"error_code":"FINISH_REASON_STOP"}` + "\n\n", wantText: "Done."},
		{name: "finish STOP alone", in: `data: {"errorCode":"STOP"}` + "\n\n", wantText: ""},
		{name: "other word after text", in: adkText("a", "Done.", false) + `data: {"errorCode":"UNKNOWN_ERROR","errorMessage":"x"}` + "\n\n", wantText: "Done."},
		{name: "word before text", in: `data: {"errorCode":"UNKNOWN_ERROR","errorMessage":"agent crashed"}` + "\n\n", wantErr: "agent crashed", wantCode: -1},
		{name: "number after text", in: adkText("a", "Done.", false) + `data: {"errorCode":500,"errorMessage":"node down"}` + "\n\n", wantText: "Done.", wantErr: "node down", wantCode: 500},
		{name: "snake case call", in: `data: {"content":{"parts":[{"function_call":{"name":"x"}}],"role":"model"}}` + "\n\n", wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Condenser
			ka := 0
			for _, f := range readAll(t, tt.in) {
				if c.Feed(f) {
					ka++
				}
			}
			if got := c.Text(); got != tt.wantText {
				t.Errorf("Text = %q, want %q", got, tt.wantText)
			}
			if c.ToolCalls() != tt.wantCalls {
				t.Errorf("ToolCalls = %d, want %d", c.ToolCalls(), tt.wantCalls)
			}
			gotErr, gotCode := "", 0
			if e := c.Err(); e != nil {
				gotErr, gotCode = e.Message, e.Code
			}
			if gotErr != tt.wantErr || gotCode != tt.wantCode {
				t.Errorf("Err = %q/%d, want %q/%d", gotErr, gotCode, tt.wantErr, tt.wantCode)
			}
			if tt.keepAlives != 0 && ka != tt.keepAlives {
				t.Errorf("keep-alives = %d, want %d", ka, tt.keepAlives)
			}
		})
	}
}

func TestTranslateGUI(t *testing.T) {
	t.Parallel()
	const sum = "Timeline (1 track): 1. Video: a.mp4 (0-30s)"
	tests := []struct{ name, in, want string }{
		{"content kept", "Background noise removed and silence trimmed.", "Background noise removed and silence trimmed."},
		{"export button", "Noise removed. Click the Export button to download.", "Noise removed. To get the file, ask to export (the export tool renders and downloads it)."},
		{"zh export", "已完成。请点击导出。", "已完成。To get the file, ask to export (the export tool renders and downloads it)."},
		{"open panel", "Open the audio panel to see it.", "Current timeline: " + sum},
		{"preview", "You can preview it in the timeline.", "Current timeline: " + sum},
		{"drag", "Drag the clip to 5s.", `To move or place something, describe it in an edit (for example "move the title to 5s").`},
		{"billing", "Please check your account billing page.", "The credits tool shows your balance."},
		{"click generic", "Click Apply to confirm.", `Say what to do in an edit and it is done through the API (for example "apply it").`},
		{"dedupe", "Click Export. Then click the Export button again.", "To get the file, ask to export (the export tool renders and downloads it)."},
		{"opening credits is content", "Added opening credits.", "Added opening credits."},
		// Issue 12, item 6: clicks are audio defects too; Chinese clauses;
		// more GUI phrases.
		{"de-click is content", "Applied de-click to the voice track.", "Applied de-click to the voice track."},
		{"a click is content", "Removed the click at 0:03 and two more clicks.", "Removed the click at 0:03 and two more clicks."},
		{"zh clause kept", "已去除背景噪音，点击导出即可下载。", "已去除背景噪音，To get the file, ask to export (the export tool renders and downloads it)."},
		{"zh click clause", "音量已调整，请点击应用。", `音量已调整，Say what to do in an edit and it is done through the API (for example "apply it").`},
		{"dashboard", "Go to the dashboard to see your projects.", "Current timeline: " + sum},
		{"player", "You can preview it in the player.", "Current timeline: " + sum},
		{"press key", "Select the clip and press Delete.", `Say what to do in an edit and it is done through the API (for example "apply it").`},
		{"click after a comma", "To confirm, click Apply.", `Say what to do in an edit and it is done through the API (for example "apply it").`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TranslateGUI(tt.in, sum); got != tt.want {
				t.Errorf("TranslateGUI(%q) =\n %q\nwant\n %q", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzSSE(f *testing.F) {
	f.Add("data: {\"content\":{\"parts\":[{\"text\":\"hi\"}]}}\n\n", "Hello world", uint8(3))
	f.Add(": x\r\ndata:\r\n\r\nevent: error\ndata: e\n\n", "你好世界", uint8(1))
	f.Add("data: {\"type\":\"text\",\"content\":\"a\"}\r\r", "", uint8(0))
	f.Fuzz(func(t *testing.T, raw, msg string, chunks uint8) {
		// 1. Arbitrary bytes: never panics.
		r := newSSEReader(strings.NewReader(raw))
		var c Condenser
		for i := 0; i < 10000; i++ {
			fr, err := r.Next()
			if err != nil {
				break
			}
			c.Feed(fr)
		}
		_ = c.Text()
		_ = TranslateGUI(c.Text(), "s")
		// 2. A message streamed as partial chunks then whole: no doubling.
		msg = strings.TrimSpace(strings.ToValidUTF8(msg, ""))
		if msg == "" || strings.Contains(strings.ToLower(msg), tempIssue) {
			return
		}
		n := int(chunks%8) + 1
		rs := []rune(msg)
		var b strings.Builder
		step := (len(rs) + n - 1) / n
		for i := 0; i < len(rs); i += step {
			b.WriteString(adkText(fmt.Sprint("p", i), string(rs[i:min(i+step, len(rs))]), true))
		}
		b.WriteString(adkText("w1", msg, false))
		b.WriteString(": ka\n\n")
		b.WriteString(adkText("w1", msg, false)) // replayed event
		var c2 Condenser
		for _, fr := range readAll(t, b.String()) {
			c2.Feed(fr)
		}
		if got := c2.Text(); got != msg {
			t.Fatalf("Text = %q, want %q", got, msg)
		}
	})
}
