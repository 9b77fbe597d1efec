package intent

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRoute(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Action
	}{
		// Export.
		{"export", "export", ActionExport},
		{"export the video", "export the video", ActionExport},
		{"export as mp3", "export as mp3", ActionExport},
		{"export polite", "Export it as MOV please", ActionExport},
		{"download", "download", ActionExport},
		{"send me the video", "send me the video", ActionExport},
		{"render", "render it", ActionExport},
		{"save as", "save it as wav", ActionExport},
		{"download denoised", "download the denoised version", ActionExport},
		{"export without", "export without normalizing", ActionExport},
		{"zh 导出", "导出", ActionExport},
		{"zh 导出视频", "导出视频", ActionExport},
		{"zh 下载", "下载", ActionExport},
		{"zh 发给我", "把视频发给我", ActionExport},
		{"zh 导出为", "导出为mp3", ActionExport},

		{"export to mp4 1080p", "can you export it to mp4 in 1080p", ActionExport},
		{"zh 帮我导出", "帮我把视频导出", ActionExport},

		// Credits.
		{"credits", "credits", ActionCredits},
		{"balance", "balance", ActionCredits},
		{"what's my balance", "what's my balance", ActionCredits},
		{"how many credits", "how many credits do I have", ActionCredits},
		{"curly apostrophe", "what’s my balance?", ActionCredits},
		{"zh 积分", "积分", ActionCredits},
		{"zh 余额", "余额", ActionCredits},
		{"zh 还剩", "还剩多少积分", ActionCredits},
		{"zh 查询余额", "查询余额", ActionCredits},

		{"credit balance", "What is my credit balance?", ActionCredits},

		// State.
		{"status", "status", ActionState},
		{"what's the status", "what's the status", ActionState},
		{"show tracks", "show tracks", ActionState},
		{"show the timeline", "show the timeline", ActionState},
		{"timeline look", "what does the timeline look like", ActionState},
		{"export status", "export status", ActionState},
		{"export going", "how's the export going", ActionState},
		{"zh 状态", "状态", ActionState},
		{"zh 查看轨道", "查看轨道", ActionState},
		{"zh 时间线", "显示时间线", ActionState},

		{"show me the tracks", "show me the tracks", ActionState},
		{"list tracks", "list tracks", ActionState},
		{"where are we", "where are we", ActionState},

		// Upload.
		{"upload", "upload", ActionUpload},
		{"upload file", "upload interview.wav", ActionUpload},
		{"want to upload", "I want to upload a file", ActionUpload},
		{"upload music", "upload a background music track", ActionUpload},
		{"zh 上传", "上传", ActionUpload},
		{"zh 上传文件", "上传文件", ActionUpload},

		{"here is my file", "here is my file interview.wav", ActionUpload},
		{"only a path", "/home/me/talk.mp4", ActionUpload},
		{"only file 2", "file 2", ActionEdit},

		// Edits, including ones that mention the command words in passing.
		{"empty", "", ActionEdit},
		{"please", "please", ActionEdit},
		{"hello", "hello", ActionEdit},
		{"denoise", "remove background noise", ActionEdit},
		{"product 1", "remove background noise, trim silence, and sync audio to video", ActionEdit},
		{"product 2", "edit a 3-minute podcast recording with background noise into a 1080p MP4", ActionEdit},
		{"product 3", "cleaning and syncing audio tracks in videos for content creators", ActionEdit},
		{"then export", "remove noise and then export", ActionEdit},
		{"upload silence", "trim silence at the start of the upload", ActionEdit},
		{"download volume", "normalize the download volume", ActionEdit},
		{"export subtitles", "export the video with subtitles", ActionEdit},
		{"add music export", "add background music and export", ActionEdit},
		{"balance verb", "balance the left and right channels", ActionEdit},
		{"undo", "undo", ActionEdit},
		{"credits noise", "remove the noise from the credits section", ActionEdit},
		{"export cut", "cut the first 5 seconds before you export", ActionEdit},
		{"timeline fade", "fade out the end of the timeline", ActionEdit},
		{"long export request", "export a version where the intro is shorter and the outro music is quieter than before", ActionEdit},
		{"zh 删除上传", "删除上传文件开头的静音", ActionEdit},
		{"zh 导出音量", "把导出的视频音量调大", ActionEdit},
		{"zh 字幕导出", "给视频加字幕然后导出", ActionEdit},
		{"zh 降噪导出", "降噪然后导出", ActionEdit},
		{"zh 轨道同步", "同步音频轨道", ActionEdit},
		{"upload and denoise", "upload another file and denoise it", ActionEdit},
		{"zh 积分 edit", "把积分那一段的噪音去掉", ActionEdit},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, Route(tc.in)); diff != "" {
				t.Errorf("Route(%q) mismatch (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}
