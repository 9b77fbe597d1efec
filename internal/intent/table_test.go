package intent

import (
	"bufio"
	"flag"
	"math"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected column of testdata/cases.tsv from the parser (review the diff)")

func ops(o ...Op) []Op { return o }

// tableCase is one row of testdata/cases.tsv: group (en, zh, odd),
// category, instruction, and the exact expected plan (Plan.Compact).
type tableCase struct {
	group, category, in, want string
}

func readCases(t *testing.T) []tableCase {
	t.Helper()
	f, err := os.Open("testdata/cases.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cs []tableCase
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			t.Fatalf("bad row %q: want 4 tab-separated fields", line)
		}
		cs = append(cs, tableCase{f[0], f[1], f[2], f[3]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return cs
}

// TestTable checks every instruction of the table against its exact
// expected plan or refusal.
func TestTable(t *testing.T) {
	t.Parallel()
	cs := readCases(t)
	count := map[string]int{}
	for _, c := range cs {
		count[c.group]++
	}
	if count["en"] < 150 || count["zh"] < 100 || count["odd"] < 50 {
		t.Fatalf("table has en=%d zh=%d odd=%d cases, want at least 150/100/50", count["en"], count["zh"], count["odd"])
	}
	if *update {
		var b strings.Builder
		b.WriteString("# group\tcategory\tinstruction\texpected plan (Plan.Compact); regenerate with go test -run TestTable -update and review the diff\n")
		for _, c := range cs {
			b.WriteString(strings.Join([]string{c.group, c.category, c.in, Parse(c.in).Compact()}, "\t") + "\n")
		}
		if err := os.WriteFile("testdata/cases.tsv", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for _, c := range cs {
		if got := Parse(c.in).Compact(); got != c.want {
			t.Errorf("Parse(%q)\n got: %s\nwant: %s", c.in, got, c.want)
		}
	}
}

// TestEveryClauseEnds is the property that every clause of every case ends
// as an operation, an export (or a said "don't export"), a command,
// politeness, a declined (negated) operation, or a refusal with a reason;
// and that what the clauses say adds up to the plan.
func TestEveryClauseEnds(t *testing.T) {
	t.Parallel()
	valid := map[Outcome]bool{OutOps: true, OutExport: true, OutNoExport: true, OutDeclined: true, OutCommand: true, OutPolite: true, OutRefused: true}
	for _, c := range readCases(t) {
		p := Parse(c.in)
		refused, withOps := 0, 0
		for _, cl := range p.Clauses {
			if !valid[cl.Outcome] {
				t.Errorf("%q: clause %q ended as %q", c.in, cl.Text, cl.Outcome)
			}
			switch cl.Outcome {
			case OutRefused:
				refused++
			case OutOps:
				withOps++
			}
		}
		if refused != len(p.Refused) {
			t.Errorf("%q: %d refused clauses but %d refusals", c.in, refused, len(p.Refused))
		}
		for _, r := range p.Refused {
			if r.Reason == "" || r.Clause == "" {
				t.Errorf("%q: refusal without clause or reason: %+v", c.in, r)
			}
		}
		if (withOps > 0) != (len(p.Ops) > 0) {
			t.Errorf("%q: %d clauses with ops but %d ops", c.in, withOps, len(p.Ops))
		}
		if len(p.Refused) > 0 && !strings.HasPrefix(p.RefusalLine(), "I did not apply: ") {
			t.Errorf("%q: refusal line %q", c.in, p.RefusalLine())
		}
		if p.Held && len(p.Applicable()) > 0 {
			t.Errorf("%q: held plan still applies ops", c.in)
		}
		if len(p.Refused) > 0 && p.ExportToStart() != nil {
			t.Errorf("%q: export would start despite a refusal", c.in)
		}
		if p.NoExport && p.Export != nil {
			t.Errorf("%q: export requested and refused at once", c.in)
		}
		for _, op := range p.Ops {
			checkOp(t, c.in, op)
		}
	}
}

// checkOp asserts an op's values are within the limits the engine renders.
func checkOp(t *testing.T, in string, op Op) {
	t.Helper()
	if !op.Kind.Valid() {
		t.Errorf("%q: invalid kind %q", in, op.Kind)
	}
	for _, v := range []float64{op.Strength, op.ThresholdDB, op.MinPause, op.Margin, op.ShortenTo, op.TargetLUFS,
		op.TruePeak, op.Start, op.End, op.FadeIn, op.FadeOut, op.GainDB, op.Factor, op.Pan, op.MainsHz, op.FreqHz} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%q: non-finite value in %+v", in, op)
		}
	}
	bad := op.Strength < 0 || op.Strength > 1 ||
		(op.TargetLUFS != 0 && (op.TargetLUFS < MinLUFS || op.TargetLUFS > MaxLUFS)) ||
		op.TruePeak < MinPeak || op.TruePeak > MaxPeak || math.Abs(op.GainDB) > MaxGain ||
		op.FadeIn < 0 || op.FadeOut < 0 || op.FadeIn > MaxFade || op.FadeOut > MaxFade ||
		op.MinPause < 0 || op.MinPause > MaxPause || op.ShortenTo < 0 || op.ShortenTo > MaxPause || op.Count < 0 || op.Count > MaxSteps ||
		(op.Kind == KindSpeed && (op.Factor < MinSpeed || op.Factor > MaxSpeed)) || math.Abs(op.Pan) > 1 ||
		(op.Kind == KindHum && op.MainsHz != 0 && op.MainsHz != 50 && op.MainsHz != 60) ||
		((op.Kind == KindMute || op.Kind == KindBleep) && !op.Ranged()) ||
		(op.End > 0 && op.Start >= 0 && op.End <= op.Start)
	if bad {
		t.Errorf("%q: value out of range in %+v", in, op)
	}
	_ = op.Describe()
}
