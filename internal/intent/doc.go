// Package intent turns what a user types, in English or Chinese, into an
// action (Route) and a list of edit operations with parameters (Parse). It is
// pure, deterministic Go with no knowledge of MCP, ffmpeg or the cloud
// backend, so a CLI or a test can use it alone.
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
// returned in Plan.Unparsed (politeness such as "please" is dropped).
//
// # Routing
//
// Route maps text to the routing table of the backend protocol:
//
//	export, 导出, download, 下载, render, send me the video, 发给我, save as  -> ActionExport
//	credits, 积分, balance, 余额, quota, 额度                                 -> ActionCredits
//	status, 状态, progress, 进度, show tracks, 轨道, timeline, 时间线          -> ActionState
//	upload, 上传                                                             -> ActionUpload
//	everything else                                                          -> ActionEdit
//
// Only short commands route away from edit. Text routes to a command only
// when every clause is a command (at most 12 words or 24 Chinese
// characters) or politeness, and:
//   - no clause holds an edit operation Parse would return: "remove noise and
//     then export", "trim silence at the start of the upload" and "normalize
//     the download volume" are edits (Parse sets ThenExport for the first);
//   - no clause holds a word that asks the agent for an edit this package
//     cannot parse (add, generate, replace, "with subtitles", 字幕, 添加...):
//     "add background music and export" and "export the video with subtitles"
//     are edits for the agent.
//
// Within a clause a status word wins ("export status", "how's the export
// going" are state); otherwise the command named first wins. Across clauses
// the first command wins. "balance" followed by the, left, levels,
// channels... is the verb, not an account ("balance the left and right
// channels" is an edit). Text that is only a file name or path is
// ActionUpload ("a file is given"). Participles are not edit triggers, so "download
// the denoised version" is an export. Empty text is ActionEdit.
//
// # Operations
//
// Each clause yields operations in text order; one clause may name several
// ("denoise and normalize" after splitting, or "denoise normalize" within
// one clause, whose parameters are read from the text between triggers).
// Rules where the product brief is silent:
//   - A trigger after a negation in the same clause ("don't", "without",
//     "skip", 不要, 别, 不用) is dropped: "export without normalizing" has no
//     loudness op.
//   - Filler-word removal ("um", "uh", "filler words", 语气词, 口头禅) is not
//     supported: such a clause goes to Unparsed even if it says "gaps".
//   - Volume yields to denoise and loudness in the same clause: "normalize
//     the volume"/音量标准化 is loudness, "turn down the hum" is denoise.
//     "level" is loudness only when nothing else matched ("noise level").
//   - Cut and keep need a verb (cut, remove, delete, trim, 删除, 剪掉... or
//     keep, "trim to", "cut down to", 只保留, 截取...) and a range, and only
//     apply in a clause with no other operation: "remove the noise in the
//     first 10 s" is denoise, "fade out the last 3 seconds" is a fade.
//     Ranges: "first 10 s" 0..10; "last 5 s", 最后/后5秒 -5..0 (End 0 is the
//     end); "1:00 to 1:30", "10-25", "between 1 and 2 minutes" (a bare number
//     takes the unit of the other end); "from/after 2:00", 从2:00开始 2:00..end;
//     "before 0:10" 0..10; for keep also "to 30 s" or a bare length 0..30.
//     Reversed ranges are swapped; empty ones dropped. A cut verb without a
//     range yields nothing.
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
//   - Loudness: positive targets are read as negative; targets outside
//     -70..-5 LUFS and peaks outside -20..0 dBTP are ignored. "dB" in a
//     loudness clause is LUFS unless it is near "peak"/"ceiling"/峰值. Presets
//     apply when no number is given: ATSC -24, broadcast/EBU/R128/TV -23,
//     Spotify/YouTube/streaming/TikTok -14, podcast -16.
//   - Fade: a length goes to the nearest direction said before it, else the
//     next one after it; one length with both directions applies to both; a
//     direction without a length is DefaultFade (1 s); "fade"/"add fades"
//     without direction is both. Consecutive fade ops are merged.
//   - Volume: sign or direction word; "double"/加倍 +6 dB, "halve"/减半 -6
//     dB, "by 50%" and "2x" convert to dB; a direction alone is
//     ±DefaultGainDB (3 dB); "adjust the volume" alone yields nothing.
//   - Undo/redo take the first whole number as Count ("undo the last 2
//     edits", "撤销两步", "twice"); undo wins over anything else in its clause.
//   - Neighbouring ops of the same kind (denoise, trim_silence, loudness,
//     fade, sync) merge when their fields do not clash.
//
// # Export
//
// Plan.Format is the last of mp4 mov mkv webm mp3 wav m4a aac named outside
// a file name and not after a determiner ("the wav", "this mp4", 原mp4 name
// the input) unless an export verb comes just before it ("send me the mp3",
// "convert the wav to mp3" gives mp3). A format, "export"/"render"/导出/渲染 anywhere, or
// "download"/"send me"/"save as"/下载/发给我 in a clause without an
// operation sets Plan.ThenExport. Resolutions such as "1080p" are not
// captured. Text that is only an export ("export as mp3") gives ErrNoOps with
// ThenExport and Format set: callers should route it first.
package intent
