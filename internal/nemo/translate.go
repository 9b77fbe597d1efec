package nemo

import (
	"regexp"
	"strings"
)

// guiRule turns a sentence that assumes NemoVideo's web GUI into what
// the user can do through this server's tools.
type guiRule struct {
	re *regexp.Regexp
	// to is the replacement; "{summary}" is the timeline summary.
	to string
}

// guiRules, first match wins. Order matters: "click the Export button"
// is an export, not a generic click.
var guiRules = []guiRule{
	{regexp.MustCompile(`(?i)export button|\bclick(ing)? (on )?(the )?["'“]?export|导出`), "To get the file, ask to export (the export tool renders and downloads it)."},
	{regexp.MustCompile(`(?i)\b(check|view|see|visit)\b[^.!?。]{0,30}\b(account|billing|balance|credits? page)\b|账户|充值`), "The credits tool shows your balance."},
	{regexp.MustCompile(`(?i)\bpreview\b[^.!?。]{0,30}\b(timeline|track|player|viewer|preview window|editor)|\b(play|watch)\b[^.!?。]{0,20}\bin the (player|viewer)\b|时间线.{0,10}预览|预览.{0,10}时间线|播放器`), "{summary}"},
	{regexp.MustCompile(`(?i)\b(open|go to|head to|navigate to|switch to)\b[^.!?。]{0,40}\b(panel|tab|menu|sidebar|window|editor|library|timeline|settings|page|workspace|dashboard)\b|打开|进入.{0,10}(页面|面板|工作台)`), "{summary}"},
	{regexp.MustCompile(`(?i)\bdrag\b|drag[- ]and[- ]drop|拖拽|拖动`), "To move or place something, describe it in an edit (for example \"move the title to 5s\")."},
	// Only an instruction to click (or press a key) is a GUI step: "the
	// click at 0:03" and "de-click" are audio defects and their repair.
	{regexp.MustCompile(`(?i)^(?:(?:please|then|now|just|simply|next|first|and|or|you can|you may|you'll need to|you need to|you should)[,]?\s+)*(?:click|tap|press|hit|select|choose|double-click)\b|(?:^|[,;:]\s*|\b(?:then|and|please|just|simply|now|can|may|to|should|must)\s+)(?:click|tap|press|hit)\s+(?:on\s+)?(?:the\s+)?["'“]?[A-Z]|点击|单击|按下`), "Say what to do in an edit and it is done through the API (for example \"apply it\")."},
}

// sentenceEnd splits text into sentences, keeping the ends; Chinese text
// is split at its clause marks too (，；), so that "…，点击导出…" loses
// only its GUI clause.
var sentenceEnd = regexp.MustCompile(`[.!?。！？\n，；]+\s*`)

// TranslateGUI rewrites the agent's GUI instructions ("click Export",
// "open the panel", "drag the clip", "preview in the timeline", "check
// your billing"; also 点击, 打开, 拖拽, 导出) into tool actions, keeping
// content sentences as they are. summary replaces "preview"/"open"
// sentences (the current timeline). Each replacement appears once.
func TranslateGUI(text, summary string) string {
	if text == "" {
		return ""
	}
	if summary == "" {
		summary = "The state tool shows the timeline."
	} else {
		summary = "Current timeline: " + summary
	}
	var out strings.Builder
	used := map[string]bool{}
	last := 0
	emit := func(sentence string) {
		core := strings.TrimSpace(sentence)
		if core == "" {
			out.WriteString(sentence)
			return
		}
		for _, r := range guiRules {
			if r.re.MatchString(core) {
				rep := strings.ReplaceAll(r.to, "{summary}", summary)
				if used[rep] {
					return
				}
				used[rep] = true
				out.WriteString(rep)
				if strings.HasSuffix(sentence, "\n") {
					out.WriteString("\n")
				} else {
					out.WriteString(" ")
				}
				return
			}
		}
		out.WriteString(sentence)
	}
	for _, loc := range sentenceEnd.FindAllStringIndex(text, -1) {
		emit(text[last:loc[1]])
		last = loc[1]
	}
	if last < len(text) {
		emit(text[last:])
	}
	return strings.TrimSpace(out.String())
}
