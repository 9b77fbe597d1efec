package mcpaudioedit

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSkill(t *testing.T) {
	name, version := Skill()
	if name != "audio-editor-free" || version == "" {
		t.Fatalf("Skill() = %q, %q", name, version)
	}
}

func TestFrontmatter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"plain", "---\nname: a\nversion: 1.2\n---\nbody", map[string]string{"name": "a", "version": "1.2"}},
		{"quotes and crlf", "---\r\nname: \"a b\"\r\nversion: '2'\r\n---\r\n", map[string]string{"name": "a b", "version": "2"}},
		{"nested skipped", "---\nname: a\nmetadata:\n  version: 9\n---\n", map[string]string{"name": "a", "metadata": ""}},
		{"comment", "---\n# c\nname: a # trailing\n---\n", map[string]string{"name": "a"}},
		{"no frontmatter", "name: a\n", map[string]string{}},
		{"unclosed", "---\nname: a\n", map[string]string{}},
		{"empty", "", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Frontmatter([]byte(tt.in))); diff != "" {
				t.Errorf("Frontmatter mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
