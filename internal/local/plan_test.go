package local

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/testmedia"
)

// TestEditPlanFirstLine: what edit did, did not do and why is in the
// first line of its message; negation is respected; out-of-range values
// are refused, never replaced; an export asked for through edit carries
// its format.
func TestEditPlanFirstLine(t *testing.T) {
	b, dir := newBackend(t)
	ctx := context.Background()
	a := filepath.Join(dir, "talk.wav")
	tone := make([]float32, 3*testmedia.Rate)
	for i := range tone {
		tone[i] = float32(0.1 * math.Sin(2*math.Pi*440*float64(i)/testmedia.Rate))
	}
	if err := testmedia.WriteWAV(a, tone, testmedia.Rate, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Upload(ctx, backend.UploadRequest{Paths: []string{a}}); err != nil {
		t.Fatal(err)
	}
	firstLine := func(s string) string { l, _, _ := strings.Cut(s, "\n"); return l }
	jobs := func() int {
		st, err := b.State(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(st.Jobs)
	}
	history := func() int {
		st, err := b.State(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		return len(st.History)
	}

	// Out of range: refused, nothing recorded, the reason first.
	_, err := b.Edit(ctx, backend.EditRequest{Instruction: "normalize to -100 LUFS"})
	if msg := firstLine(userMsg(t, err)); !strings.HasPrefix(msg, "I did not apply: 'normalize to -100 lufs' (a loudness target of -100 LUFS is outside -60..-5 LUFS)") {
		t.Errorf("message = %q", msg)
	}
	if n := history(); n != 0 {
		t.Fatalf("a refused instruction recorded %d edits", n)
	}

	// Negation: nothing is exported.
	for _, in := range []string{"don't export yet", "do not render", "不要导出"} {
		res, err := b.Edit(ctx, backend.EditRequest{Instruction: in})
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if res.Action != "edit" || !strings.Contains(res.Message, "nothing exported") {
			t.Errorf("%q: %+v", in, res)
		}
	}
	res, err := b.Edit(ctx, backend.EditRequest{Instruction: "fade in 1 s but don't export yet"})
	if err != nil {
		t.Fatal(err)
	}
	if l := firstLine(res.Message); !strings.HasPrefix(l, "Applied: fade in 1 s.") || !strings.Contains(l, "Not exported, as you asked") || strings.Contains(l, "not yet rendered") {
		t.Errorf("message = %q", l)
	}
	if n := jobs(); n != 0 {
		t.Fatalf("%d export jobs after 'don't export'", n)
	}

	// One clause refused, the rest stands alone: applied, and said first.
	// Held: a refused clause that qualifies the rest applies nothing.
	before := history()
	_, err = b.Edit(ctx, backend.EditRequest{Instruction: "fade out 1 s, but only where he speaks"})
	if msg := userMsg(t, err); !strings.HasPrefix(msg, "I did not apply: 'only where he speaks'") || !strings.Contains(msg, "nothing else was applied") {
		t.Errorf("held message = %q", msg)
	}
	if history() != before {
		t.Fatal("a held instruction was recorded")
	}
	res, err = b.Edit(ctx, backend.EditRequest{Instruction: "fade out 1 s and remove the ums"})
	if err != nil {
		t.Fatal(err)
	}
	if l := firstLine(res.Message); !strings.HasPrefix(l, "I did not apply: 'remove the ums' (removing filler words") || !strings.Contains(l, "Applied: fade out 1 s.") {
		t.Errorf("message = %q", l)
	}

	// An export through edit renders the format asked for, and the line
	// says the export runs rather than "call export".
	res, err = b.Edit(ctx, backend.EditRequest{Instruction: "export as mp3"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Action != "export" || !strings.Contains(res.Message, "Export") {
		t.Fatalf("export as mp3: %+v", res)
	}
	st, _ := b.State(ctx, "")
	if len(st.Jobs) != 1 {
		t.Fatalf("jobs = %d", len(st.Jobs))
	}
	job, err := b.ExportStatus(ctx, st.Jobs[0].ID, time.Minute)
	if err != nil || job.Status != backend.JobCompleted || job.Format != "mp3" || filepath.Ext(job.Path) != ".mp3" {
		t.Fatalf("job %+v %v", job, err)
	}
	res, err = b.Edit(ctx, backend.EditRequest{Instruction: "fade in 0.5 s and export it as wav"})
	if err != nil {
		t.Fatal(err)
	}
	if l := firstLine(res.Message); !strings.HasPrefix(l, "Applied: fade in 0.5 s.") || !strings.Contains(l, "Export") || strings.Contains(l, "not yet rendered") {
		t.Errorf("message = %q", l)
	}
	st, _ = b.State(ctx, "")
	wavs := 0
	for _, j := range st.Jobs {
		j, err := b.ExportStatus(ctx, j.ID, time.Minute)
		if err != nil || j.Status != backend.JobCompleted {
			t.Fatalf("job %+v %v", j, err)
		}
		if j.Format == "wav" && filepath.Ext(j.Path) == ".wav" {
			wavs++
		}
	}
	if len(st.Jobs) != 2 || wavs != 1 {
		t.Errorf("jobs = %+v", st.Jobs)
	}
}
