package main

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// A ballerina/ftp listener with several services (each its own
// @ftp:ServiceConfig), or with after-actions per method
// (@ftp:FunctionConfig), is imported as ftpcoord's services list: one
// listener carries them all, each with its own path, filters and methods'
// after-actions, as in Ballerina. A listener with one service whose methods
// give no after-actions stays in the shorter top-level form.

// services picks the import's form: the one service to carry over at the
// top level (convert takes it from there), or nil with cfg["services"] made.
func (r *importResult) services(cfg map[string]any, svcs []balService, o importOptions) (*balService, error) {
	switch {
	case len(svcs) == 0:
		return nil, nil // a Config.toml, or a listener without services here
	case o.service != 0:
		if o.service < 1 || o.service > len(svcs) {
			return nil, fmt.Errorf("--service %d: the listener has %d services", o.service, len(svcs))
		}
		if len(svcs) > 1 {
			r.change("services", fmt.Sprintf("imported service %d of %d", o.service, len(svcs)), "--service leaves the others out; without it every service is imported")
		}
		return &svcs[o.service-1], nil
	case len(svcs) == 1 && !hasAfterActions(svcs[0]):
		return &svcs[0], nil
	}
	list := make([]map[string]any, 0, len(svcs))
	used := map[string]bool{}
	typed := false
	for i, s := range svcs {
		at := fmt.Sprintf("services[%d]", i)
		m := map[string]any{}
		if s.config != nil {
			for k, v := range s.config {
				m[k] = v
			}
		} else {
			for _, f := range monitoringFields {
				if v, ok := cfg[f]; ok {
					m[f] = v
				}
			}
			r.change(at, "the listener's path and filters", "the service has no @ftp:ServiceConfig: Ballerina watches with the listener's")
		}
		if _, ok := m["path"]; !ok {
			m["path"] = "/"
			r.change(at+".path", `set to "/"`, "Ballerina's default")
		}
		if i > 0 {
			m["name"] = serviceName(m["path"], i, used)
		}
		if methods := r.methodActions(s, at); len(methods) > 0 {
			m["methods"] = methods
		}
		for _, n := range s.methods {
			typed = typed || slices.Contains(typedMethods, n) && n != "onFile"
		}
		if err := r.patterns(m, at+"."); err != nil {
			return nil, err
		}
		list = append(list, m)
	}
	for _, f := range monitoringFields {
		if _, ok := cfg[f]; ok {
			delete(cfg, f)
			r.change(f, "moved into services", "with services each service has its own %s (the listener's was the service's, copied into it where it has no @ftp:ServiceConfig)", f)
		}
	}
	cfg["services"] = list
	r.change("services", fmt.Sprintf("%d imported", len(list)),
		"one ftpcoord listener polls them all, each with its own path; the first keeps the group's ledger rows, the others are named after their paths (`ftpcoord run` tells --exec which in FTPCOORD_SERVICE)")
	if typed {
		r.change("services", "typed content methods", "`ftpcoord run` hands every file's bytes to --exec; the Java bindings, Spring and Go's ContentService route by extension as Ballerina does, and apply each method's after-actions")
	}
	return nil, nil
}

// hasAfterActions tells whether a method of s gives an after-action.
func hasAfterActions(s balService) bool {
	for _, fc := range s.functions {
		if _, ok := fc["afterProcess"]; ok {
			return true
		}
		if _, ok := fc["afterError"]; ok {
			return true
		}
	}
	return false
}

// methodActions are the after-actions of s's methods, as services[i].methods.
func (r *importResult) methodActions(s balService, at string) map[string]any {
	out := map[string]any{}
	names := make([]string, 0, len(s.functions))
	for n := range s.functions {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fc := s.functions[n]
		m := map[string]any{}
		for _, k := range []string{"afterProcess", "afterError"} {
			if v, ok := fc[k]; ok {
				m[k] = v
			}
		}
		if len(m) > 0 {
			out[n] = m
		}
		if p, ok := fc["fileNamePattern"]; ok {
			r.change(fmt.Sprintf("%s: @ftp:FunctionConfig(%s).fileNamePattern", at, n), fmt.Sprintf("dropped (%v)", p),
				"the configuration has no per-method routing: in Java annotate the method with @FileNamePattern, in Go call ContentService.Route; `ftpcoord run` hands every file to --exec")
		}
	}
	return out
}

var nameUnsafe = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// serviceName names the i-th service after the last element of its path,
// or service-N when that is empty or taken.
func serviceName(p any, i int, used map[string]bool) string {
	s, _ := p.(string)
	parts := strings.Split(strings.Trim(s, "/"), "/")
	name := strings.Trim(nameUnsafe.ReplaceAllString(parts[len(parts)-1], "-"), "-")
	if len(name) > 64 {
		name = name[:64]
	}
	if name == "" || used[name] {
		name = fmt.Sprintf("service-%d", i+1)
	}
	used[name] = true
	return name
}
