package intent

import (
	"regexp"
	"strings"
	"unicode"
)

var (
	stateRe   = regexp.MustCompile(`\bstatus\b|\bstate\b|\bprogress\b|\btimeline\b|\b(?:show|list|see|view|display|what|which)\b.*\btracks?\b|^tracks?$|\btrack list\b|\bhow'?s (?:it|the \w+) going\b|\bis (?:it|the \w+) (?:ready|done|finished)\b|\b(?:ready|done) yet\b|\bwhere are we\b|\bwhat have you done\b|\bsummary\b|状态|进度|进展|轨道|时间线|好了吗|完成了吗`)
	creditsRe = regexp.MustCompile(`\bcredits?\b|\bbalance\b|\bquota\b|积分|余额|额度|点数`)
	// "balance the levels", "balance left and right": a verb, not an account.
	balanceVerbRe = regexp.MustCompile(`\bbalance\s+(?:the|between|out|left|right|audio|sound|levels?|channels?|mix|volume|it)\b`)
	uploadRe      = regexp.MustCompile(`\bupload\w*|上传|\bhere(?:'s| is) (?:my|the|a) (?:file|audio|video|recording)\b`)
	// Words that make a clause an edit request for the agent even though this
	// package has no operation for them.
	editWordRe = regexp.MustCompile(`\b(?:add|adding|insert|generate|create|make|change|replace|apply|remove|delete|cut|trim|mix|put|overlay|edit|adjust|increase|decrease|boost|lower|raise|translate|speed|slow|crop|rotate|resize|reverse|split|merge|join|extend|enhance|fix|improve|transcribe|dub)\b|\bwith (?:\w+ )?(?:music|bgm|subtitles?|captions?|titles?|text|logo|watermark)\b|添加|加上|加入|插入|生成|制作|修改|剪辑|替换|删除|删掉|去掉|剪掉|字幕|调整|合并|裁剪|变速|加速|减速|翻译|增强|修复|美化`)
)

// maxCommandWords and maxCommandHan bound a clause Route may send away from
// edit: commands are short, and a long sentence is a request for the agent.
const (
	maxCommandWords = 12
	maxCommandHan   = 24
)

// command returns the command a clause asks for, or "". A status word wins
// ("export status" is state); otherwise the command named first wins.
func command(c string) Action {
	if stateRe.MatchString(c) {
		return ActionState
	}
	best, at := Action(""), len(c)+1
	try := func(a Action, loc []int) {
		if loc != nil && loc[0] < at {
			best, at = a, loc[0]
		}
	}
	if !balanceVerbRe.MatchString(c) {
		try(ActionCredits, creditsRe.FindStringIndex(c))
	}
	try(ActionUpload, uploadRe.FindStringIndex(c))
	try(ActionExport, exportStrongRe.FindStringIndex(c))
	try(ActionExport, exportWeakRe.FindStringIndex(c))
	return best
}

func tooLong(c string) bool {
	han := 0
	for _, r := range c {
		if unicode.Is(unicode.Han, r) {
			han++
		}
	}
	return len(strings.Fields(c)) > maxCommandWords || han > maxCommandHan
}
