package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/draft"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
	"github.com/mcp-audioedit/mcp-audioedit/internal/intent"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
)

// Edit routes the instruction, parses its operations and records them in
// the session's history. Edits are non-destructive: export renders them.
// An instruction that cannot be parsed or applied changes nothing.
func (b *Backend) Edit(ctx context.Context, req backend.EditRequest) (*backend.EditResult, error) {
	if err := b.needEngine("edit"); err != nil {
		return nil, err
	}
	text := strings.TrimSpace(req.Instruction)
	if text == "" {
		return nil, backend.Userf("the instruction is empty: say what to do, for example \"remove background noise, trim silence and normalize to -16 LUFS\"")
	}
	if n := len(text); n > b.limits.MaxInstruction {
		return nil, backend.Userf("the instruction is %d bytes, over the %d-byte limit (AUDIOEDIT_MAX_INSTRUCTION): say one change at a time. It began: %q", n, b.limits.MaxInstruction, short(text))
	}
	plan := intent.ParseNamed(text, b.fileNames(ctx, req.SessionID))
	// Errors and logs quote at most 200 characters of what was said.
	if len(plan.Refused) > 0 {
		plan.Refused = slices.Clone(plan.Refused)
		for i := range plan.Refused {
			plan.Refused[i].Clause = short(plan.Refused[i].Clause)
		}
	}
	switch act := plan.Action; act {
	case intent.ActionCredits:
		c, err := b.Credits(ctx)
		if err != nil {
			return nil, err
		}
		return &backend.EditResult{SessionID: req.SessionID, Action: string(act), Message: c.Note}, nil
	case intent.ActionState:
		st, err := b.State(ctx, req.SessionID)
		if err != nil {
			return nil, err
		}
		return &backend.EditResult{SessionID: st.SessionID, Action: string(act), Message: st.Summary, Summary: st.Summary}, nil
	case intent.ActionNewSession:
		return b.startSession(ctx)
	case intent.ActionUpload:
		return nil, backend.Userf("to add a file, call the upload tool with its absolute path (paths) or a URL (urls)")
	case intent.ActionExport:
		if plan.Export != nil && plan.Export.Each {
			sid, msg, notes, err := b.exportEach(ctx, exportRequest(req.SessionID, plan.Export))
			if err != nil {
				return nil, err
			}
			return &backend.EditResult{SessionID: sid, Action: string(act), Message: msg, Notes: notes}, nil
		}
		job, err := b.Export(ctx, exportRequest(req.SessionID, plan.Export))
		if err != nil {
			return nil, err
		}
		return &backend.EditResult{SessionID: job.SessionID, Action: string(act), Message: jobMessage(job), Notes: job.Notes}, nil
	}

	sess, err := b.session(ctx, req.SessionID, false)
	if err != nil {
		return nil, err
	}
	// Edits of one session are serialized: each is checked against the
	// timeline the previous one left, so two parallel cuts can never both
	// pass a check made before the other was saved.
	unlock := b.lockSession(sess.ID)
	locked := true
	defer func() {
		if locked {
			unlock()
		}
	}()
	gate(&plan)
	if len(plan.Applicable()) == 0 {
		if plan.NoExport && len(plan.Refused) == 0 {
			return &backend.EditResult{SessionID: sess.ID, Action: string(intent.ActionEdit), Message: "Nothing changed and nothing exported, as you asked."}, nil
		}
		return nil, nothingApplied(text, plan)
	}

	before, _, err := b.build(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	res := &backend.EditResult{SessionID: sess.ID, Action: string(intent.ActionEdit)}
	if len(before.tracks) == 0 {
		return nil, backend.Userf("this session has no media yet: call upload with a file path first")
	}
	target := ""
	if plan.Target != "" {
		it := before.find(plan.Target)
		if it == nil {
			return nil, backend.Userf("no file named %q in this session; its files are: %s", plan.Target, names(before))
		}
		target = it.ID
	}

	// Undo and redo act at once; the other ops between them form edits.
	var pending []opRecord
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		if err := b.record(ctx, sess.ID, text, target, pending); err != nil {
			return err
		}
		pending = nil
		return nil
	}
	for _, op := range plan.Ops {
		switch op.Kind {
		case intent.KindUndo, intent.KindRedo:
			if err := flush(); err != nil {
				return nil, err
			}
			n := max(op.Count, 1)
			var k int
			if op.Kind == intent.KindUndo {
				k, err = b.st.Undo(ctx, sess.ID, n)
			} else {
				k, err = b.st.Redo(ctx, sess.ID, n)
			}
			if err != nil {
				return nil, err
			}
			if k == 0 {
				res.Notes = append(res.Notes, fmt.Sprintf("nothing to %s", op.Kind))
			} else {
				res.Applied = append(res.Applied, fmt.Sprintf("%s %d edit(s)", op.Kind, k))
			}
		case intent.KindSync:
			rec, err := b.syncOp(ctx, before, target)
			if err != nil {
				return nil, err
			}
			pending = append(pending, *rec)
			res.Applied = append(res.Applied, rec.describe(nameMap(before)))
		case intent.KindMusic:
			id, err := b.resolveMusic(ctx, sess.ID, before, op.Music)
			if err != nil {
				return nil, err
			}
			if id != "" {
				m := intent.MusicSpec{}
				if op.Music != nil {
					m = *op.Music
				}
				m.File = nameMap(before)[id]
				op.Music = &m
			}
			pending = append(pending, opRecord{Op: op, MusicID: id})
			res.Applied = append(res.Applied, op.Describe())
		default:
			pending = append(pending, opRecord{Op: op})
			res.Applied = append(res.Applied, op.Describe())
		}
	}
	if err := flush(); err != nil {
		return nil, err
	}
	after, _, err := b.build(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	bd, ad := before.draft(), after.draft()
	res.Summary = ad.Summary()
	res.Changes = draft.Diff(bd, ad)
	var line []string
	if r := plan.RefusalLine(); r != "" {
		line = append(line, r)
		for _, x := range plan.Refused {
			res.Refused = append(res.Refused, fmt.Sprintf("'%s' (%s)", x.Clause, x.Reason))
		}
	}
	line = append(line, "Applied: "+strings.Join(res.Applied, "; ")+".")
	res.Notes = append(res.Notes, after.skipped...)
	line = append(line, res.Notes...)
	if plan.NoExport {
		line = append(line, "Not exported, as you asked: call export when ready.")
	}
	if ex := plan.ExportToStart(); ex != nil {
		r := exportRequest(sess.ID, ex)
		if r.File == "" {
			r.File = target
		}
		unlock() // Export takes the lock itself
		locked = false
		if ex.Each {
			_, msg, notes, err := b.exportEach(ctx, r)
			if err != nil {
				msg, _ = backend.UserMessage(err)
				if msg == "" {
					return nil, err
				}
				msg = "The edits are recorded, but the export did not start: " + msg
			}
			res.Notes = append(res.Notes, notes...)
			res.Message = strings.Join(append(line, msg), " ")
			return res, nil
		}
		job, err := b.Export(ctx, r)
		if err != nil {
			if msg, ok := backend.UserMessage(err); ok {
				line = append(line, "The edits are recorded, but the export did not start: "+msg)
				res.Message = strings.Join(line, " ")
				return res, nil
			}
			return nil, err
		}
		line = append(line, jobMessage(job))
		res.Notes = append(res.Notes, job.Notes...)
	} else if !plan.NoExport {
		line = append(line, "Edits are recorded, not yet rendered: call export to render them.")
	}
	res.Message = strings.Join(line, " ")
	return res, nil
}

// exportEach renders each file of the session on its own ("process each
// file separately"), as file= does: one job per audio or video file,
// nothing combined. A recording synced to a video renders with its video.
// It returns the session, the message (one sentence per file) and the
// jobs' notes; it fails only when no job started.
func (b *Backend) exportEach(ctx context.Context, req backend.ExportRequest) (string, string, []string, error) {
	sess, err := b.session(ctx, req.SessionID, false)
	if err != nil {
		return "", "", nil, err
	}
	tl, _, err := b.build(ctx, sess.ID)
	if err != nil {
		return "", "", nil, err
	}
	var parts, notes []string
	started, failed := 0, 0
	for _, tr := range tl.tracks {
		if tr.item.Info.Kind == "image" || tr.syncedTo != nil {
			continue
		}
		r := req
		r.SessionID, r.File = sess.ID, tr.item.ID
		job, err := b.Export(ctx, r)
		if err != nil {
			msg, ok := backend.UserMessage(err)
			if !ok {
				return "", "", nil, err
			}
			failed++
			parts = append(parts, fmt.Sprintf("%s: not exported: %s", tr.item.Name, msg))
			continue
		}
		started++
		parts = append(parts, tr.item.Name+": "+jobMessage(job))
		notes = append(notes, job.Notes...)
	}
	switch {
	case started == 0 && failed > 0:
		return "", "", nil, backend.Userf("no file was exported. %s", strings.Join(parts, " "))
	case started == 0:
		return "", "", nil, backend.Userf("there is nothing to export: upload an audio or video file first")
	}
	return sess.ID, fmt.Sprintf("Each file exported on its own (%d of %d started). %s", started, len(parts), strings.Join(parts, " ")), notes, nil
}

// startSession starts a new, empty session and makes it the client's
// current one: "start a new project". The previous session is kept.
func (b *Backend) startSession(ctx context.Context) (*backend.EditResult, error) {
	prev := b.current.Get(ctx)
	s, _, err := b.sessionFor(ctx, "", true, true)
	if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("Started a new session %s: call upload to add files to it.", s.ID)
	if prev != "" {
		msg += fmt.Sprintf(" The previous session %s is kept: pass its session_id to go back to it.", prev)
	}
	return &backend.EditResult{SessionID: s.ID, Action: backend.ActionNewSession, Message: msg}, nil
}

// gate moves the operations this engine cannot render exactly into the
// plan's refusals: an operation is recorded only if export renders it as
// parsed.
func gate(p *intent.Plan) {
	var keep []intent.Op
	for _, op := range p.Ops {
		if why := unrenderable(op); why != "" {
			p.Refused = append(p.Refused, intent.Refusal{Clause: op.Describe(), Reason: why, Independent: true})
			continue
		}
		keep = append(keep, op)
	}
	p.Ops = keep
}

// unrenderable says why the local engine cannot render op, or "".
func unrenderable(op intent.Op) string {
	switch op.Kind {
	case intent.KindCut, intent.KindKeep, intent.KindFade, intent.KindLoudness, intent.KindSync, intent.KindUndo, intent.KindRedo,
		intent.KindVolume, intent.KindSpeed, intent.KindChannels, intent.KindBalance, intent.KindHum, intent.KindEQ,
		intent.KindLevel, intent.KindMute, intent.KindBleep, intent.KindBreaths, intent.KindMusic, intent.KindTitle, intent.KindReframe, intent.KindTrimSilence, intent.KindDenoise,
		intent.KindPosition:
		return ""
	}
	return "the local engine cannot render this yet"
}

// exportRequest turns a parsed export request into the backend's.
func exportRequest(sessionID string, ex *intent.ExportRequest) backend.ExportRequest {
	r := backend.ExportRequest{SessionID: sessionID}
	if ex != nil {
		r.Format, r.File, r.Resolution = ex.Format, ex.File, ex.Resolution
	}
	return r
}

// nothingApplied is the error for an instruction from which nothing can
// be applied: what was refused and why, else what can be said.
func nothingApplied(text string, plan intent.Plan) error {
	if r := plan.RefusalLine(); r != "" {
		for _, x := range plan.Refused {
			if x.Reason == "not understood" {
				return backend.Userf("%s Nothing changed. I can:\n- %s", r, strings.Join(intent.Capabilities(), "\n- "))
			}
		}
		return backend.Userf("%s Nothing changed.", r)
	}
	if plan.NoExport {
		return backend.Userf("Nothing changed and nothing exported, as you asked.")
	}
	return backend.Userf("I could not find an edit in %q, so nothing changed. I can:\n- %s", short(text), strings.Join(intent.Capabilities(), "\n- "))
}

// record validates ops against the timeline and appends them to the
// history; an op that cannot apply is refused and nothing is written.
func (b *Backend) record(ctx context.Context, sessionID, text, target string, ops []opRecord) error {
	tl, _, err := b.build(ctx, sessionID)
	if err != nil {
		return err
	}
	if err := tl.apply(target, ops); err != nil {
		if _, ok := backend.UserMessage(err); ok {
			return err
		}
		return backend.Userf("%v: nothing was changed", err)
	}
	raw, err := json.Marshal(ops)
	if err != nil {
		return err
	}
	return b.st.AppendEdit(ctx, &store.Edit{SessionID: sessionID, Instruction: text, Target: target, Ops: raw})
}

// syncOp measures the offset of the session's separately recorded audio
// against its video's own sound.
func (b *Backend) syncOp(ctx context.Context, tl *timeline, target string) (*opRecord, error) {
	var video, audio *mediaItem
	for _, tr := range tl.tracks {
		switch tr.item.Info.Kind {
		case "video":
			if video == nil {
				video = tr.item
			}
		case "audio":
			if tr.role == "music" && tr.item.ID != target {
				continue // the music bed is not a recording of the take
			}
			if audio == nil || tr.item.ID == target {
				audio = tr.item
			}
		}
	}
	if video == nil || audio == nil {
		return nil, backend.Userf("to sync, the session needs a video and a separately recorded audio file: upload both, then say \"sync audio to video\"")
	}
	if !video.Info.HasAudio {
		return nil, backend.Userf("%s has no sound of its own to line the audio up with: sync needs the camera's sound as a reference", video.Name)
	}
	// Offset and clock drift over the whole overlap; a take too short or
	// too sparse for windows falls back to one offset from the start.
	drift := 0.0
	off, conf := 0.0, 0.0
	al, err := b.eng.AlignDrift(ctx, video.Info, audio.Info)
	if err == nil {
		off, conf, drift = al.Offset, al.Confidence, al.DriftPPM
	} else if errors.Is(err, engine.ErrNoMatch) {
		off, conf, err = b.eng.Align(ctx, video.Path, audio.Path, 0)
	}
	if errors.Is(err, engine.ErrNoMatch) {
		return nil, backend.Userf("could not find the same sound in %s and %s (no clear match), so they were not synced: check they are recordings of the same take", video.Name, audio.Name)
	}
	if err != nil {
		return nil, err
	}
	return &opRecord{Op: intent.Op{Kind: intent.KindSync}, Offset: off, DriftPPM: math.Round(drift*10) / 10, Confidence: conf, AudioID: audio.ID, VideoID: video.ID}, nil
}

func names(tl *timeline) string {
	var ns []string
	for _, tr := range tl.tracks {
		ns = append(ns, tr.item.Name)
	}
	return strings.Join(ns, ", ")
}

func nameMap(tl *timeline) map[string]string {
	m := map[string]string{}
	for _, tr := range tl.tracks {
		m[tr.item.ID] = tr.item.Name
	}
	return m
}

// State returns the session's timeline summary, draft, media, history and jobs.
func (b *Backend) State(ctx context.Context, sessionID string) (*backend.StateResult, error) {
	sess, err := b.session(ctx, sessionID, false)
	if err != nil {
		return nil, err
	}
	tl, edits, err := b.build(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	d := tl.draft()
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	res := &backend.StateResult{SessionID: sess.ID, Summary: d.Summary(), Draft: raw, Media: []backend.Media{}, History: []backend.HistoryEntry{}, Notes: tl.skipped}
	for _, tr := range tl.tracks {
		res.Media = append(res.Media, tr.item.public())
	}
	nm := nameMap(tl)
	for _, e := range edits {
		var ops []opRecord
		_ = json.Unmarshal(e.Ops, &ops)
		h := backend.HistoryEntry{Seq: e.Seq, Instruction: e.Instruction, Undone: e.Undone, At: e.At, Target: nm[e.Target]}
		for _, op := range ops {
			h.Ops = append(h.Ops, op.describe(nm))
		}
		res.History = append(res.History, h)
	}
	jobs, err := b.st.ListJobs(ctx, sess.ID)
	if err != nil {
		return nil, err
	}
	for _, j := range jobs {
		pj, err := b.jobFromStore(j)
		if err == nil {
			res.Jobs = append(res.Jobs, *pj)
		}
	}
	return res, nil
}

func jobMessage(j *backend.Job) string {
	switch j.Status {
	case backend.JobCompleted:
		s := fmt.Sprintf("Export done: %s (%.1f s, %d bytes).", j.Path, j.DurationS, j.SizeBytes)
		if len(j.Notes) > 0 {
			s += " Note: " + strings.Join(j.Notes, " ")
		}
		return s
	case backend.JobFailed, backend.JobCancelled:
		return fmt.Sprintf("Export %s: %s", j.Status, j.Error)
	}
	return fmt.Sprintf("Export started as job %s (%.0f%% done): call export_status with job_id %s to follow it.", j.ID, j.Progress, j.ID)
}

// fileNames lists the names of the files in the session an edit will act on
// (the named one, else the current one), so the parser can find them even
// where Chinese text touches a name. It changes nothing: no session is
// started or made current here, and a lookup failure only means no names.
func (b *Backend) fileNames(ctx context.Context, sessionID string) []string {
	if sessionID == "" {
		sessionID = b.current.Get(ctx)
	}
	if sessionID == "" {
		return nil
	}
	items, err := b.st.ListMedia(ctx, sessionID)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(items))
	for _, m := range items {
		names = append(names, m.Name)
	}
	return names
}
