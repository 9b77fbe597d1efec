package attack

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
)

// Package is the server's main package.
const Package = "github.com/mcp-audioedit/mcp-audioedit/cmd/mcp-audioedit"

// Build compiles the server into dir (with the race detector when race)
// and returns the binary's path.
func Build(ctx context.Context, dir string, race bool) (string, error) {
	bin := filepath.Join(dir, "mcp-audioedit")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, Package)...)
	cmd.Env = os.Environ()
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s: %v\n%s", Package, err, out)
	}
	return bin, nil
}

// RunAll runs cases, at most par at once (slow cases, which mostly wait,
// do not count against par), and returns their outcomes in order. done,
// when not nil, is called as each ends.
func RunAll(ctx context.Context, bin, parent string, cases []Case, par int, done func(Outcome)) []Outcome {
	outs := make([]Outcome, len(cases))
	sem := make(chan struct{}, max(par, 1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i, c := range cases {
		wg.Add(1)
		if !c.Slow {
			sem <- struct{}{}
		}
		go func() {
			defer wg.Done()
			if !c.Slow {
				defer func() { <-sem }()
			}
			outs[i] = RunCase(ctx, bin, parent, c)
			if done != nil {
				mu.Lock()
				done(outs[i])
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return outs
}
