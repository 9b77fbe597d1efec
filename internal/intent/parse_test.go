package intent

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func ops(o ...Op) []Op { return o }

func TestParse(t *testing.T) {
	t.Parallel()
	dn := Op{Kind: KindDenoise}
	ts := Op{Kind: KindTrimSilence}
	sy := Op{Kind: KindSync}
	tests := []struct {
		name    string
		in      string
		want    Plan
		wantErr error
	}{
		// The three product phrases.
		{"product 1", "remove background noise, trim silence, and sync audio to video", Plan{Ops: ops(dn, ts, sy)}, nil},
		{"product 2", "edit a 3-minute podcast recording with background noise into a 1080p MP4", Plan{Ops: ops(dn), ThenExport: true, Format: "mp4"}, nil},
		{"product 3", "cleaning and syncing audio tracks in videos for content creators", Plan{Ops: ops(dn, sy)}, nil},

		// English: several ops.
		{"three ops", "remove background noise, trim silence and normalize to -16 LUFS", Plan{Ops: ops(dn, ts, Op{Kind: KindLoudness, TargetLUFS: -16})}, nil},
		{"denoise and normalize", "denoise and normalize", Plan{Ops: ops(dn, Op{Kind: KindLoudness})}, nil},
		{"then export", "remove noise and then export", Plan{Ops: ops(dn), ThenExport: true}, nil},
		{"export as mp3", "remove noise and export it as mp3", Plan{Ops: ops(dn), ThenExport: true, Format: "mp3"}, nil},
		{"semicolon", "denoise; trim silence", Plan{Ops: ops(dn, ts)}, nil},
		{"sentences", "Denoise it. Then fade out.", Plan{Ops: ops(dn, Op{Kind: KindFade, FadeOut: 1})}, nil},

		// English: denoise.
		{"remove the noise", "remove the noise", Plan{Ops: ops(dn)}, nil},
		{"hum and hiss merge", "remove hum and hiss", Plan{Ops: ops(dn)}, nil},
		{"buzz", "get rid of the buzz", Plan{Ops: ops(dn)}, nil},
		{"static", "remove the static", Plan{Ops: ops(dn)}, nil},
		{"de-noise strong best", "de-noise it strongly with the best model", Plan{Ops: ops(Op{Kind: KindDenoise, Strength: 1, Model: "best"})}, nil},
		{"gently", "gently remove the hiss", Plan{Ops: ops(Op{Kind: KindDenoise, Strength: 0.5})}, nil},
		{"fast", "fast denoise", Plan{Ops: ops(Op{Kind: KindDenoise, Model: "fast"})}, nil},
		{"neural", "denoise with AI", Plan{Ops: ops(Op{Kind: KindDenoise, Model: "best"})}, nil},
		{"classic", "classic ffmpeg denoise", Plan{Ops: ops(Op{Kind: KindDenoise, Model: "classic"})}, nil},
		{"percent strength", "denoise at 70% strength", Plan{Ops: ops(Op{Kind: KindDenoise, Strength: 0.7})}, nil},
		{"clean up", "clean up the audio", Plan{Ops: ops(dn)}, nil},
		{"turn down the hum", "turn down the hum", Plan{Ops: ops(dn)}, nil},
		{"noise level", "reduce the noise level", Plan{Ops: ops(dn)}, nil},

		// English: silence.
		{"trim silence", "trim silence", Plan{Ops: ops(ts)}, nil},
		{"remove pauses", "remove pauses", Plan{Ops: ops(ts)}, nil},
		{"dead air", "remove dead air", Plan{Ops: ops(ts)}, nil},
		{"start and end", "trim silence at the start and end", Plan{Ops: ops(ts)}, nil},
		{"shorten long pauses", "shorten long pauses", Plan{Ops: ops(Op{Kind: KindTrimSilence, ShortenTo: 0.5})}, nil},
		{"longer than", "remove pauses longer than 2 seconds", Plan{Ops: ops(Op{Kind: KindTrimSilence, MinPause: 2})}, nil},
		{"shorten longer than to", "shorten pauses longer than 1 second to 0.5 s", Plan{Ops: ops(Op{Kind: KindTrimSilence, MinPause: 1, ShortenTo: 0.5})}, nil},
		{"half a second", "remove silences longer than half a second", Plan{Ops: ops(Op{Kind: KindTrimSilence, MinPause: 0.5})}, nil},
		{"ms", "tighten the gaps to 300 ms", Plan{Ops: ops(Op{Kind: KindTrimSilence, ShortenTo: 0.3})}, nil},
		{"or more with padding", "remove pauses of 2 seconds or more with 200 ms padding", Plan{Ops: ops(Op{Kind: KindTrimSilence, MinPause: 2, Margin: 0.2})}, nil},
		{"padding clause merges", "trim silence and keep 0.2 s padding", Plan{Ops: ops(Op{Kind: KindTrimSilence, Margin: 0.2})}, nil},
		{"threshold", "trim silence below -40 dB", Plan{Ops: ops(Op{Kind: KindTrimSilence, ThresholdDB: -40})}, nil},
		{"filler unsupported", "remove umm gaps", Plan{Unparsed: []string{"remove umm gaps"}}, ErrNoOps},
		{"filler words", "remove filler words and trim silence", Plan{Ops: ops(ts), Unparsed: []string{"remove filler words"}}, nil},

		// English: loudness.
		{"normalize", "normalize the audio", Plan{Ops: ops(Op{Kind: KindLoudness})}, nil},
		{"spotify", "make it loud enough for spotify", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -14})}, nil},
		{"broadcast", "normalize for broadcast", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -23})}, nil},
		{"atsc", "ATSC loudness", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -24})}, nil},
		{"podcast preset", "normalize for a podcast", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -16})}, nil},
		{"make it lufs", "make it -23 LUFS", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -23})}, nil},
		{"no space", "normalize to -16LUFS", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -16})}, nil},
		{"minus words", "normalize to minus sixteen LUFS", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -16})}, nil},
		{"positive lufs", "normalize to 16 LUFS", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -16})}, nil},
		{"db lufs", "normalize to -16 dB LUFS", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -16})}, nil},
		{"peak", "normalize to -16 LUFS with peak -1.5 dB", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -16, TruePeak: -1.5})}, nil},
		{"dbtp first", "-1 dBTP and -16 LUFS normalization", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -16, TruePeak: -1})}, nil},
		{"bare target", "normalize to -19", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -19})}, nil},
		{"download volume", "normalize the download volume", Plan{Ops: ops(Op{Kind: KindLoudness})}, nil},

		// English: cut and keep.
		{"cut clock", "cut 0:10 to 0:25", Plan{Ops: ops(Op{Kind: KindCut, Start: 10, End: 25})}, nil},
		{"cut from to", "cut from 1:00 to 1:30", Plan{Ops: ops(Op{Kind: KindCut, Start: 60, End: 90})}, nil},
		{"remove first", "remove the first 5 seconds", Plan{Ops: ops(Op{Kind: KindCut, End: 5})}, nil},
		{"cut first", "cut the first 10 seconds", Plan{Ops: ops(Op{Kind: KindCut, End: 10})}, nil},
		{"cut first second", "cut the first second of b.wav", Plan{Ops: ops(Op{Kind: KindCut, End: 1}), Target: "b.wav"}, nil},
		{"cut last minute", "remove the last minute", Plan{Ops: ops(Op{Kind: KindCut, Start: -60})}, nil},
		{"delete last", "delete the last 3 s", Plan{Ops: ops(Op{Kind: KindCut, Start: -3})}, nil},
		{"remove last", "remove the last 5 s", Plan{Ops: ops(Op{Kind: KindCut, Start: -5})}, nil},
		{"first and last", "cut the first 10 seconds and the last 5 seconds", Plan{Ops: ops(Op{Kind: KindCut, End: 10}, Op{Kind: KindCut, Start: -5})}, nil},
		{"after", "cut everything after 2:00", Plan{Ops: ops(Op{Kind: KindCut, Start: 120})}, nil},
		{"hh:mm:ss", "remove 01:02:03 to 01:05:00", Plan{Ops: ops(Op{Kind: KindCut, Start: 3723, End: 3900})}, nil},
		{"units range", "cut 90s to 2 minutes", Plan{Ops: ops(Op{Kind: KindCut, Start: 90, End: 120})}, nil},
		{"compound", "cut 1 min 20 s to 2 minutes", Plan{Ops: ops(Op{Kind: KindCut, Start: 80, End: 120})}, nil},
		{"bare dash", "cut 10-25", Plan{Ops: ops(Op{Kind: KindCut, Start: 10, End: 25})}, nil},
		{"reversed", "cut from 1:30 to 1:00", Plan{Ops: ops(Op{Kind: KindCut, Start: 60, End: 90})}, nil},
		{"ms from start", "remove 500 ms from the start", Plan{Ops: ops(Op{Kind: KindCut, End: 0.5})}, nil},
		{"off the end", "chop 1.5 s off the end", Plan{Ops: ops(Op{Kind: KindCut, Start: -1.5})}, nil},
		{"keep only", "keep only 1:00-2:30", Plan{Ops: ops(Op{Kind: KindKeep, Start: 60, End: 150})}, nil},
		{"keep only clock", "keep only 0:30-2:00", Plan{Ops: ops(Op{Kind: KindKeep, Start: 30, End: 120})}, nil},
		{"trim to first", "trim to the first 30 seconds", Plan{Ops: ops(Op{Kind: KindKeep, End: 30})}, nil},
		{"trim to", "trim to 30 seconds", Plan{Ops: ops(Op{Kind: KindKeep, End: 30})}, nil},
		{"trim it down to", "trim it down to 2 minutes", Plan{Ops: ops(Op{Kind: KindKeep, End: 120})}, nil},
		{"keep last", "keep the last 10 seconds", Plan{Ops: ops(Op{Kind: KindKeep, Start: -10})}, nil},
		{"between minutes", "keep between 1 and 2 minutes", Plan{Ops: ops(Op{Kind: KindKeep, Start: 60, End: 120})}, nil},
		{"cut without range", "cut it", Plan{Unparsed: []string{"cut it"}}, ErrNoOps},

		// English: fade.
		{"fade in", "fade in 2s", Plan{Ops: ops(Op{Kind: KindFade, FadeIn: 2})}, nil},
		{"fade out", "fade out 3 seconds", Plan{Ops: ops(Op{Kind: KindFade, FadeOut: 3})}, nil},
		{"in and out", "fade in and out", Plan{Ops: ops(Op{Kind: KindFade, FadeIn: 1, FadeOut: 1})}, nil},
		{"in and out one length", "fade in and out 2 s", Plan{Ops: ops(Op{Kind: KindFade, FadeIn: 2, FadeOut: 2})}, nil},
		{"in 2 out 3", "fade in 2s and out 3s", Plan{Ops: ops(Op{Kind: KindFade, FadeIn: 2, FadeOut: 3})}, nil},
		{"lengths before", "2 second fade in and 3 second fade out", Plan{Ops: ops(Op{Kind: KindFade, FadeIn: 2, FadeOut: 3})}, nil},
		{"fade the audio in", "fade the audio in over two seconds", Plan{Ops: ops(Op{Kind: KindFade, FadeIn: 2})}, nil},
		{"add fades", "add fades", Plan{Ops: ops(Op{Kind: KindFade, FadeIn: 1, FadeOut: 1})}, nil},
		{"fade out last", "fade out the last 3 seconds", Plan{Ops: ops(Op{Kind: KindFade, FadeOut: 3})}, nil},

		// English: volume.
		{"louder by", "make it louder by 3 dB", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: 3})}, nil},
		{"turn down", "turn it down 6dB", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: -6})}, nil},
		{"volume plus", "volume +2 dB", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: 2})}, nil},
		{"volume minus", "volume -3 dB", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: -3})}, nil},
		{"double", "double the volume", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: 6})}, nil},
		{"halve", "halve the volume", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: -6})}, nil},
		{"quieter", "make it quieter", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: -3})}, nil},
		{"turn it up", "turn it up", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: 3})}, nil},
		{"percent", "increase volume by 50%", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: 3.52})}, nil},
		{"twice as loud", "make it twice as loud", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: 6})}, nil},
		{"adjust volume alone", "adjust the volume", Plan{Unparsed: []string{"adjust the volume"}}, ErrNoOps},

		// English: sync, undo, redo.
		{"sync", "sync audio to video", Plan{Ops: ops(sy)}, nil},
		{"align", "align the audio with the video", Plan{Ops: ops(sy)}, nil},
		{"sync and", "sync audio and video", Plan{Ops: ops(sy)}, nil},
		{"out of sync", "the audio is out of sync, fix it", Plan{Ops: ops(sy)}, nil},
		{"undo", "undo", Plan{Ops: ops(Op{Kind: KindUndo})}, nil},
		{"undo count", "undo the last 2 edits", Plan{Ops: ops(Op{Kind: KindUndo, Count: 2})}, nil},
		{"undo words", "undo the last two edits", Plan{Ops: ops(Op{Kind: KindUndo, Count: 2})}, nil},
		{"undo twice", "undo twice", Plan{Ops: ops(Op{Kind: KindUndo, Count: 2})}, nil},
		{"undo the denoise", "undo the denoise", Plan{Ops: ops(Op{Kind: KindUndo})}, nil},
		{"redo", "redo", Plan{Ops: ops(Op{Kind: KindRedo})}, nil},

		// Targets and formats.
		{"target", "denoise interview.wav", Plan{Ops: ops(dn), Target: "interview.wav"}, nil},
		{"target case kept", "Denoise \"My Interview.WAV\" please", Plan{Ops: ops(dn), Target: "My Interview.WAV"}, nil},
		{"file 2", "denoise file 2", Plan{Ops: ops(dn), Target: "#2"}, nil},
		{"second file", "denoise the second file", Plan{Ops: ops(dn), Target: "#2"}, nil},
		{"input format is not output", "denoise the wav", Plan{Ops: ops(dn)}, nil},
		{"convert", "convert the wav to mp3 after denoising", Plan{Ops: ops(dn), ThenExport: true, Format: "mp3"}, nil},

		{"send me the mp3", "remove the noise from file 3 and send me the mp3", Plan{Ops: ops(dn), Target: "#3", ThenExport: true, Format: "mp3"}, nil},
		{"full chain", "remove background noise then normalize to -14 LUFS and export as wav", Plan{Ops: ops(dn, Op{Kind: KindLoudness, TargetLUFS: -14}), ThenExport: true, Format: "wav"}, nil},
		{"padding chain", "Denoise lightly, then trim pauses longer than 1.5s and keep 250ms of padding", Plan{Ops: ops(Op{Kind: KindDenoise, Strength: 0.5}, Op{Kind: KindTrimSilence, MinPause: 1.5, Margin: 0.25})}, nil},
		{"peak at", "make it -16 LUFS, peak at -1 dBTP", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -16, TruePeak: -1})}, nil},
		{"keep to the end", "keep from 0:45 to the end", Plan{Ops: ops(Op{Kind: KindKeep, Start: 45})}, nil},
		{"section", "remove the section from 1:05 to 1:12", Plan{Ops: ops(Op{Kind: KindCut, Start: 65, End: 72})}, nil},
		{"level", "level the audio", Plan{Ops: ops(Op{Kind: KindLoudness})}, nil},
		{"fade ms", "fade in over 500 ms", Plan{Ops: ops(Op{Kind: KindFade, FadeIn: 0.5})}, nil},

		// Negation, politeness, nothing.
		{"negation", "don't denoise, just trim silence", Plan{Ops: ops(ts)}, nil},
		{"without", "export without normalizing", Plan{ThenExport: true}, ErrNoOps},
		{"please", "trim silence, please", Plan{Ops: ops(ts)}, nil},
		{"unparsed", "remove noise and make it sound professional", Plan{Ops: ops(dn), Unparsed: []string{"make it sound professional"}}, nil},
		{"nothing", "hello there", Plan{Unparsed: []string{"hello there"}}, ErrNoOps},
		{"export only", "export the video", Plan{ThenExport: true}, ErrNoOps},
		{"empty", "", Plan{}, ErrEmpty},
		{"whitespace", " \t\n　", Plan{}, ErrEmpty},

		// Chinese.
		{"zh three ops", "去除背景噪音，删除静音，然后把响度标准化到-16 LUFS", Plan{Ops: ops(dn, ts, Op{Kind: KindLoudness, TargetLUFS: -16})}, nil},
		{"zh 降噪", "降噪", Plan{Ops: ops(dn)}, nil},
		{"zh 去噪", "去噪", Plan{Ops: ops(dn)}, nil},
		{"zh 轻微", "轻微降噪", Plan{Ops: ops(Op{Kind: KindDenoise, Strength: 0.5})}, nil},
		{"zh 强力", "强力降噪", Plan{Ops: ops(Op{Kind: KindDenoise, Strength: 1})}, nil},
		{"zh target", "对 interview.wav 降噪", Plan{Ops: ops(dn), Target: "interview.wav"}, nil},
		{"zh target no space", "对采访.wav降噪", Plan{Ops: ops(dn), Target: "采访.wav"}, nil},
		{"zh second file", "第二个文件降噪", Plan{Ops: ops(dn), Target: "#2"}, nil},
		{"zh 删除静音", "删除静音", Plan{Ops: ops(ts)}, nil},
		{"zh 删除停顿", "删除停顿", Plan{Ops: ops(ts)}, nil},
		{"zh 缩短停顿", "缩短停顿", Plan{Ops: ops(Op{Kind: KindTrimSilence, ShortenTo: 0.5})}, nil},
		{"zh 超过 缩短到", "把超过1秒的停顿缩短到0.5秒", Plan{Ops: ops(Op{Kind: KindTrimSilence, MinPause: 1, ShortenTo: 0.5})}, nil},
		{"zh 半秒", "删除超过半秒的停顿", Plan{Ops: ops(Op{Kind: KindTrimSilence, MinPause: 0.5})}, nil},
		{"zh 响度", "响度标准化", Plan{Ops: ops(Op{Kind: KindLoudness})}, nil},
		{"zh 音量标准化", "音量标准化", Plan{Ops: ops(Op{Kind: KindLoudness})}, nil},
		{"zh -14", "响度标准化到-14 LUFS", Plan{Ops: ops(Op{Kind: KindLoudness, TargetLUFS: -14})}, nil},
		{"zh 删除前5秒", "删除前5秒", Plan{Ops: ops(Op{Kind: KindCut, End: 5})}, nil},
		{"zh 前五秒", "删除前五秒", Plan{Ops: ops(Op{Kind: KindCut, End: 5})}, nil},
		{"zh 最后", "删除最后3秒", Plan{Ops: ops(Op{Kind: KindCut, Start: -3})}, nil},
		{"zh 开头", "剪掉开头10秒", Plan{Ops: ops(Op{Kind: KindCut, End: 10})}, nil},
		{"zh 分秒 range", "删除一分三十秒到两分钟", Plan{Ops: ops(Op{Kind: KindCut, Start: 90, End: 120})}, nil},
		{"zh 只保留", "只保留1:00到2:30", Plan{Ops: ops(Op{Kind: KindKeep, Start: 60, End: 150})}, nil},
		{"zh 保留前", "保留前30秒", Plan{Ops: ops(Op{Kind: KindKeep, End: 30})}, nil},
		{"zh 淡入", "淡入", Plan{Ops: ops(Op{Kind: KindFade, FadeIn: 1})}, nil},
		{"zh 淡入淡出", "淡入两秒，淡出三秒", Plan{Ops: ops(Op{Kind: KindFade, FadeIn: 2, FadeOut: 3})}, nil},
		{"zh 淡入和淡出", "淡入和淡出", Plan{Ops: ops(Op{Kind: KindFade, FadeIn: 1, FadeOut: 1})}, nil},
		{"zh 音量提高", "音量提高3分贝", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: 3})}, nil},
		{"zh 调低", "把音量调低6分贝", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: -6})}, nil},
		{"zh 加倍", "音量加倍", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: 6})}, nil},
		{"zh 音画同步", "音画同步", Plan{Ops: ops(sy)}, nil},
		{"zh 同步音频", "同步音频", Plan{Ops: ops(sy)}, nil},
		{"zh 对齐", "对齐音频和视频", Plan{Ops: ops(sy)}, nil},
		{"zh 撤销", "撤销", Plan{Ops: ops(Op{Kind: KindUndo})}, nil},
		{"zh 撤销两步", "撤销两步", Plan{Ops: ops(Op{Kind: KindUndo, Count: 2})}, nil},
		{"zh 重做", "重做", Plan{Ops: ops(Op{Kind: KindRedo})}, nil},
		{"zh export", "降噪然后导出为mp3", Plan{Ops: ops(dn), ThenExport: true, Format: "mp3"}, nil},
		{"zh 并且", "降噪并且删除静音", Plan{Ops: ops(dn, ts)}, nil},
		{"zh 再", "先降噪再淡出", Plan{Ops: ops(dn, Op{Kind: KindFade, FadeOut: 1})}, nil},
		{"zh 、", "降噪、删除静音、音画同步", Plan{Ops: ops(dn, ts, sy)}, nil},
		{"zh fullwidth", "降噪；响度标准化到－１６ LUFS", Plan{Ops: ops(dn, Op{Kind: KindLoudness, TargetLUFS: -16})}, nil},
		{"zh negation", "不要降噪，只删除静音", Plan{Ops: ops(ts)}, nil},
		{"zh subtitles unparsed", "给视频加字幕然后降噪", Plan{Ops: ops(dn), Unparsed: []string{"给视频加字幕"}}, nil},
		{"zh 百分之", "音量降低百分之五十", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: -6.02})}, nil},
		{"zh 一倍", "把音量提高一倍", Plan{Ops: ops(Op{Kind: KindVolume, GainDB: 6.02})}, nil},
		{"zh 音频和视频同步", "音频和视频同步", Plan{Ops: ops(sy)}, nil},
		{"zh 从开始删除", "从1:00开始删除", Plan{Ops: ops(Op{Kind: KindCut, Start: 60})}, nil},
		{"zh 之后", "删除1:00之后的部分", Plan{Ops: ops(Op{Kind: KindCut, Start: 60})}, nil},
		{"zh 把前剪掉", "把前10秒剪掉", Plan{Ops: ops(Op{Kind: KindCut, End: 10})}, nil},
		{"zh 淡入淡出", "降噪，然后淡入淡出", Plan{Ops: ops(dn, Op{Kind: KindFade, FadeIn: 1, FadeOut: 1})}, nil},
		{"zh 嗡嗡声", "去掉嗡嗡声", Plan{Ops: ops(dn)}, nil},
		{"zh export only", "导出mp4格式的视频", Plan{ThenExport: true, Format: "mp4"}, ErrNoOps},
		{"zh 十分 is not ten minutes", "让声音十分清晰", Plan{Unparsed: []string{"让声音十分清晰"}}, ErrNoOps},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tc.in)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Parse(%q) error = %v, want %v", tc.in, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}
