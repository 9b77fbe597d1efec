package main

import (
	"go.uber.org/zap"

	mcpaudioedit "github.com/mcp-audioedit/mcp-audioedit"
	"github.com/mcp-audioedit/mcp-audioedit/internal/backend"
	"github.com/mcp-audioedit/mcp-audioedit/internal/config"
	"github.com/mcp-audioedit/mcp-audioedit/internal/engine"
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

// newNemo builds the cloud backend. The cloud renders mp4 only; other
// export formats are converted here by the ffmpeg engine, injected as
// Config.Transcode when ffmpeg is found (refused with the reason else).
func newNemo(cfg *config.Config, st *store.Store, log *zap.Logger) (backend.Backend, error) {
	nc := nemoConfig(cfg)
	if eng, err := engine.New(engine.Options{FFmpeg: cfg.FFmpeg, FFprobe: cfg.FFprobe, Logger: log}); err == nil {
		nc.Transcode = eng.Transcode
	} else {
		log.Warn("no ffmpeg: cloud exports other than mp4 will be refused", zap.Error(err))
	}
	return nemo.New(nc, st, log)
}
