package main

import (
	"strings"

	"github.com/ftpcoord/ftpcoord/cmd/ftpcoord/internal/exitcode"
	"github.com/ftpcoord/ftpcoord/core/listener"
)

// attachServices attaches h to the listener's one service, or to each of
// its services: one --exec for all, told which service a file is for by
// FTPCOORD_SERVICE (one command keeps one place for the deployment's
// environment, its secrets and its exit codes; it branches on the name).
func attachServices(l *listener.Listener, cfg listener.ListenerConfig, h any) error {
	if len(cfg.Services) == 0 {
		return l.Attach(h)
	}
	for _, s := range cfg.Services {
		sh := h
		if e, ok := h.(*execHandler); ok {
			own := *e
			own.service = s.Name
			sh = &own
		}
		if err := l.AttachService(s.Name, sh); err != nil {
			return err
		}
	}
	return nil
}

// watchedPaths are the directories the configuration watches.
func watchedPaths(cfg listener.ListenerConfig) []string {
	if len(cfg.Services) == 0 {
		return []string{cfg.Path}
	}
	out := make([]string, len(cfg.Services))
	for i, s := range cfg.Services {
		out[i] = s.Path
	}
	return out
}

// serviceSpace is the ledger key space of the service called name in the
// configuration file: name itself, checked against the services there.
func serviceSpace(configPath, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	cfg, err := loadConfig(configPath)
	if err != nil {
		return "", err
	}
	var names []string
	for _, s := range cfg.Services {
		if s.Name == name {
			return name, nil
		}
		if s.Name != "" {
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return "", exitcode.Usagef("--service %q: the configuration has no named services", name)
	}
	return "", exitcode.Usagef("--service %q: no such service; the configuration's are %s", name, strings.Join(names, ", "))
}
