package listener

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/ftpcoord/ftpcoord/core/ledger"
)

// Several services per listener, as ballerina/ftp 2.18 attaches them: each
// service has its own path and service-level settings (@ftp:ServiceConfig)
// and its own after-actions, per method (@ftp:FunctionConfig). One member
// polls them all, one after the other within one poll (one listing per
// service path), under one leadership; the ledger keeps each service's
// versions in a key space of its own (ledger.Config.Space), so two services
// watching overlapping paths each get a file once.
//
// Inside, a service is a scope: its settings, its filters, its handler and
// what its polls leave to the next (a pollState). A poll enters each scope
// in turn (enter): the Listener's per-service fields then are that
// service's, for the listing, the dispatcher, the trackers and the
// after-actions alike, which therefore need no service argument. A listener
// configured with one service (the top-level path) is one scope, entered
// once for good.

// ServiceConfig is one service of a listener: ballerina/ftp's
// @ftp:ServiceConfig (path, fileNamePattern, fileAgeFilter,
// fileDependencyConditions), plus ftpcoord's name and after-actions.
type ServiceConfig struct {
	// Name tells the service apart (status, the command's FTPCOORD_SERVICE)
	// and names its key space in the ledger: 1 to 64 letters, digits, '.',
	// '_' or '-'. At most one service may leave it out: that one keeps the
	// group's own ledger rows, the ones a listener with one service made
	// (so a second service can join a running listener without its first
	// processing everything again).
	Name string `json:"name,omitempty"`
	// Path is the directory this service watches; required.
	Path                     string                    `json:"path"`
	FileNamePattern          string                    `json:"fileNamePattern,omitempty"`
	FileAgeFilter            *FileAgeFilter            `json:"fileAgeFilter,omitempty"`
	FileDependencyConditions []FileDependencyCondition `json:"fileDependencyConditions,omitempty"`
	// AfterProcess and AfterError apply to the files of every method of the
	// service that Methods gives none (ftpcoord; Ballerina has them per
	// method only).
	AfterProcess *PostAction `json:"afterProcess,omitempty"`
	AfterError   *PostAction `json:"afterError,omitempty"`
	// Methods are the after-actions per remote method, as Ballerina's
	// @ftp:FunctionConfig: onFile, onFileText, onFileJson, onFileXml,
	// onFileCsv, onFileChange.
	Methods map[string]MethodConfig `json:"methods,omitempty"`
}

// MethodConfig is ballerina/ftp's @ftp:FunctionConfig: what happens to a
// file once the method handled it (afterProcess) or failed it for good
// (afterError); absent, nothing (Ballerina's default). A move keeps the
// file's path below the service's path unless preserveSubDirs is false.
type MethodConfig struct {
	AfterProcess *PostAction `json:"afterProcess,omitempty"`
	AfterError   *PostAction `json:"afterError,omitempty"`
}

// methodNames are the remote methods a service's files reach.
var methodNames = []string{"onFile", "onFileText", "onFileJson", "onFileXml", "onFileCsv", "onFileChange"}

// MethodRouter is a service that hands each file to one of several methods
// (ContentService; the C ABI's bridge, told by the host) and tells which,
// by Ballerina's name (onFileText, onFileJson, onFileXml, onFileCsv,
// onFile): that method's after-actions apply (ServiceConfig.Methods).
type MethodRouter interface {
	MethodFor(f FileInfo) string
}

// methodOf names the method that takes f: the router's choice, else onFile
// (a FileService is handed content), else onFileChange.
func methodOf(service any, f FileInfo) string {
	switch s := service.(type) {
	case MethodRouter:
		return s.MethodFor(f)
	case FileService:
		return "onFile"
	}
	return "onFileChange"
}

// serviceFields are the settings a service has of its own; with services
// they are not set at the top level.
var serviceFields = []string{"path", "fileNamePattern", "fileAgeFilter", "fileDependencyConditions", "afterProcess", "afterError"}

// forService is c as one service sees it: the service's own settings in
// place of the top-level ones.
func (c ListenerConfig) forService(s ServiceConfig) ListenerConfig {
	c.Services = nil
	c.Path, c.FileNamePattern, c.FileAgeFilter = s.Path, s.FileNamePattern, s.FileAgeFilter
	c.FileDependencyConditions = s.FileDependencyConditions
	c.AfterProcess, c.AfterError = s.AfterProcess, s.AfterError
	return c
}

// topLevelSet names the service-level settings c sets at the top level.
func (c ListenerConfig) topLevelSet() []string {
	set := map[string]bool{"path": c.Path != "", "fileNamePattern": c.FileNamePattern != "",
		"fileAgeFilter": c.FileAgeFilter != nil, "fileDependencyConditions": len(c.FileDependencyConditions) > 0,
		"afterProcess": c.AfterProcess != nil, "afterError": c.AfterError != nil}
	var out []string
	for _, f := range serviceFields {
		if set[f] {
			out = append(out, f)
		}
	}
	return out
}

// serviceErrors checks services (before defaults): every problem a
// *FieldError naming the field under services[i].
func (c ListenerConfig) serviceErrors() []error {
	if len(c.Services) == 0 {
		return nil
	}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	for _, f := range c.topLevelSet() {
		bad(f, "set both at the top level and in services: with services, each service has its own %s (Ballerina's @ftp:ServiceConfig); move it into services[i].%s, or leave services out", f, f)
	}
	group := ""
	if c.Coordination != nil {
		group = c.Coordination.TaskConfig().GroupID
	}
	unnamed, names := -1, map[string]int{}
	for i, s := range c.Services {
		at := fmt.Sprintf("services[%d]", i)
		switch j, dup := names[s.Name]; {
		case s.Name == "" && unnamed >= 0:
			bad(at+".name", "services[%d] has no name either; only one service may go without (it keeps the group's own ledger rows): name this one", unnamed)
		case s.Name == "":
			unnamed = i
		case dup:
			bad(at+".name", "%q is also services[%d]'s; give each service a name of its own (it names the service's files in the ledger)", s.Name, j)
		default:
			names[s.Name] = i
			if err := ledger.CheckSpace(group, s.Name); err != nil {
				bad(at+".name", "%v", err)
			}
		}
		if s.Path == "" {
			bad(at+".path", "required: the directory this service watches (@ftp:ServiceConfig's path)")
			continue
		}
		// The service's settings are checked by the one Validate, as the
		// top-level ones are; only their errors are this service's.
		sc := c.forService(s)
		errs = append(errs, scopedErrors(sc.Validate(), at)...)
		for _, m := range slices.Sorted(maps.Keys(s.Methods)) {
			if !slices.Contains(methodNames, m) {
				bad(at+".methods."+m, "no such method; use one of %s", strings.Join(methodNames, ", "))
				continue
			}
			mc := sc
			mc.AfterProcess, mc.AfterError = s.Methods[m].AfterProcess, s.Methods[m].AfterError
			errs = append(errs, scopedErrors(mc.Validate(), at+".methods."+m, "afterProcess", "afterError")...)
		}
	}
	return errs
}

// scopedErrors keeps the errors of a service's configuration that are about
// the fields given (by default every service-level one), named under at.
func scopedErrors(err error, at string, fields ...string) []error {
	if len(fields) == 0 {
		fields = serviceFields
	}
	var out []error
	for _, e := range unjoin(err) {
		var fe *FieldError
		if !errors.As(e, &fe) {
			continue
		}
		base, _, _ := strings.Cut(fe.Field, ".")
		base, _, _ = strings.Cut(base, "[")
		if slices.Contains(fields, base) {
			out = append(out, &FieldError{Field: at + "." + fe.Field, Problem: fe.Problem})
		}
	}
	return out
}

// scope is one service of a listener while it runs.
type scope struct {
	name    string
	cfg     ListenerConfig // the listener's, with the service's own settings
	methods map[string]MethodConfig
	filters filterChain
	state   *pollState
	service any            // attached (under Listener.mu)
	ledger  *ledger.Ledger // with coordination, while started
	// listHealth: a listing failure in progress (under Listener.mu).
	listHealth ListingHealth
}

// label is how status shows the service: its name, else its path.
func (s *scope) label() string { return cmp.Or(s.name, s.cfg.Path) }

// serviceSet is the services of a listener.
type serviceSet struct {
	config ListenerConfig // as configured, defaults applied (Config)
	scopes []*scope
	// cur is the scope a poll is in (enter); set, under Listener.mu,
	// before any worker starts.
	cur *scope
}

// listingHealth is the services' listing health: the first failing one's;
// under Listener.mu.
func (ss *serviceSet) listingHealth() ListingHealth {
	for _, s := range ss.scopes {
		if h := s.listHealth; h.Failing {
			if len(ss.scopes) > 1 {
				h.Error = "service " + s.label() + ": " + h.Error
			}
			return h
		}
	}
	return ListingHealth{}
}

// newServices makes the scopes of cfg (defaults applied): one per service,
// or the top-level one.
func (l *Listener) newServices(cfg ListenerConfig) {
	l.services.config = cfg
	if len(cfg.Services) == 0 {
		s := &scope{cfg: cfg, filters: l.filters, state: l.pollState}
		l.services.scopes, l.services.cur = []*scope{s}, s
		return
	}
	for _, sc := range cfg.Services {
		c := cfg.forService(sc)
		c.Path = strings.TrimSuffix(c.Path, "/")
		if c.Path == "" {
			c.Path = "/"
		}
		st := newPollState()
		st.times.loc = l.times.loc
		s := &scope{name: sc.Name, cfg: c, methods: sc.Methods, state: st, filters: l.newFilterChain(c)}
		l.services.scopes = append(l.services.scopes, s)
	}
	l.enter(l.services.scopes[0])
}

// enter makes s the service the Listener's per-service fields are; under
// polling (or in New).
func (l *Listener) enter(s *scope) {
	if l.services.cur == s {
		return
	}
	l.cfg.Path, l.cfg.FileNamePattern, l.cfg.FileAgeFilter = s.cfg.Path, s.cfg.FileNamePattern, s.cfg.FileAgeFilter
	l.cfg.FileDependencyConditions = s.cfg.FileDependencyConditions
	l.cfg.AfterProcess, l.cfg.AfterError = s.cfg.AfterProcess, s.cfg.AfterError
	l.filters, l.pollState = s.filters, s.state
	l.mu.Lock()
	l.services.cur = s
	l.mu.Unlock()
}

// AttachService attaches service to the configured service called name
// ("" for the one without a name), as Attach does for a listener with one
// service.
func (l *Listener) AttachService(name string, service any) error {
	if err := checkService(service); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.services.scopes {
		if s.name == name && (len(l.services.config.Services) > 0 || name == "") {
			s.service = service
			return nil
		}
	}
	return fmt.Errorf("listener: no service named %q; the configuration's services are %s", name, l.services.names())
}

func (ss *serviceSet) names() string {
	var out []string
	for _, s := range ss.scopes {
		out = append(out, fmt.Sprintf("%q", s.name))
	}
	return strings.Join(out, ", ")
}

// attachOne is Attach: the one service of a listener that has one.
func (l *Listener) attachOne(service any) error {
	if n := len(l.services.scopes); n > 1 {
		return fmt.Errorf("listener: %d services are configured; attach each with AttachService(name, service)", n)
	}
	l.services.scopes[0].service = service
	return nil
}

// unattached is ErrNoService, naming the services without one, or nil;
// under mu.
func (ss *serviceSet) unattached() error {
	var missing []string
	for _, s := range ss.scopes {
		if s.service == nil {
			missing = append(missing, fmt.Sprintf("%q", s.name))
		}
	}
	switch {
	case len(missing) == 0:
		return nil
	case len(ss.config.Services) == 0:
		return ErrNoService
	}
	return fmt.Errorf("%w: services %s", ErrNoService, strings.Join(missing, ", "))
}

// attached is a scope with what was attached and opened for it, as a poll
// takes them.
type attached struct {
	*scope
	service any
	ledger  *ledger.Ledger
}

func (l *Listener) handlers() []attached {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]attached, len(l.services.scopes))
	for i, s := range l.services.scopes {
		out[i] = attached{s, s.service, s.ledger}
	}
	return out
}

// pollServices polls every service in turn under one leadership: one
// listing each, each with its own ledger space. A failing service does not
// keep the others from their poll.
func (l *Listener) pollServices(ctx, lead context.Context, member *membership, term int64, active bool) error {
	scopes := l.handlers()
	var errs []error
	for _, s := range scopes {
		if !held(lead) || l.draining.Load() {
			break
		}
		l.enter(s.scope)
		m := member
		if m != nil && s.ledger != nil {
			own := *m
			own.ledger = s.ledger
			m = &own
		}
		if err := l.pollService(ctx, lead, s.service, m, term, active); err != nil {
			if len(scopes) > 1 {
				err = fmt.Errorf("service %s: %w", s.label(), err)
			}
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// openSpaces gives each service its ledger: the group's own rows (lg) for
// the one without a name, a space of its own for the others.
func (l *Listener) openSpaces(lg *ledger.Ledger, open func(space string) (*ledger.Ledger, error)) error {
	for _, s := range l.services.scopes {
		if s.name == "" {
			s.ledger = lg
			continue
		}
		sl, err := open(s.name)
		if err != nil {
			return fmt.Errorf("listener: ledger of service %s: %w", s.name, err)
		}
		s.ledger = sl
	}
	return nil
}

// afterAction is the after-action (name: afterProcess or afterError) for f,
// handled by service: the one @ftp:FunctionConfig gives the method that
// takes f, else a (the service's).
func (l *Listener) afterAction(service any, name string, a *PostAction, f FileInfo) *PostAction {
	s := l.services.cur
	if s == nil || len(s.methods) == 0 {
		return a
	}
	m, ok := s.methods[methodOf(service, f)]
	switch {
	case !ok:
	case name == "afterProcess" && m.AfterProcess != nil:
		return m.AfterProcess
	case name == "afterError" && m.AfterError != nil:
		return m.AfterError
	}
	return a
}

// ledgerCounts is the ledger's counts by state, summed over the services,
// and per service when there are several.
func (l *Listener) ledgerCounts(ctx context.Context, lg *ledger.Ledger) (map[ledger.Status]int, map[string]map[ledger.Status]int, error) {
	if len(l.services.config.Services) == 0 {
		c, err := lg.Counts(ctx)
		return c, nil, err
	}
	sum, per := map[ledger.Status]int{}, map[string]map[ledger.Status]int{}
	for _, s := range l.services.scopes {
		if s.ledger == nil {
			continue
		}
		c, err := s.ledger.Counts(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("service %s: %w", s.label(), err)
		}
		per[s.label()] = c
		for k, v := range c {
			sum[k] += v
		}
	}
	return sum, per, nil
}
