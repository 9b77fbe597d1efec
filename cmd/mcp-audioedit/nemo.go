package main

import (
	"go.uber.org/zap"

	mcpaudioedit "github.com/mcp-audioedit/mcp-audioedit"
	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/config"
	"github.com/mcp-audioedit/mcp-audioedit/internal/nemo"
	"github.com/mcp-audioedit/mcp-audioedit/internal/store"
)

// nemoConfig maps the configuration onto the cloud backend's. The client
// id lives in $HOME/.config/nemovideo (shared with NemoVideo's skills, see
// config.NemoConfigDir), the anonymous token in <data dir>/nemo.
func nemoConfig(cfg *config.Config) nemo.Config {
	name, ver := mcpaudioedit.Skill()
	return nemo.Config{
		APIURL:       cfg.NemoAPIURL,
		WebURL:       cfg.NemoWebURL,
		Token:        cfg.NemoToken,
		TokenStrict:  cfg.NemoTokenStrict,
		ClientID:     cfg.NemoClientID,
		SkillSource:  cfg.SkillSource,
		SkillName:    name,
		SkillVersion: ver,
		PollInterval: cfg.NemoPollInterval,
		OutputDir:    cfg.OutputDir,
		ConfigDir:    cfg.NemoConfigDir(),
		DataDir:      cfg.NemoDataDir(),
	}
}

// newNemo builds the cloud backend.
func newNemo(cfg *config.Config, st *store.Store, log *zap.Logger) (backend.Backend, error) {
	return nemo.New(nemoConfig(cfg), st, log)
}
