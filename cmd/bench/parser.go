package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/mcp-audioedit/mcp-audioedit/internal/intent"
)

// casesFile is the parser's table test: group, category, instruction,
// expected plan (intent.Plan.Compact).
const casesFile = "internal/intent/testdata/cases.tsv"

// parserCoverage reports the edit language's table by category: how many
// instructions, how many give operations, an export or a command, how many
// are refused (with a reason), and how many match their expected plan
// exactly.
func (b *bench) parserCoverage() error {
	f, err := os.Open(casesFile)
	if err != nil {
		return fmt.Errorf("parser coverage: %w (run from the repository root)", err)
	}
	defer f.Close()
	type row struct{ n, ops, export, refused, noExport, exact int }
	rows := map[string]*row{}
	groups := map[string]*row{}
	total := &row{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != 4 {
			return fmt.Errorf("parser coverage: bad row %q", line)
		}
		p := intent.Parse(c[2])
		for _, r := range []*row{rowOf(rows, c[1]), rowOf(groups, c[0]), total} {
			r.n++
			if len(p.Ops) > 0 {
				r.ops++
			}
			if p.Export != nil || p.Action != intent.ActionEdit {
				r.export++
			}
			if len(p.Refused) > 0 {
				r.refused++
			}
			if p.NoExport {
				r.noExport++
			}
			if p.Compact() == c[3] {
				r.exact++
			}
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	b.p("## Edit language coverage\n\nThe parser's table test (`%s`): every instruction with its exact expected plan or refusal. \"ops\" gives at least one operation, \"export/command\" an export request or a routed command (state, credits, upload, new session), \"refused\" at least one clause refused with its reason in the first line of the result, \"don't export\" a said \"don't export/render\". \"exact\" matches the expected plan (the test requires 100%%). Categories are what the instruction asks for.\n\n", casesFile)
	b.p("| category | cases | ops | export/command | refused | don't export | exact |\n|---|---|---|---|---|---|---|\n")
	write := func(name string, r *row) {
		b.p("| %s | %d | %d | %d | %d | %d | %.0f%% |\n", name, r.n, r.ops, r.export, r.refused, r.noExport, 100*float64(r.exact)/float64(max(r.n, 1)))
	}
	for _, k := range sortedKeys(rows) {
		write(k, rows[k])
	}
	for _, k := range sortedKeys(groups) {
		write("**"+map[string]string{"en": "English", "zh": "Chinese", "odd": "mixed/odd"}[k]+"**", groups[k])
	}
	write("**all**", total)
	b.p("\n")
	return nil
}

func rowOf[T any](m map[string]*T, k string) *T {
	if m[k] == nil {
		m[k] = new(T)
	}
	return m[k]
}

func sortedKeys[T any](m map[string]T) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
