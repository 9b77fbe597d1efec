// Command reliability runs the hostile-input suite of issue 8
// (internal/attack) against the real server binary and writes
// docs/RELIABILITY.md: per category how many attacks were tried and how
// many held, the latency of state and edit under 50 parallel calls, and
// the server's peak memory under HTTP abuse. `make reliability` runs it;
// `make bench` runs it too.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/mcp-audioedit/mcp-audioedit/internal/attack"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		os.Exit(1)
	}
}

func run() error {
	out := flag.String("out", "docs/RELIABILITY.md", "report to write (- for stdout)")
	bin := flag.String("bin", "", "server binary (default: build it)")
	only := flag.String("only", "", "run only the cases whose name matches this regexp (the report then covers those)")
	par := flag.Int("parallel", 2, "cases run at once (slow cases, which mostly wait, run beside them)")
	flag.Parse()
	ctx := context.Background()
	start := time.Now()
	tmp, err := os.MkdirTemp("", "reliability-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if *bin == "" {
		fmt.Fprintln(os.Stderr, "building the server")
		if *bin, err = attack.Build(ctx, tmp, false); err != nil {
			return err
		}
	}
	cases := attack.All()
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return fmt.Errorf("-only: %w", err)
		}
		var keep []attack.Case
		for _, c := range cases {
			if re.MatchString(c.Name) {
				keep = append(keep, c)
			}
		}
		cases = keep
	}
	fmt.Fprintf(os.Stderr, "running %d attacks\n", len(cases))
	outs := attack.RunAll(ctx, *bin, tmp, cases, *par, func(o attack.Outcome) {
		status := "held"
		if !o.Held {
			status = "GOT THROUGH: " + firstLine(o.Detail)
		}
		fmt.Fprintf(os.Stderr, "%-55s %5.1fs %s\n", o.Name, o.Took.Seconds(), status)
	})
	const parallel = 50
	fmt.Fprintf(os.Stderr, "measuring latency under %d parallel calls\n", parallel)
	lat, err := attack.MeasureLatency(ctx, *bin, tmp, parallel, 4)
	if err != nil {
		return fmt.Errorf("latency: %w", err)
	}
	md := attack.Markdown(outs, attack.Figures{Latency: lat, Parallel: parallel, Machine: attack.Machine(ctx), Commit: commit(), Took: time.Since(start)})
	if *out == "-" {
		_, err = os.Stdout.WriteString(md)
		return err
	}
	return os.WriteFile(*out, []byte(md), 0o644)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	if len(l) > 160 {
		l = l[:160] + "..."
	}
	return l
}

// commit is the checked-out commit, marked when the tree has changes.
func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}
