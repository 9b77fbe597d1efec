package nemotest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

type indexKey struct{}

func withIndex(ctx context.Context, i int) context.Context {
	return context.WithValue(ctx, indexKey{}, i)
}

func indexFrom(ctx context.Context) (int, bool) {
	i, ok := ctx.Value(indexKey{}).(int)
	return i, ok
}

// Event is one step of a scripted reply.
type Event struct {
	// Raw is written to the stream as is (SSE-framed, "data: ...\n\n").
	Raw string
	// Delay is waited before the step.
	Delay time.Duration
	// Draft, when set, replaces the session's draft at this step.
	Draft json.RawMessage
	// GeneratedMedia, when set, replaces the session's generated_media.
	GeneratedMedia json.RawMessage
	// VideoInfo, when set, is appended to the session's video_infos.
	VideoInfo json.RawMessage
	// Disconnect cuts the connection at this step (no clean close).
	Disconnect bool
}

// Reply is a scripted answer to one message: its events in order, then
// the stream closes (unless a step disconnects).
type Reply struct {
	Events []Event
	// Status, when non-zero, answers with this HTTP status and Body
	// instead of a stream (the message is not charged).
	Status int
	Body   string
}

// NewReply builds a reply from Events and []Event values.
func NewReply(steps ...any) Reply {
	var r Reply
	for _, s := range steps {
		switch v := s.(type) {
		case Event:
			r.Events = append(r.Events, v)
		case []Event:
			r.Events = append(r.Events, v...)
		default:
			panic(fmt.Sprintf("nemotest.NewReply: %T is not an Event", s))
		}
	}
	return r
}

var evSeq atomic.Int64

func adk(role string, parts []map[string]any, partial bool) string {
	ev := map[string]any{"content": map[string]any{"parts": parts, "role": role}, "invocationId": "e-fake",
		"author": "nemo_agent", "id": fmt.Sprintf("ev%06d", evSeq.Add(1)), "timestamp": 1743712255.31}
	if partial {
		ev["partial"] = true
	}
	b, _ := json.Marshal(ev)
	return "data: " + string(b) + "\n\n"
}

// Data wraps a JSON (or any) payload as one "data:" event.
func Data(payload string) Event { return Event{Raw: "data: " + payload + "\n\n"} }

// Text is a whole model text event.
func Text(s string) Event {
	return Event{Raw: adk("model", []map[string]any{{"text": s}}, false)}
}

// Partial splits s into n partial chunks followed by the whole event, as
// ADK streams it.
func Partial(s string, n int) []Event {
	var out []Event
	rs := []rune(s)
	if n < 1 {
		n = 1
	}
	step := (len(rs) + n - 1) / n
	for i := 0; i < len(rs); i += max(step, 1) {
		j := min(i+max(step, 1), len(rs))
		out = append(out, Event{Raw: adk("model", []map[string]any{{"text": string(rs[i:j])}}, true)})
	}
	return append(out, Text(s))
}

// Thought is an internal thought part (clients drop it).
func Thought(s string) Event {
	return Event{Raw: adk("model", []map[string]any{{"text": s, "thought": true}}, false)}
}

// Call is a function call event.
func Call(name string) Event {
	return Event{Raw: adk("model", []map[string]any{{"functionCall": map[string]any{"id": "af-" + name, "name": name, "args": map[string]any{"x": 1}}}}, false)}
}

// Response is a function response event.
func Response(name string) Event {
	return Event{Raw: adk("user", []map[string]any{{"functionResponse": map[string]any{"id": "af-" + name, "name": name, "response": map[string]any{"ok": true}}}}, false)}
}

// Heartbeat is the tagged heartbeat.
func Heartbeat() Event { return Event{Raw: "data: {\"type\":\"heartbeat\"}\n\n"} }

// EmptyData is an empty "data:" keep-alive.
func EmptyData() Event { return Event{Raw: "data:\n\n"} }

// Comment is a ":" comment keep-alive.
func Comment() Event { return Event{Raw: ": keep-alive\n\n"} }

// ErrorEvent is {"error":msg}.
func ErrorEvent(msg string) Event { return Data(ErrorJSON(msg)) }

// ErrorLine is an "event: error" event with msg as its data.
func ErrorLine(msg string) Event { return Event{Raw: "event: error\ndata: " + msg + "\n\n"} }

// ErrorCode is {"errorCode":code,"errorMessage":msg}.
func ErrorCode(code, msg string) Event {
	b, _ := json.Marshal(map[string]string{"errorCode": code, "errorMessage": msg})
	return Data(string(b))
}

// FinishReason is the event ADK sends after the final text with the
// model's finish reason copied into errorCode ("STOP", "MAX_TOKENS",
// "FINISH_REASON_..."), and no content: google/adk-python#2905, and the
// audit notes in docs/nemo-protocol.md ("Finish reasons are not
// errors"). Skill v1.9 (SKILL.md section 3.1) says to ignore trailing
// noise after a normal reply.
func FinishReason(code string) Event {
	b, _ := json.Marshal(map[string]any{"errorCode": code, "invocationId": "e-fake", "author": "nemo_agent",
		"id": fmt.Sprintf("ev%06d", evSeq.Add(1)), "timestamp": 1743712255.31})
	return Data(string(b))
}

// Tagged is the older tagged shape {"type":typ,"content":content}.
func Tagged(typ, content string) Event {
	b, _ := json.Marshal(map[string]string{"type": typ, "content": content})
	return Data(string(b))
}

// SetDraft replaces the session's draft at this step.
func SetDraft(raw string) Event { return Event{Draft: json.RawMessage(raw)} }

// SetGeneratedMedia replaces the session's generated_media at this step,
// leaving the draft alone: a generation (music, voice-over) lands there
// before, or without, a change to the timeline (SKILL.md v1.9 section
// 3.4 lists data.state.generated_media among the state's key fields).
func SetGeneratedMedia(raw string) Event { return Event{GeneratedMedia: json.RawMessage(raw)} }

// AddVideoInfo appends one item to the session's video_infos at this
// step, leaving the draft alone (SKILL.md v1.9 section 3.6 counts new
// video_infos to tell whether a silent edit did something).
func AddVideoInfo(raw string) Event { return Event{VideoInfo: json.RawMessage(raw)} }

// Disconnect cuts the connection.
func Disconnect() Event { return Event{Disconnect: true} }

// Sleep waits d.
func Sleep(d time.Duration) Event { return Event{Delay: d} }

func (s *Server) handleRun(w http.ResponseWriter, r *http.Request, u *user) {
	var body struct {
		AppName    string `json:"app_name"`
		UserID     string `json:"user_id"`
		SessionID  string `json:"session_id"`
		NewMessage struct {
			Parts []struct {
				Text string `json:"text"`
			} `json:"parts"`
		} `json:"new_message"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.AppName != "nemo_agent" || body.UserID != "me" ||
		len(body.NewMessage.Parts) == 0 || body.NewMessage.Parts[0].Text == "" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": "bad run_sse body"})
		return
	}
	if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		writeJSON(w, http.StatusNotAcceptable, map[string]any{"detail": "Accept: text/event-stream required"})
		return
	}
	s.mu.Lock()
	ss := s.sessions[body.SessionID]
	if ss == nil || ss.lost {
		s.mu.Unlock()
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Session not found"})
		return
	}
	var rep Reply
	if len(s.replies) > 0 {
		rep, s.replies = s.replies[0], s.replies[1:]
	} else {
		rep = NewReply(Call("edit_multitrack"), Response("edit_multitrack"), Text("Done: "+body.NewMessage.Parts[0].Text))
	}
	if rep.Status != 0 {
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.Status)
		_, _ = io.WriteString(w, rep.Body)
		return
	}
	if u.available < s.messageCost {
		s.mu.Unlock()
		s.fail(w, http.StatusOK, 2001, "Insufficient credits")
		return
	}
	u.available -= s.messageCost
	s.runs[ss.id]++
	s.mu.Unlock()

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	if fl != nil {
		fl.Flush()
	}
	for _, ev := range rep.Events {
		if ev.Delay > 0 {
			select {
			case <-time.After(ev.Delay):
			case <-r.Context().Done():
				return
			}
		}
		if ev.Draft != nil || ev.GeneratedMedia != nil || ev.VideoInfo != nil {
			s.mu.Lock()
			if ev.Draft != nil {
				ss.draft = ev.Draft
			}
			if ev.GeneratedMedia != nil {
				ss.generated = ev.GeneratedMedia
			}
			if ev.VideoInfo != nil {
				var v any
				_ = json.Unmarshal(ev.VideoInfo, &v)
				ss.videoInfos = append(ss.videoInfos, v)
			}
			s.mu.Unlock()
		}
		if ev.Disconnect {
			panic(http.ErrAbortHandler) // closes the connection mid-stream
		}
		if ev.Raw != "" {
			if _, err := io.WriteString(w, ev.Raw); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
		}
	}
}
