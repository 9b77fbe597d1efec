package backend

import "context"

// Previewer is implemented by backends that can draw a session's timeline
// and play excerpts of it (the local engine; the cloud backend has no
// access to the audio).
type Previewer interface {
	// Waveform returns the timeline's tracks as min/max peaks in width
	// columns, with the regions edits remove or add.
	Waveform(ctx context.Context, sessionID string, width int) (*Waveform, error)
	// Preview encodes a short excerpt of the session's audio as it sounds
	// after the edits and, when asked, the same stretch before them.
	Preview(ctx context.Context, req PreviewRequest) (*PreviewResult, error)
}

// Waveform is a session's timeline for drawing, in source seconds.
type Waveform struct {
	SessionID string
	// DurationS is the span the columns cover.
	DurationS float64
	Tracks    []WaveTrack
	Regions   []Region
}

// WaveTrack is one track's envelope: Lo[i] and Hi[i] are the lowest and
// highest sample (-1..1) in column i.
type WaveTrack struct {
	Name string
	// Role is "voice", "music" (a music bed) or "audio".
	Role   string
	Lo, Hi []float32
}

// Region kinds.
const (
	RegionCut   = "cut"   // removed by a cut or keep edit
	RegionPause = "pause" // removed by silence trimming
	RegionTitle = "title" // a title shown on the picture
	RegionMusic = "music" // the music bed plays
)

// Region is a stretch of the timeline an edit acts on.
type Region struct {
	Kind       string
	StartS     float64
	EndS       float64
	Label      string
	TrackIndex int // the track it belongs to, -1 for the whole timeline
}

// PreviewRequest asks for an excerpt.
type PreviewRequest struct {
	SessionID string
	// File picks the media file (id or name); "" is the main track.
	File string
	// AtS is the centre of the excerpt in the source's seconds; < 0 means
	// the middle.
	AtS float64
	// DurationS is the excerpt's length.
	DurationS float64
	// Format is "mp3" or "ogg".
	Format string
	// Before also encodes the same stretch of the source, unedited.
	Before bool
}

// PreviewResult is an excerpt, encoded.
type PreviewResult struct {
	SessionID string
	File      string
	MIMEType  string
	// StartS and EndS are the stretch of the source the excerpt covers.
	StartS, EndS float64
	// After is the stretch as exported (edits applied); Before the source.
	After, Before []byte
	// AfterS is the length of After: shorter than the stretch when
	// edits cut or trimmed inside it.
	AfterS float64
	// Edited is false when no edit changes this track's sound (After is
	// then the source).
	Edited bool
	Notes  []string
}
