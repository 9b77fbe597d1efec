package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

// prompt is one MCP prompt: a common workflow, in English or Chinese.
type prompt struct {
	def     mcp.Prompt
	handler server.PromptHandlerFunc
}

// promptArg is one argument of a prompt.
type promptArg struct {
	name, desc string
	required   bool
	def        string // the value used when absent
}

// promptSpec is a workflow: its text in each language, with {arg}
// placeholders.
type promptSpec struct {
	name, title, desc string
	args              []promptArg
	en, zh            string
}

var languageArg = promptArg{name: "language", desc: "Language of the instructions: en (default) or zh (中文).", def: "en"}

var promptSpecs = []promptSpec{
	{
		name: "clean_podcast", title: "Clean a podcast",
		desc: "Remove background noise, trim long silences and normalize loudness of a spoken recording, then export it.",
		args: []promptArg{
			{name: "path", desc: "Absolute path of the recording (wav, mp3, m4a, or a video).", required: true},
			{name: "loudness", desc: "Target loudness in LUFS, default -16 (podcasts); -14 for streaming music platforms.", def: "-16"},
			{name: "format", desc: "Output format, default mp3 (or wav m4a aac mp4).", def: "mp3"},
			languageArg,
		},
		en: `Clean up the podcast recording at {path}.
1. Call upload with paths ["{path}"].
2. Call edit with the instruction "remove background noise, trim silence and normalize to {loudness} LUFS".
3. Call state to check what was applied (waveform: true shows a picture of the timeline).
4. Call export with format "{format}"; if it returns a job_id, call export_status until it completes.
Tell me the output path, its measured loudness and any notes the export gave.`,
		zh: `请清理位于 {path} 的播客录音。
1. 调用 upload，paths 为 ["{path}"]。
2. 调用 edit，指令为“去除背景噪音，删除静音，然后把响度标准化到 {loudness} LUFS”。
3. 调用 state 检查已应用的编辑（waveform: true 可查看时间线的波形图）。
4. 调用 export，format 为 "{format}"；如果返回 job_id，请调用 export_status 直到完成。
最后告诉我输出文件路径、实测响度以及导出给出的说明。`,
	},
	{
		name: "sync_camera_recorder", title: "Sync camera and recorder",
		desc: "Replace a camera's scratch sound with a separate recorder's audio, aligned by cross-correlation, and export the video.",
		args: []promptArg{
			{name: "video", desc: "Absolute path of the camera video.", required: true},
			{name: "audio", desc: "Absolute path of the recorder's audio file.", required: true},
			{name: "format", desc: "Output format, default mp4 (or mov mkv webm).", def: "mp4"},
			languageArg,
		},
		en: `Sync the recorder audio {audio} to the camera video {video}.
1. Call upload with paths ["{video}", "{audio}"].
2. Call edit with the instruction "sync audio to video".
3. Call state and report the measured offset and its confidence; if the confidence is low, tell me instead of exporting.
4. Call export with format "{format}"; if it returns a job_id, call export_status until it completes.
Tell me the output path.`,
		zh: `请把录音机的音频 {audio} 与摄像机视频 {video} 对齐。
1. 调用 upload，paths 为 ["{video}", "{audio}"]。
2. 调用 edit，指令为“音画同步”。
3. 调用 state，报告测得的偏移量和置信度；如果置信度低，请告诉我，不要导出。
4. 调用 export，format 为 "{format}"；如果返回 job_id，请调用 export_status 直到完成。
最后告诉我输出文件路径。`,
	},
	{
		name: "vertical_clip", title: "Make a vertical clip",
		desc: "Cut a range out of a video and reframe it to 9:16 (1080x1920) for Shorts, Reels or TikTok.",
		args: []promptArg{
			{name: "path", desc: "Absolute path of the video.", required: true},
			{name: "start", desc: "Start of the clip, e.g. 1:05 (default: the beginning).", def: "0:00"},
			{name: "end", desc: "End of the clip, e.g. 1:50 (default: 1 minute after the start).", def: ""},
			languageArg,
		},
		en: `Make a vertical clip of {path} from {start} to {end}.
1. Call upload with paths ["{path}"].
2. Call edit with the instruction "keep only {start}-{end}".
3. Call edit with the instruction "make it vertical".
4. Call state to check the timeline.
5. Call export with format "mp4" and resolution "1080x1920"; if it returns a job_id, call export_status until it completes.
Tell me the output path and its duration.`,
		zh: `请把 {path} 从 {start} 到 {end} 做成竖屏短片。
1. 调用 upload，paths 为 ["{path}"]。
2. 调用 edit，指令为“只保留{start}到{end}”。
3. 调用 edit，指令为“改成竖屏”。
4. 调用 state 检查时间线。
5. 调用 export，format 为 "mp4"，resolution 为 "1080x1920"；如果返回 job_id，请调用 export_status 直到完成。
最后告诉我输出文件路径和时长。`,
	},
	{
		name: "add_music_bed", title: "Add a music bed",
		desc: "Put background music under a voice recording or video, ducked under the speech, and export the mix.",
		args: []promptArg{
			{name: "path", desc: "Absolute path of the voice recording or video.", required: true},
			{name: "music", desc: "Absolute path of the music file.", required: true},
			{name: "volume", desc: "Music volume in percent of full scale, default 20.", def: "20"},
			{name: "format", desc: "Output format, default mp3 (mp4 for a video).", def: "mp3"},
			languageArg,
		},
		en: `Add the music {music} as a background bed under {path}.
1. Call upload with paths ["{path}", "{music}"].
2. Call edit with the instruction "add {music_name} as background music at {volume}%".
3. Call state to check the timeline (waveform: true shows the bed under the voice).
4. Call export with format "{format}"; if it returns a job_id, call export_status until it completes.
Tell me the output path and its measured loudness.`,
		zh: `请把音乐 {music} 作为背景音乐垫在 {path} 下面。
1. 调用 upload，paths 为 ["{path}", "{music}"]。
2. 调用 edit，指令为“添加{music_name}作为背景音乐，音量{volume}%”。
3. 调用 state 检查时间线（waveform: true 可看到人声下的背景音乐）。
4. 调用 export，format 为 "{format}"；如果返回 job_id，请调用 export_status 直到完成。
最后告诉我输出文件路径和实测响度。`,
	},
}

// prompts returns the workflow prompts.
func prompts() []prompt {
	out := make([]prompt, 0, len(promptSpecs))
	for _, sp := range promptSpecs {
		opts := []mcp.PromptOption{mcp.WithPromptTitle(sp.title), mcp.WithPromptDescription(sp.desc)}
		for _, a := range sp.args {
			aopts := []mcp.ArgumentOption{mcp.ArgumentDescription(a.desc)}
			if a.required {
				aopts = append(aopts, mcp.RequiredArgument())
			}
			opts = append(opts, mcp.WithArgument(a.name, aopts...))
		}
		out = append(out, prompt{def: mcp.NewPrompt(sp.name, opts...), handler: sp.handle})
	}
	return out
}

// handle fills the prompt's text with the arguments.
func (sp promptSpec) handle(_ context.Context, req mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
	vals := map[string]string{}
	for _, a := range sp.args {
		v := strings.TrimSpace(req.Params.Arguments[a.name])
		if v == "" {
			if a.required {
				return nil, fmt.Errorf("prompt %s needs the argument %q: %s", sp.name, a.name, a.desc)
			}
			v = a.def
		}
		vals[a.name] = v
	}
	for name := range req.Params.Arguments {
		if !sp.has(name) {
			return nil, fmt.Errorf("prompt %s has no argument %q; its arguments are %s", sp.name, name, sp.argNames())
		}
	}
	text := sp.en
	switch strings.ToLower(vals["language"]) {
	case "en", "english":
	case "zh", "zh-cn", "zh-hans", "cn", "chinese", "中文":
		text = sp.zh
	default:
		return nil, fmt.Errorf("prompt %s: language %q is not offered; use en or zh", sp.name, vals["language"])
	}
	if sp.name == "vertical_clip" && vals["end"] == "" {
		vals["end"] = plusMinute(vals["start"])
	}
	if m, ok := vals["music"]; ok {
		vals["music_name"] = baseName(m)
	}
	for k, v := range vals {
		text = strings.ReplaceAll(text, "{"+k+"}", v)
	}
	return mcp.NewGetPromptResult(sp.desc, []mcp.PromptMessage{
		mcp.NewPromptMessage(mcp.RoleUser, mcp.NewTextContent(text)),
	}), nil
}

func (sp promptSpec) has(name string) bool {
	for _, a := range sp.args {
		if a.name == name {
			return true
		}
	}
	return false
}

func (sp promptSpec) argNames() string {
	names := make([]string, len(sp.args))
	for i, a := range sp.args {
		names[i] = a.name
	}
	return strings.Join(names, ", ")
}

// plusMinute is a time like 1:05 (or seconds) plus one minute, as m:ss.
func plusMinute(t string) string {
	var m, s int
	if _, err := fmt.Sscanf(t, "%d:%d", &m, &s); err != nil {
		if _, err := fmt.Sscanf(t, "%d", &s); err != nil {
			return "1:00"
		}
		m = 0
	}
	total := m*60 + s + 60
	return fmt.Sprintf("%d:%02d", total/60, total%60)
}

// baseName is the file name of a path, either slash.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}
