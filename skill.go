// Package mcpaudioedit holds the skill description the server ships:
// SKILL.md, embedded, whose YAML frontmatter names the skill and its
// version (sent to NemoVideo as attribution headers).
package mcpaudioedit

import (
	_ "embed"
	"strings"
)

// SkillMD is the embedded SKILL.md.
//
//go:embed SKILL.md
var SkillMD []byte

// Skill returns the name and version from SKILL.md's frontmatter.
func Skill() (name, version string) {
	fm := Frontmatter(SkillMD)
	return fm["name"], fm["version"]
}

// Frontmatter parses the top-level "key: value" pairs of a document's
// YAML frontmatter (between a first line "---" and the next "---").
// Nested keys, list items and comments are skipped; values lose one pair
// of surrounding quotes. A document without frontmatter gives an empty map.
func Frontmatter(doc []byte) map[string]string {
	out := map[string]string{}
	s := strings.ReplaceAll(string(doc), "\r\n", "\n")
	s = strings.TrimPrefix(s, "\ufeff")
	if !strings.HasPrefix(s, "---\n") {
		return out
	}
	s = s[len("---\n"):]
	for _, line := range strings.Split(s, "\n") {
		if strings.TrimRight(line, " \t") == "---" {
			return out
		}
		if line == "" || line[0] == ' ' || line[0] == '\t' || line[0] == '#' || line[0] == '-' {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if i := strings.Index(v, " #"); i >= 0 && !strings.HasPrefix(v, `"`) && !strings.HasPrefix(v, "'") {
			v = strings.TrimSpace(v[:i])
		}
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		out[k] = v
	}
	return map[string]string{} // no closing fence: not frontmatter
}
