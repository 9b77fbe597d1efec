package tools

import (
	"strings"
	"testing"
)

func TestCredits(t *testing.T) {
	e := newTestEnv(t)
	res := e.call("credits", nil)
	var out CreditsOutput
	decode(t, res, &out)
	if !out.Unlimited {
		t.Errorf("local credits = %+v, want unlimited", out)
	}
	if !strings.HasPrefix(text(res), "Credits:") {
		t.Errorf("text = %q", text(res))
	}
}
