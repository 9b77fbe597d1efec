package engine

import (
	"context"
	"fmt"
)

// Transcode converts the media at src into format (mp4, mov, mkv, webm,
// mp3, wav, m4a, aac) at dst with quality (high, medium, low), keeping
// its picture when the format carries one; dst is written atomically
// (see Encode). The cloud backend uses it to turn the cloud's mp4 into
// the format the user asked for.
func (e *Engine) Transcode(ctx context.Context, src, dst, format, quality string) error {
	info, err := e.Probe(ctx, src)
	if err != nil {
		return fmt.Errorf("transcode: %w", err)
	}
	if _, err := e.Encode(ctx, EncodeOptions{Source: info, Format: format, Quality: quality, OutputPath: dst}); err != nil {
		return fmt.Errorf("transcode: %w", err)
	}
	return nil
}
