package nemo

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/r3labs/sse/v2"
)

// Frame is one server-sent event as read off the wire.
type Frame struct {
	// Event is the "event:" field ("" for the default "message").
	Event string
	// Data is the "data:" lines joined with "\n".
	Data []byte
	// ID is the "id:" field.
	ID string
	// Comment marks a ":" comment line (a keep-alive); it has no data.
	Comment bool
}

// maxEvent caps one SSE event (an event with a whole draft can be large).
const maxEvent = 16 << 20

// sseReader reads frames from an event stream: r3labs/sse's
// EventStreamReader cuts the body into events (it splits at a blank
// line, LF, CRLF or CR, and hands over a last event that lacked its
// blank line at EOF), and the fields of each are read here. Each comment
// line is reported as a frame of its own (a keep-alive), before the
// event's other fields; an event whose only field was an empty "data:"
// is dispatched too, as a keep-alive. An event over maxEvent is an
// error (bufio.ErrTooLong).
//
// Only the reader is used, not r3labs' Client: the Client issues GET
// requests and reconnects on its own (a re-sent message would be charged
// twice), while the message is a POST that must never be repeated.
type sseReader struct {
	r       *sse.EventStreamReader
	pending []Frame
}

func newSSEReader(r io.Reader) *sseReader {
	return &sseReader{r: sse.NewEventStreamReader(r, maxEvent)}
}

// Next returns the next frame, io.EOF at a clean end, or the read error.
func (s *sseReader) Next() (Frame, error) {
	for len(s.pending) == 0 {
		block, err := s.r.ReadEvent()
		if err != nil {
			return Frame{}, err
		}
		s.parse(block)
	}
	f := s.pending[0]
	s.pending = s.pending[1:]
	return f, nil
}

// parse queues the frames of one event block.
func (s *sseReader) parse(block []byte) {
	var cur Frame
	hasData, hasAny := false, false
	for len(block) > 0 {
		line := block
		i := bytes.IndexAny(block, "\r\n")
		if i >= 0 {
			line, block = block[:i], block[i+1:]
		} else {
			block = nil
		}
		if len(line) == 0 {
			continue
		}
		if line[0] == ':' {
			s.pending = append(s.pending, Frame{Comment: true})
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "data":
			if hasData {
				cur.Data = append(cur.Data, '\n')
			}
			cur.Data = append(cur.Data, value...)
			hasData, hasAny = true, true
		case "event":
			cur.Event, hasAny = string(value), true
		case "id":
			cur.ID, hasAny = string(value), true
		}
	}
	if hasAny {
		if cur.Data == nil && hasData {
			cur.Data = []byte{}
		}
		s.pending = append(s.pending, cur)
	}
}

// wireEvent is one event as the agent sends it: ADK's shape (content
// with parts, camelCase), with the older tagged shape's fields. Fields
// that are only tested for presence or read as codes use small decoder
// types, so an event is decoded in one pass without copies.
type wireEvent struct {
	Content      wireContent `json:"content"`
	Partial      bool        `json:"partial"`
	ID           string      `json:"id"`
	Type         string      `json:"type"`
	Text         string      `json:"text"`
	Message      string      `json:"message"`
	Error        errField    `json:"error"`
	ErrorCode    codeField   `json:"errorCode"`
	ErrorCode2   codeField   `json:"error_code"`
	ErrorMessage string      `json:"errorMessage"`
	ErrorMsg2    string      `json:"error_message"`
}

type wireContent struct {
	Role  string     `json:"role"`
	Parts []wirePart `json:"parts"`
}

type wirePart struct {
	Text              *string `json:"text"`
	Thought           bool    `json:"thought"`
	FunctionCall      present `json:"functionCall"`
	FunctionCall2     present `json:"function_call"`
	FunctionResponse  present `json:"functionResponse"`
	FunctionResponse2 present `json:"function_response"`
}

// present records that a field was there and not null.
type present bool

// UnmarshalJSON implements json.Unmarshaler.
func (p *present) UnmarshalJSON(b []byte) error {
	*p = present(string(b) != "null")
	return nil
}

// codeField is a code sent as a number or a string: n is its number
// (-1 for a word), word the word ("STOP", "MAX_TOKENS").
type codeField struct {
	n    int
	word string
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *codeField) UnmarshalJSON(b []byte) error {
	c.n = parseCode(b)
	if c.n == -1 {
		_ = json.Unmarshal(b, &c.word)
	}
	return nil
}

// finishReason reports whether an errorCode word is one of the model's
// normal finish reasons, which ADK copies into errorCode on the event
// after the final text (google/adk-python#2905): STOP, MAX_TOKENS and
// Gemini's FINISH_REASON_* names.
func finishReason(word string) bool {
	w := strings.ToUpper(strings.TrimSpace(word))
	return w == "STOP" || w == "MAX_TOKENS" || strings.HasPrefix(w, "FINISH_REASON_")
}

// errField is an "error" sent as a string or an object with a message.
type errField struct {
	set  bool
	msg  string
	code int
}

// UnmarshalJSON implements json.Unmarshaler.
func (e *errField) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null", "false", `""`:
		return nil
	}
	e.set = true
	e.msg = firstString(map[string]json.RawMessage{"e": b}, "e")
	var o struct {
		Code json.RawMessage `json:"code"`
	}
	if len(b) > 0 && b[0] == '{' && json.Unmarshal(b, &o) == nil {
		e.code = parseCode(o.Code)
	}
	return nil
}

// StreamError is an error the agent reported inside the stream.
type StreamError struct {
	Code    int
	Message string
}

// Error implements error.
func (e *StreamError) Error() string {
	if e.Message == "" {
		return "the editing agent reported an error"
	}
	return e.Message
}

// Is matches ErrNoCredits for code 2001 (or a message about credits).
func (e *StreamError) Is(target error) bool {
	if target == ErrNoCredits {
		return e.Code == CodeNoCredits || strings.Contains(strings.ToLower(e.Message), "insufficient credit")
	}
	return false
}

// Condenser folds a message stream into one reply: the model's text
// parts in order (a partial chunk run is replaced by the whole event
// that follows it), thought parts dropped, tool calls counted, the first
// error kept. The zero value is ready to use.
type Condenser struct {
	texts     []string
	partial   strings.Builder
	seen      map[string]struct{}
	toolCalls int
	err       *StreamError
	events    int
	finish    string
}

// hasText reports whether the model has sent text (whole or partial).
func (c *Condenser) hasText() bool { return len(c.texts) > 0 || c.partial.Len() > 0 }

// Finish is the finish reason the stream ended with ("STOP"), if any.
func (c *Condenser) Finish() string { return c.finish }

// Feed takes one frame and reports whether it was only a keep-alive
// (comment, empty data, heartbeat).
func (c *Condenser) Feed(f Frame) (keepAlive bool) {
	if f.Comment {
		return true
	}
	data := bytes.TrimSpace(f.Data)
	if strings.EqualFold(f.Event, "error") {
		c.setErr(errorFromData(data))
		return false
	}
	if len(data) == 0 || string(data) == "{}" || string(data) == "null" {
		return true
	}
	if data[0] != '{' {
		return true // not JSON: nothing to keep
	}
	var ev wireEvent
	contentStr, hasStr := "", false
	if err := json.Unmarshal(data, &ev); err != nil {
		// The tagged shape's content is a string: decode it alone.
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) {
			return false
		}
		var alt struct {
			Content string `json:"content"`
		}
		if json.Unmarshal(data, &alt) != nil {
			return false
		}
		contentStr, hasStr = alt.Content, true
	}
	c.events++
	if msg, code, ok := ev.errorInfo(); ok {
		// A finish reason in errorCode ends the stream normally, and so
		// does any other worded errorCode after a final text (trailing
		// noise after a complete reply, which the skills say to ignore).
		// A numeric code, an "error" field, or a word before any text is
		// a real failure.
		if w := ev.codeWord(); w != "" && !ev.Error.set && (finishReason(w) || c.hasText()) {
			c.finish = w
			return false
		}
		c.setErr(&StreamError{Code: code, Message: msg})
		return false
	}
	if ev.Type != "" {
		return c.feedTagged(&ev, contentStr)
	}
	if hasStr {
		c.addText(contentStr, ev.Partial, ev.ID)
		return false
	}
	ct := &ev.Content
	if len(ct.Parts) == 0 {
		return false
	}
	if !ev.Partial && ev.ID != "" {
		if _, dup := c.seen[ev.ID]; dup {
			return false
		}
		if c.seen == nil {
			c.seen = map[string]struct{}{}
		}
		c.seen[ev.ID] = struct{}{}
	}
	var text strings.Builder
	hasText := false
	for _, p := range ct.Parts {
		switch {
		case bool(p.FunctionCall || p.FunctionCall2):
			c.toolCalls++
		case bool(p.FunctionResponse || p.FunctionResponse2):
		case p.Thought:
		case p.Text != nil && ct.Role != "user":
			text.WriteString(*p.Text)
			hasText = true
		}
	}
	if hasText {
		c.addText(text.String(), ev.Partial, "")
	}
	return false
}

// codeWord is the event's errorCode when it is a word ("" otherwise).
func (ev *wireEvent) codeWord() string {
	if ev.ErrorCode.word != "" {
		return ev.ErrorCode.word
	}
	return ev.ErrorCode2.word
}

func (ev *wireEvent) errorInfo() (msg string, code int, ok bool) {
	code = ev.ErrorCode.n
	if code == 0 {
		code = ev.ErrorCode2.n
	}
	msg = ev.ErrorMessage
	if msg == "" {
		msg = ev.ErrorMsg2
	}
	if ev.Error.set {
		if ev.Error.msg != "" {
			msg = ev.Error.msg
		}
		if code == 0 {
			code = ev.Error.code
		}
		if msg == "" {
			msg = "the editing agent reported an error"
		}
		return msg, code, true
	}
	if code != 0 || msg != "" {
		return msg, code, true
	}
	return "", 0, false
}

func (c *Condenser) feedTagged(ev *wireEvent, content string) bool {
	switch strings.ToLower(ev.Type) {
	case "heartbeat", "ping", "keepalive", "keep_alive":
		return true
	case "text", "message", "content":
		s := ev.Text
		if s == "" {
			s = content
		}
		c.addText(s, ev.Partial, ev.ID)
	case "tool_call", "function_call":
		c.toolCalls++
	case "thought", "thinking", "tool_result", "function_response":
	case "error":
		msg := ev.Message
		if msg == "" {
			msg = content
		}
		if msg == "" {
			msg = ev.Text
		}
		c.setErr(&StreamError{Message: msg})
	}
	return false
}

func (c *Condenser) addText(s string, partial bool, id string) {
	if partial {
		c.partial.WriteString(s)
		return
	}
	if id != "" {
		if _, dup := c.seen[id]; dup {
			return
		}
		if c.seen == nil {
			c.seen = map[string]struct{}{}
		}
		c.seen[id] = struct{}{}
	}
	c.partial.Reset() // the whole event replaces its chunks
	if s != "" {
		c.texts = append(c.texts, s)
	}
}

func (c *Condenser) setErr(e *StreamError) {
	if c.err == nil {
		c.err = e
	}
}

func errorFromData(data []byte) *StreamError {
	if len(data) > 0 && data[0] == '{' {
		var ev wireEvent
		if err := json.Unmarshal(data, &ev); err == nil || isTypeErr(err) {
			if msg, code, ok := ev.errorInfo(); ok {
				return &StreamError{Code: code, Message: msg}
			}
			if ev.Message != "" {
				return &StreamError{Message: ev.Message}
			}
		}
	}
	return &StreamError{Message: trimMsg(string(data))}
}

// ToolCalls is the number of tool calls seen.
func (c *Condenser) ToolCalls() int { return c.toolCalls }

// Err is the first error the stream reported, or nil.
func (c *Condenser) Err() *StreamError { return c.err }

// tempIssue is the agent's trailing noise after a normal reply.
const tempIssue = "i encountered a temporary issue"

// Text is the condensed reply: the whole texts in order (then any
// partial chunks never followed by their whole event), joined by blank
// lines, with a trailing "I encountered a temporary issue" dropped when
// other text precedes it.
func (c *Condenser) Text() string {
	parts := c.texts
	if c.partial.Len() > 0 {
		parts = append(parts[:len(parts):len(parts)], c.partial.String())
	}
	var kept []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			kept = append(kept, p)
		}
	}
	out := strings.Join(kept, "\n\n")
	if i := lastIndexFold(out, tempIssue); i > 0 && strings.TrimSpace(out[:i]) != "" {
		out = strings.TrimSpace(out[:i])
	}
	return out
}

// lastIndexFold is strings.LastIndex ignoring ASCII case; sub is ASCII.
func lastIndexFold(s, sub string) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if strings.EqualFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func isTypeErr(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}
