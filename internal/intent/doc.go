// Package intent turns what a user types, in English or Chinese, into one
// typed Plan (Parse): where the text goes (Action), the edit operations
// with their parameters, the export asked for (format, file, resolution),
// and the clauses refused with the reason. It is pure, deterministic Go
// with no knowledge of MCP, ffmpeg or the cloud backend, so a CLI or a test
// can use it alone.
//
// The rule is that nothing is guessed: every clause ends as operations, an
// export request, a "don't export", a command, politeness, a declined
// (negated) operation, or a refusal (Plan.Clauses). Out-of-range values
// (-100 LUFS, 80 dB, a 3x speed) are refused, never replaced by a default.
// A refused clause that names its own operation leaves the rest standing;
// one that qualifies the others ("... but only where he speaks", "don't
// touch the intro") holds the whole plan (Plan.Held). An export is not
// started when any clause was refused (Plan.ExportToStart). The sentence
// for a result's first line is Plan.RefusalLine.
//
// # Text preparation
//
// Both entry points first take out the file the text names (Plan.Target):
// a quoted or bare name with a media extension ("interview.wav", a leading
// Chinese preposition such as 对 is not part of the name), else "file 2",
// "the second file", "第二个文件", "文件2" (all "#2"). Then the text is
// lower-cased, full-width characters and typographic dashes are folded,
// number words become digits ("two" -> 2, "minus sixteen" -> -16, "half a
// second" -> 0.5 second, 两秒 -> 2秒, 一分三十秒 -> 1分30秒, 半秒 -> 0.5秒;
// 十分 is a number only before 钟 or seconds, never in 十分安静), and only
// the first 4 KiB is read.
//
// # Clauses
//
// Text is split into clauses at , ; 、 。 & and the words "and", "then",
// "and then", "after that", "also", "but", "as well as", 然后, 接着, 再,
// 并且, 以及, 同时, 还有, 和, 跟. A fragment that names no operation, export or
// format and is short (three words or four Chinese characters at most),
// holds a number, or starts like a continuation ("out", "the end", "the
// last") is merged back into its neighbour, so "fade in and out", "between
// 1:00 and 2:00", "sync audio and video" and "trim silence at the start and
// end" each stay one clause. Longer fragments that match nothing are
// refused as not understood (politeness such as "please" is dropped).
//
// # Routing
//
// Plan.Action (Route is a shorthand) follows the routing table of the
// backend protocol:
//
//	export, 导出, download, 下载, render, send me the video, 发给我, save as  -> ActionExport
//	credits, 积分, balance, 余额, quota, 额度                                 -> ActionCredits
//	status, 状态, progress, 进度, show tracks, 轨道, timeline, 时间线          -> ActionState
//	upload, 上传                                                             -> ActionUpload
//	start a new project, new session, 新建项目                               -> ActionNewSession
//	everything else                                                          -> ActionEdit
//
// Only short commands route away from edit: every clause must be a command
// (at most 12 words or 24 Chinese characters) or politeness, with no
// operation, no refusal and no edit word (add, replace, 字幕...). A command
// word after a negation is not a command: "don't export yet", "do not
// render", 不要导出, "no export" set Plan.NoExport and route to edit.
// Within a clause a status word wins ("export status" is state). "balance"
// followed by the, left, channels... is the verb, not an account. Text that
// is only a file name or path is ActionUpload; empty text is ActionEdit.
//
// # Operations
//
// Each clause yields operations in text order; one clause may name several
// ("denoise normalize"), whose parameters are read from the text between
// triggers. Rules where the product brief is silent:
//   - A negation ("don't", "without", "skip", "no export", 不要, 别, 不用)
//     ends the positive part of a clause; what follows it is declined when it
//     names an operation, export or a known thing (music, subtitles), else
//     the clause is refused as a constraint that cannot be checked.
//   - Requests no engine here renders are refused with the reason: filler
//     words (um, uh, 语气词: no speech recognizer), music, cropping and
//     reframing, subtitles/translation, pitch, reverb, titles, compressors,
//     EQ beyond the presets.
//   - Words that limit an operation to part of the recording (after, before,
//     where, the intro, the second question, 之后, 开头...) must come with a
//     time range; otherwise the clause is refused ("give times, e.g.
//     0:10-0:20"). Ranges are timeline times as for cut: "denoise 0:10-0:20",
//     "only the first minute" (0..60), "the last 30 seconds", "after 2:00".
//     Denoise, trim silence, volume, speed, mute and bleep take a range; the
//     others refuse one. Mute and bleep need one.
//   - Trim silence "at the start and (the) end", 开头和结尾 sets Edges (only
//     leading/trailing silence); "the pause after 2:00" is FirstOnly.
//   - Speed 0.5-2x ("1.5x", "by 50%", "to 80%", "slow down by 2x" = 0.5x);
//     without an amount it is refused. Mono/stereo: the last named wins.
//     Balance: "balance the left and right channels" equalizes; "pan 30%
//     left" is -0.3, "pan hard right" 1; a pan without an amount is refused.
//     Hum: 50 or 60 Hz if said, else detected. EQ presets: high-pass (80 Hz
//     or 20-300 Hz as said), warmer, brighter, de-ess, bass (+6 dB, "less
//     bass" -6 dB, or ±12 dB as said). Leveler: "make both speakers equally
//     loud", 音量一致. Breaths: "remove breaths", 去除呼吸声.
//   - Cut and keep need a verb (cut, remove, delete, trim, 删除, 剪掉... or
//     keep, "trim to", "cut down to", 只保留, 截取...) and a range, and only
//     apply in a clause with no other operation: "fade out the last 3
//     seconds" is a fade. Ranges: "first 10 s" 0..10; "last 5 s", 最后/后5秒
//     -5..0 (End 0 is the end); "1:00 to 1:30", "10-25", "between 1 and 2
//     minutes" (a bare number takes the unit of the other end); "from/after
//     2:00", 从2:00开始 2:00..end; "before 0:10" 0..10; for keep also "to 30
//     s" or a bare length 0..30. Reversed ranges are swapped. A cut verb
//     without a range is refused.
//   - Denoise: gentle/light/slight/轻微 0.5, strong/aggressive/heavy/
//     completely/强力/彻底 1.0, "70%" or "strength 0.7" as given; model
//     fast/quick/rnnoise/快速 "fast", best/neural/AI/high quality/最佳 "best",
//     classic/ffmpeg/afftdn/传统 "classic". "clean"/"cleaning"/清理 is denoise.
//   - Trim silence covers leading and trailing silence too. A length after
//     "longer than/over/超过" or before "or more/以上" is MinPause; one
//     after keep/leave/with/保留 or before padding/margin is Margin; with a
//     shorten verb (shorten, tighten, compress, reduce, 缩短) one after
//     to/到 is ShortenTo, and shorten without a length is DefaultShortenTo
//     (0.5 s). Any other length is MinPause; a dB number is ThresholdDB.
//   - Loudness: unsigned targets are read as negative; targets outside
//     -60..-5 LUFS and peaks outside -20..0 dBTP are refused. "dB" in a
//     loudness clause is LUFS unless it is near "peak"/"ceiling"/峰值. Presets
//     apply when no number is given: ATSC -24, broadcast/EBU/R128/TV -23,
//     Spotify/YouTube/streaming/TikTok -14, podcast -16.
//   - Fade: a length goes to the nearest direction said before it, else the
//     next one after it; one length with both directions applies to both; a
//     direction without a length is DefaultFade (1 s); "fade"/"add fades"
//     without direction is both. Consecutive fade ops are merged.
//   - Volume: sign or direction word; "double"/加倍 +6 dB, "halve"/减半 -6
//     dB, "by 50%" and "2x" convert to dB; a direction alone is
//     ±DefaultGainDB (3 dB); "adjust the volume" alone is refused, and so
//     are gains beyond ±60 dB, fades over 600 s, pauses over 60 s, more than
//     100 undo steps.
//   - Undo/redo take the first whole number as Count ("undo the last 2
//     edits", "撤销两步", "twice"); undo wins over anything else in its clause.
//   - Neighbouring ops of the same kind (denoise, trim_silence, loudness,
//     fade, sync) merge when their fields do not clash.
//
// # Export
//
// Plan.Export.Format is the last of mp4 mov mkv webm mp3 wav m4a aac named
// outside a file name and not after a determiner ("the wav", "this mp4",
// 原mp4 name the input) unless an export verb comes just before it ("send
// me the mp3", "convert the wav to mp3" gives mp3); Resolution is 1080p,
// 720p, 4k, WIDTHxHEIGHT if named; File is Plan.Target. A format, a
// resolution, "export"/"render"/导出/渲染, or "download"/"send me"/"save
// as"/下载/发给我 in a clause without an operation sets Plan.Export, unless
// the text says not to export (Plan.NoExport). Text that is only an export
// ("export as mp3", 导出mp3) is ActionExport with the format.
package intent
