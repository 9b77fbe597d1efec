package mcpaudioedit

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestServerJSON checks server.json (the MCP registry entry) against the
// module path, the Docker image's label and the settings the binary reads.
func TestServerJSON(t *testing.T) {
	b, err := os.ReadFile("server.json")
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Schema     string `json:"$schema"`
		Name       string `json:"name"`
		Repository struct {
			URL string `json:"url"`
		} `json:"repository"`
		Version  string `json:"version"`
		Packages []struct {
			RegistryType string `json:"registryType"`
			Identifier   string `json:"identifier"`
			Transport    struct {
				Type string `json:"type"`
			} `json:"transport"`
			Env []struct {
				Name string `json:"name"`
			} `json:"environmentVariables"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatal(err)
	}
	mod, _ := os.ReadFile("go.mod")
	modPath := strings.TrimSpace(strings.TrimPrefix(strings.SplitN(string(mod), "\n", 2)[0], "module"))
	if "https://"+modPath != s.Repository.URL || !strings.HasPrefix(s.Schema, "https://static.modelcontextprotocol.io/schemas/") {
		t.Errorf("server.json repository %q / schema %q; module is %s", s.Repository.URL, s.Schema, modPath)
	}
	docker, _ := os.ReadFile("Dockerfile")
	if !strings.Contains(string(docker), `LABEL io.modelcontextprotocol.server.name="`+s.Name+`"`) {
		t.Errorf("Dockerfile lacks the label naming %s", s.Name)
	}
	readme, _ := os.ReadFile("README.md")
	for _, p := range s.Packages {
		if p.RegistryType != "oci" || !strings.HasSuffix(p.Identifier, ":"+s.Version) || p.Transport.Type != "stdio" {
			t.Errorf("package %+v does not match version %s over stdio", p, s.Version)
		}
		for _, e := range p.Env {
			if !strings.Contains(string(readme), "`"+e.Name+"`") {
				t.Errorf("server.json names %s, which the README's settings do not", e.Name)
			}
		}
	}
}
