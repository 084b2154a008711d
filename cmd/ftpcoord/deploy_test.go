package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/ftpcoord/ftpcoord/internal/k8ssecret"
	"github.com/ftpcoord/ftpcoord/internal/pureftpuser"
	"github.com/ftpcoord/ftpcoord/internal/tcpproxy"
	"github.com/ftpcoord/ftpcoord/internal/testdb"
	"github.com/ftpcoord/ftpcoord/schema"
	"github.com/ftpcoord/ftpcoord/taskcompat"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// deployTool installs (when missing) and returns a checker of deploy/.
func deployTool(t *testing.T, name string) string {
	t.Helper()
	cmd := exec.Command("bash", "../../deploy/tools.sh", name)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "deploy/tools.sh %s\n%s", name, stderr.String())
	return strings.TrimSpace(string(out))
}

// envRefs are the ${NAME} references of a configuration.
func envRefs(config string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`).FindAllStringSubmatch(config, -1) {
		out = append(out, m[1])
	}
	return out
}

// The systemd unit passes `systemd-analyze verify` (no warning either), its
// ExecStart is a valid `ftpcoord run` whose configuration parses with the
// environment file's variables and reads the file server's password from a
// file (so that it rotates without a restart), and systemd waits longer than
// the stop timeout before it kills.
func TestSystemdUnit(t *testing.T) {
	analyze := deployTool(t, "systemd-analyze")
	unit, err := os.ReadFile("../../deploy/systemd/ftpcoord.service")
	require.NoError(t, err)
	values := unitValues(string(unit))
	args, err := splitUnitCommand(values["ExecStart"])
	require.NoError(t, err, "ExecStart")
	require.GreaterOrEqual(t, len(args), 2, "ExecStart %q is not /usr/local/bin/ftpcoord run ...", values["ExecStart"])
	require.Equal(t, []string{"/usr/local/bin/ftpcoord", "run"}, args[:2], "ExecStart %q is not /usr/local/bin/ftpcoord run ...", values["ExecStart"])
	f, err := parseRunFlags(args[2:], &strings.Builder{})
	require.NoError(t, err, "ExecStart's flags")
	if f.config != "/etc/ftpcoord/member.toml" || f.metricsAddr == "" || f.logFormat != "json" || f.exec == "" || f.downloadDir == "" {
		t.Errorf("ExecStart flags %+v", f)
	}
	if values["TimeoutStopSec"] != "40" || f.stopTimeout.Seconds() >= 40 || values["KillSignal"] != "SIGTERM" {
		t.Errorf("TimeoutStopSec %s, KillSignal %s, --stop-timeout %v: systemd must wait out the graceful stop", values["TimeoutStopSec"], values["KillSignal"], f.stopTimeout)
	}
	if values["EnvironmentFile"] != "/etc/ftpcoord/ftpcoord.env" || values["RestartPreventExitStatus"] != "2 3" {
		t.Errorf("EnvironmentFile %q, RestartPreventExitStatus %q", values["EnvironmentFile"], values["RestartPreventExitStatus"])
	}

	// member.toml parses, its passwords taken from the environment file.
	env, err := os.Open("../../deploy/systemd/ftpcoord.env.example")
	require.NoError(t, err)
	defer env.Close()
	defined := map[string]bool{}
	sc := bufio.NewScanner(env)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), "="); ok && !strings.HasPrefix(k, "#") {
			t.Setenv(k, v)
			defined[k] = true
		}
	}
	member, err := os.ReadFile("../../deploy/systemd/member.toml")
	require.NoError(t, err)
	for _, ref := range envRefs(string(member)) {
		assert.True(t, defined[ref], "member.toml refers to ${%s}, which ftpcoord.env.example does not define", ref)
	}
	// The FTP password is a file, read at each connection (checked
	// readable at start: here in the test's /etc/ftpcoord).
	assert.Equal(t, "/etc/ftpcoord/ftp-password", passwordFileOf(t, string(member)), "member.toml's auth.credentials.passwordFile")
	etc := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(etc, "ftp-password"), []byte("change-me\n"), 0o600))
	cfg, err := parseConfig([]byte(installed{{"/etc/ftpcoord", etc}}.apply(string(member))), true)
	require.NoError(t, err, "deploy/systemd/member.toml")
	if cfg.Coordination == nil || cfg.Coordination.DatabaseConfig.Password != "change-me" {
		t.Errorf("member.toml's database password is not the environment file's: %+v", cfg.Coordination)
	}
	assert.Empty(t, cfg.Auth.Credentials.Password, "member.toml's FTP password: want it in a file, read at each connection")
	assert.Equal(t, "FTPS", cfg.Protocol, "member.toml's protocol")
	// The SFTP example parses too, and checks the server's host key.
	sftpMember, err := os.ReadFile("../../deploy/systemd/member-sftp.toml")
	require.NoError(t, err)
	sftpCfg, err := parseConfig(sftpMember, true)
	require.NoError(t, err, "deploy/systemd/member-sftp.toml")
	assert.Equal(t, "SFTP", sftpCfg.Protocol)
	assert.Equal(t, "/etc/ftpcoord/known_hosts", sftpCfg.SftpSshKnownHosts)
	assert.False(t, sftpCfg.InsecureIgnoreHostKey)

	// Bounded and sandboxed (issue 25): systemd-analyze security rates the
	// unit's exposure (0 best, 10 worst); docs/operations.md records it.
	for k, want := range map[string]string{"MemoryMax": "1G", "TasksMax": "256", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
		"ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
		"ProtectKernelLogs": "yes", "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "SystemCallFilter": "@system-service", "CapabilityBoundingSet": ""} {
		assert.Contains(t, values, k, "the unit has no %s", k)
		if k != "SystemCallFilter" {
			assert.Equal(t, want, values[k], "%s", k)
		}
	}
	assert.Contains(t, string(unit), "\nSystemCallFilter=@system-service\n")
	sec := exec.Command(analyze, "security", "--offline=true", "--no-pager", "../../deploy/systemd/ftpcoord.service")
	secOut, _ := sec.CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for ftpcoord.service: (\d+\.\d+)`).FindStringSubmatch(string(secOut))
	require.NotNil(t, m, "systemd-analyze security:\n%s", secOut)
	score, _ := strconv.ParseFloat(m[1], 64)
	assert.LessOrEqual(t, score, 1.5, "systemd-analyze security exposure")
	ops, err := os.ReadFile("../../docs/operations.md")
	require.NoError(t, err)
	assert.Contains(t, string(ops), "exposure level "+m[1], "docs/operations.md does not record the score systemd-analyze security gives")

	// systemd-analyze verify, with ExecStart pointing at the binary built
	// for these tests (verify checks that it exists).
	verify := func(unitText string) (string, error) {
		dir := t.TempDir()
		p := filepath.Join(dir, "ftpcoord.service")
		require.NoError(t, os.WriteFile(p, []byte(strings.Replace(unitText, "ExecStart=/usr/local/bin/ftpcoord ", "ExecStart="+bin+" ", 1)), 0o644))
		cmd := exec.Command(analyze, "verify", p)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := verify(string(unit)); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("systemd-analyze verify: %v\n%q", err, out)
	}
	// The check sees mistakes: a misspelt key is reported.
	out, _ := verify(strings.Replace(string(unit), "RestartSec=", "RestartSek=", 1))
	assert.Contains(t, out, "RestartSek", "systemd-analyze verify did not report a misspelt key")
}

// k8sObject is what the test reads of a manifest.
type k8sObject struct {
	Kind     string `yaml:"kind"`
	Metadata struct {
		Name string `yaml:"name"`
	} `yaml:"metadata"`
	Data       map[string]string `yaml:"data"`
	StringData map[string]string `yaml:"stringData"`
	Spec       struct {
		Replicas     int            `yaml:"replicas"`
		MinAvailable int            `yaml:"minAvailable"`
		PodSelector  k8sSelector    `yaml:"podSelector"`
		PolicyTypes  []string       `yaml:"policyTypes"`
		Selector     k8sSelector    `yaml:"selector"`
		Template     k8sPodTemplate `yaml:"template"`
	} `yaml:"spec"`
}

type k8sSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type k8sPodTemplate struct {
	Metadata struct {
		Labels map[string]string `yaml:"labels"`
	} `yaml:"metadata"`
	Spec struct {
		AutomountServiceAccountToken *bool `yaml:"automountServiceAccountToken"`
		SecurityContext              struct {
			RunAsUser      int           `yaml:"runAsUser"`
			RunAsNonRoot   bool          `yaml:"runAsNonRoot"`
			SeccompProfile k8sSeccompRef `yaml:"seccompProfile"`
		} `yaml:"securityContext"`
		TerminationGracePeriodSeconds int            `yaml:"terminationGracePeriodSeconds"`
		Containers                    []k8sContainer `yaml:"containers"`
		Volumes                       []struct {
			Name      string `yaml:"name"`
			ConfigMap *struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
			Secret *struct {
				SecretName string `yaml:"secretName"`
			} `yaml:"secret"`
			EmptyDir *struct {
				SizeLimit string `yaml:"sizeLimit"`
			} `yaml:"emptyDir"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type k8sSeccompRef struct {
	Type string `yaml:"type"`
}

type k8sContainer struct {
	SecurityContext struct {
		RunAsNonRoot             bool          `yaml:"runAsNonRoot"`
		AllowPrivilegeEscalation *bool         `yaml:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   bool          `yaml:"readOnlyRootFilesystem"`
		SeccompProfile           k8sSeccompRef `yaml:"seccompProfile"`
		Capabilities             struct {
			Drop []string `yaml:"drop"`
		} `yaml:"capabilities"`
	} `yaml:"securityContext"`
	Command []string `yaml:"command"`
	Args    []string `yaml:"args"`
	Env     []struct {
		Name      string `yaml:"name"`
		ValueFrom struct {
			FieldRef *struct {
				FieldPath string `yaml:"fieldPath"`
			} `yaml:"fieldRef"`
			SecretKeyRef *struct {
				Name string `yaml:"name"`
				Key  string `yaml:"key"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	EnvFrom []struct {
		SecretRef struct {
			Name string `yaml:"name"`
		} `yaml:"secretRef"`
	} `yaml:"envFrom"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	StartupProbe   *k8sProbe `yaml:"startupProbe"`
	LivenessProbe  *k8sProbe `yaml:"livenessProbe"`
	ReadinessProbe *k8sProbe `yaml:"readinessProbe"`
	VolumeMounts   []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
		SubPath   string `yaml:"subPath"`
	} `yaml:"volumeMounts"`
}

// podName is the name the tests give the recipe's pod.
const podName = "ftpcoord-7d9f8-x2k4q"

// secretMount is where the pod mounts the Secret: whole, since the kubelet
// never updates a subPath mount, and a rotated password must reach the file.
func secretMount(t *testing.T, dep, secret k8sObject) string {
	t.Helper()
	c := dep.Spec.Template.Spec.Containers[0]
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Secret == nil || v.Secret.SecretName != secret.Metadata.Name {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name {
				require.Empty(t, m.SubPath, "the Secret is mounted with subPath %q: the kubelet never updates it, so a rotated password would not reach the member", m.SubPath)
				return m.MountPath
			}
		}
	}
	t.Fatalf("the pod does not mount the Secret %s", secret.Metadata.Name)
	return ""
}

// podEnv is the container's environment as the kubelet makes it: the
// downward API's name is podName, a Secret's key is value(key).
func podEnv(t *testing.T, c k8sContainer, secret k8sObject, value func(key string) string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range c.Env {
		switch from := e.ValueFrom; {
		case from.FieldRef != nil:
			require.Equal(t, "metadata.name", from.FieldRef.FieldPath, "env %s", e.Name)
			env[e.Name] = podName
		case from.SecretKeyRef != nil:
			require.Equal(t, secret.Metadata.Name, from.SecretKeyRef.Name, "env %s", e.Name)
			require.Contains(t, secret.StringData, from.SecretKeyRef.Key, "env %s: the Secret has no such key", e.Name)
			env[e.Name] = value(from.SecretKeyRef.Key)
		default:
			t.Fatalf("env %s: a value neither from the pod nor from the Secret", e.Name)
		}
	}
	require.Empty(t, c.EnvFrom, "envFrom: the passwords are files and single variables now")
	return env
}

// The Kubernetes manifests are valid against the Kubernetes schemas
// (kubernetes-validate --strict, offline), and fit together: 3 replicas
// whose probes are the endpoints of --metrics-addr, a PodDisruptionBudget
// over the same pods, the configuration from the ConfigMap, the file
// server's password a file of the mounted Secret (read at each connection)
// and the database's from the Secret.
func TestKubernetesManifests(t *testing.T) {
	files, _ := filepath.Glob("../../deploy/kubernetes/*.yaml")
	require.Len(t, files, 5, "deploy/kubernetes manifests")
	validate := deployTool(t, "kubernetes-validate")
	out, err := exec.Command(validate, append([]string{"--strict"}, files...)...).CombinedOutput()
	if err != nil || strings.Count(string(out), " passed ") != 5 {
		t.Errorf("kubernetes-validate --strict: %v\n%s", err, out)
	}
	// The validator sees mistakes: a misspelt field fails.
	bad := filepath.Join(t.TempDir(), "deployment.yaml")
	b, _ := os.ReadFile("../../deploy/kubernetes/deployment.yaml")
	os.WriteFile(bad, []byte(strings.Replace(string(b), "  replicas: 3", "  replica: 3", 1)), 0o644)
	out, err = exec.Command(validate, "--strict", bad).CombinedOutput()
	assert.Error(t, err, "kubernetes-validate accepted a misspelt field:\n%s", out)

	objs := map[string]k8sObject{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var o k8sObject
		require.NoError(t, yaml.Unmarshal(b, &o), "%s", f)
		objs[o.Kind] = o
	}
	dep, pdb, cm, secret := objs["Deployment"], objs["PodDisruptionBudget"], objs["ConfigMap"], objs["Secret"]
	assert.EqualValues(t, 3, dep.Spec.Replicas, "replicas")
	podLabels := dep.Spec.Template.Metadata.Labels
	for _, sel := range []k8sSelector{dep.Spec.Selector, pdb.Spec.Selector} {
		assert.NotEmpty(t, sel.MatchLabels, "an empty selector")
		for k, v := range sel.MatchLabels {
			assert.Equal(t, v, podLabels[k], "selector %s=%s does not match the pods' labels %v", k, v, podLabels)
		}
	}
	if pdb.Spec.MinAvailable < 2 || pdb.Spec.MinAvailable >= dep.Spec.Replicas {
		t.Errorf("PodDisruptionBudget minAvailable %d of %d replicas: want an active member and a standby left, and drains possible", pdb.Spec.MinAvailable, dep.Spec.Replicas)
	}
	require.Len(t, dep.Spec.Template.Spec.Containers, 1, "containers")
	c := dep.Spec.Template.Spec.Containers[0]

	// Hardened (issue 25): no API token, non-root, a read-only root, no
	// capabilities, the runtime's seccomp profile, bounded scratch space,
	// and a NetworkPolicy over the same pods.
	pod := dep.Spec.Template.Spec
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("automountServiceAccountToken is not false")
	}
	sc := c.SecurityContext
	assert.True(t, pod.SecurityContext.RunAsNonRoot && sc.RunAsNonRoot, "runAsNonRoot")
	assert.True(t, pod.SecurityContext.RunAsUser > 0, "runAsUser")
	assert.True(t, sc.ReadOnlyRootFilesystem, "readOnlyRootFilesystem")
	assert.True(t, sc.AllowPrivilegeEscalation != nil && !*sc.AllowPrivilegeEscalation, "allowPrivilegeEscalation")
	assert.Equal(t, []string{"ALL"}, sc.Capabilities.Drop, "capabilities.drop")
	assert.Equal(t, "RuntimeDefault", pod.SecurityContext.SeccompProfile.Type, "the pod's seccompProfile")
	assert.Equal(t, "RuntimeDefault", sc.SeccompProfile.Type, "the container's seccompProfile")
	for _, v := range pod.Volumes {
		if v.EmptyDir != nil {
			assert.NotEmpty(t, v.EmptyDir.SizeLimit, "emptyDir %s has no sizeLimit", v.Name)
		}
	}
	np := objs["NetworkPolicy"]
	assert.Equal(t, podLabels["app.kubernetes.io/name"], np.Spec.PodSelector.MatchLabels["app.kubernetes.io/name"], "the NetworkPolicy does not select the pods")
	assert.ElementsMatch(t, []string{"Ingress", "Egress"}, np.Spec.PolicyTypes, "the NetworkPolicy's policyTypes")
	require.NotEmpty(t, c.Args, "args: want run ...")
	require.Equal(t, "run", c.Args[0], "args %v: want run ...", c.Args)
	f, err := parseRunFlags(c.Args[1:], &strings.Builder{})
	require.NoError(t, err, "the container's args")
	if float64(dep.Spec.Template.Spec.TerminationGracePeriodSeconds) <= f.stopTimeout.Seconds() {
		t.Errorf("terminationGracePeriodSeconds %d is not more than --stop-timeout %v", dep.Spec.Template.Spec.TerminationGracePeriodSeconds, f.stopTimeout)
	}
	addr, err := metricsListenAddr(f.metricsAddr)
	require.NoError(t, err, "--metrics-addr %q", f.metricsAddr)
	require.True(t, strings.HasPrefix(addr, "0.0.0.0:"), "--metrics-addr %q (%s): the kubelet probes the pod's address", f.metricsAddr, addr)
	port := ""
	for _, p := range c.Ports {
		if "0.0.0.0:"+strconv.Itoa(p.ContainerPort) == addr {
			port = p.Name
		}
	}
	require.NotEmpty(t, port, "no container port is --metrics-addr %s: %+v", addr, c.Ports)
	for name, c := range map[string]struct {
		p    *k8sProbe
		path string
	}{"startupProbe": {c.StartupProbe, "/healthz"}, "livenessProbe": {c.LivenessProbe, "/healthz"}, "readinessProbe": {c.ReadinessProbe, "/readyz"}} {
		if c.p == nil || c.p.HTTPGet.Path != c.path || c.p.HTTPGet.Port != port {
			t.Errorf("%s %+v, want GET %s on port %s", name, c.p, c.path, port)
		}
	}

	// The configuration: mounted from the ConfigMap where --config reads
	// it, its ${...} filled by the Secret and the pod's name.
	var mountPath, volume string
	for _, m := range c.VolumeMounts {
		if strings.HasPrefix(f.config, m.MountPath+"/") {
			mountPath, volume = m.MountPath, m.Name
		}
	}
	fromCM := false
	for _, v := range dep.Spec.Template.Spec.Volumes {
		fromCM = fromCM || (v.Name == volume && v.ConfigMap != nil && v.ConfigMap.Name == cm.Metadata.Name)
	}
	member, ok := cm.Data[strings.TrimPrefix(f.config, mountPath+"/")]
	require.True(t, fromCM && ok, "--config %s is not a key of the ConfigMap %s mounted there", f.config, cm.Metadata.Name)
	mount := secretMount(t, dep, secret)
	env := podEnv(t, c, secret, func(key string) string { return secret.StringData[key] })
	for k, v := range env {
		t.Setenv(k, v)
	}
	refs := envRefs(member)
	for _, ref := range refs {
		assert.Contains(t, env, ref, "the ConfigMap refers to ${%s}, which the container's env does not provide", ref)
	}
	assert.Contains(t, refs, "POD_NAME", "the members' ids do not come from the pod's name")
	// The Secret's files where the pod mounts them (the configuration
	// checks at start that its passwordFile is readable).
	mounted := k8ssecret.New(t, secret.StringData)
	cfg, err := parseConfig([]byte(installed{{mount, mounted.Root()}}.apply(member)), strings.HasSuffix(f.config, ".toml"))
	require.NoError(t, err, "the ConfigMap's configuration")
	if cfg.Coordination == nil || cfg.Coordination.MemberID != podName || cfg.Coordination.DatabaseConfig.Password != secret.StringData["db-password"] {
		t.Errorf("the ConfigMap's configuration did not take the Secret's database password and the pod's name: %+v", cfg.Coordination)
	}
	// The file server's password: a file of the mounted Secret, read at
	// each new connection, so that a rotated Secret needs no restart.
	assert.Empty(t, cfg.Auth.Credentials.Password, "the FTP password is inline or from the environment: want passwordFile")
	key, ok := strings.CutPrefix(passwordFileOf(t, member), mount+"/")
	assert.True(t, ok, "auth.credentials.passwordFile %q is not in the Secret's mount %s", passwordFileOf(t, member), mount)
	assert.Contains(t, secret.StringData, key, "auth.credentials.passwordFile names no key of the Secret")
	assert.NotContains(t, strings.ToLower(member), "change-me", "a password is written in the ConfigMap")
}

// unitValues are a unit file's Key=Value lines (the last of a repeated key).
func unitValues(unit string) map[string]string {
	values := map[string]string{}
	for _, l := range strings.Split(unit, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			values[k] = v
		}
	}
	return values
}

// splitUnitCommand splits an ExecStart line into words as systemd does for
// the quoting deploy/ uses: spaces separate words, "..." and '...' quote.
func splitUnitCommand(line string) ([]string, error) {
	var words []string
	var w strings.Builder
	in, quote := false, rune(0)
	for _, r := range line {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			w.WriteRune(r)
		case r == '"' || r == '\'':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words, in = append(words, w.String()), false
				w.Reset()
			}
		case r == '\\' || r == '$' || r == '%':
			return nil, fmt.Errorf("%q: escapes, variables and specifiers are not expected in deploy/'s ExecStart", line)
		default:
			w.WriteRune(r)
			in = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("%q: unterminated quote", line)
	}
	if in {
		words = append(words, w.String())
	}
	return words, nil
}

// installed maps a recipe's install locations to the test's: each prefix
// is replaced where it starts a path, and nothing else is touched.
type installed [][2]string

func (m installed) apply(s string) string {
	for _, kv := range m {
		s = regexp.MustCompile(`(^|[\s"'=])`+regexp.QuoteMeta(kv[0])).ReplaceAllString(s, "${1}"+kv[1])
	}
	return s
}

// pointAtTestServers is a recipe's member configuration with the file
// server and the database replaced by the test's (pure-ftpd over explicit
// TLS or OpenSSH, a database of its own): host, port, user names, the
// watched path and its archive. Everything else stays as written: the
// protocol, the TLS or SSH settings (their files are install locations),
// passwords as ${...} references for the environment.
func pointAtTestServers(t *testing.T, member, protocol string, srv ftpServer, db taskcompat.DatabaseConfig) string {
	t.Helper()
	var m map[string]any
	_, err := toml.Decode(member, &m)
	require.NoError(t, err)
	require.Equal(t, protocol, m["protocol"], "the recipe's protocol")
	m["host"], m["port"], m["path"] = srv.host, srv.port, srv.path
	m["afterProcess"] = map[string]any{"moveTo": srv.path + "/archive"}
	require.NoError(t, os.Mkdir(filepath.Join(srv.local, "archive"), 0o777))
	os.Chmod(filepath.Join(srv.local, "archive"), 0o777)
	m["auth"].(map[string]any)["credentials"].(map[string]any)["username"] = srv.user
	dbc := m["coordination"].(map[string]any)["databaseConfig"].(map[string]any)
	dbc["type"], dbc["host"], dbc["port"], dbc["user"], dbc["database"] = db.Type, db.Host, db.Port, db.User, db.Database
	var out strings.Builder
	require.NoError(t, toml.NewEncoder(&out).Encode(m))
	return out.String()
}

// expectProcessed puts a file on the server and waits until the recipe's
// handler has written its receipt (the file's path, size and SHA-256) and
// printed it, and the file is DONE and archived.
func expectProcessed(t *testing.T, srv ftpServer, receipts string, stdout *lockedBuffer, config string) {
	t.Helper()
	body := "id,amount\n1,42.00\n"
	srv.put(t, "2026-12-06.csv", body)
	sum := sha256.Sum256([]byte(body))
	want := fmt.Sprintf("handled path=%s/2026-12-06.csv bytes=%d sha256=%s attempt=1", srv.path, len(body), hex.EncodeToString(sum[:]))
	var receipt []byte
	eventually(t, 60*time.Second, "the handler's receipt for 2026-12-06.csv", func() bool {
		found, _ := filepath.Glob(filepath.Join(receipts, "*.receipt"))
		if len(found) != 1 {
			return false
		}
		receipt, _ = os.ReadFile(found[0])
		return len(receipt) > 0
	})
	assert.True(t, strings.HasPrefix(string(receipt), want+" "), "receipt %q, want %q...", receipt, want)
	eventually(t, 30*time.Second, "2026-12-06.csv DONE and archived", func() bool {
		_, err := os.Stat(filepath.Join(srv.local, "archive", "2026-12-06.csv"))
		rows := filesList(t, config)
		return err == nil && len(rows) == 1 && countStatus(rows, "DONE") == 1
	})
	assert.Contains(t, stdout.String(), "handle-file: "+want, "the handler's line in the member's output")
}

// lockedBuffer is a process's output, read while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// onTestPort moves a --metrics-addr value to a free loopback port: the
// tests listen on loopback only, and the recipes' fixed port may be taken.
func onTestPort(arg string) string {
	if _, err := metricsListenAddr(arg); err == nil && strings.Contains(arg, ":9464") {
		return "127.0.0.1:0"
	}
	return arg
}

// systemdPath is the PATH systemd gives a service.
const systemdPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// The systemd recipe as written processes a file: the unit's ExecStart
// (its install locations moved into the test's directory), with the
// variables of its EnvironmentFile (the example's names, the test database's
// password) and nothing else in its environment, the FTP password in the
// file member.toml names, and member.toml (FTPS,
// against pure-ftpd) or member-sftp.toml (SFTP, against OpenSSH) pointed at
// the test servers, runs the handler the install steps put in place, which
// leaves its receipt; and the install steps of docs/operations.md create
// every file the unit names.
func TestSystemdRecipeProcessesAFile(t *testing.T) {
	unit, err := os.ReadFile("../../deploy/systemd/ftpcoord.service")
	require.NoError(t, err)
	values := unitValues(string(unit))
	args, err := splitUnitCommand(values["ExecStart"])
	require.NoError(t, err)
	handler, err := filepath.Abs("../../deploy/handler/handle-file")
	require.NoError(t, err)

	// docs/operations.md's install steps install every file the unit needs.
	ops, err := os.ReadFile("../../docs/operations.md")
	require.NoError(t, err)
	steps := string(ops)[strings.Index(string(ops), "## systemd"):]
	steps = steps[:strings.Index(steps, "\n```\n")]
	for _, want := range []string{
		"install -m 0755 build/ftpcoord /usr/local/bin/ftpcoord",
		"install -m 0755 deploy/handler/handle-file /usr/local/lib/ftpcoord/handle-file",
		"/etc/ftpcoord/member.toml", "/etc/ftpcoord/ca.pem", "/etc/ftpcoord/ftp-password", values["EnvironmentFile"], "/etc/systemd/system/ftpcoord.service",
		"useradd --system", "systemctl enable --now ftpcoord",
	} {
		assert.Contains(t, steps, want, "docs/operations.md's systemd install steps")
	}

	// The FTPS member over pure-ftpd, the SFTP one over OpenSSH.
	for _, c := range []struct {
		protocol, member string
		server           func(t *testing.T) ftpServer
		installs         map[string]string // /etc/ftpcoord's files: the test server's
	}{
		{"FTPS", "member.toml", newFTPDir, map[string]string{"ca.pem": env(t, "FTPCOORD_TEST_FTP_CA")}},
		{"SFTP", "member-sftp.toml", newSFTPDir, map[string]string{"id_ed25519": env(t, "FTPCOORD_TEST_SFTP_KEY"), "known_hosts": env(t, "FTPCOORD_TEST_SFTP_KNOWN_HOSTS")}},
	} {
		t.Run(c.protocol, func(t *testing.T) {
			args := slices.Clone(args)
			root := t.TempDir()
			etc, state := filepath.Join(root, "etc"), filepath.Join(root, "var-lib-ftpcoord")
			require.NoError(t, os.MkdirAll(etc, 0o755))
			require.NoError(t, os.MkdirAll(state, 0o700)) // systemd makes the StateDirectory
			loc := installed{{"/usr/local/bin/ftpcoord", bin}, {"/usr/local/lib/ftpcoord/handle-file", handler}, {"/etc/ftpcoord", etc}, {"/var/lib/ftpcoord", state}}
			for i := range args {
				args[i] = onTestPort(loc.apply(args[i]))
			}
			for _, a := range args {
				for _, inst := range []string{"/usr/local/", "/etc/ftpcoord", "/var/lib/ftpcoord"} {
					require.NotContains(t, a, inst, "ExecStart %v: an install location left", args)
				}
			}
			require.Equal(t, bin, args[0])

			srv := c.server(t)
			db := testdb.NewWithSchema(t, schema.Postgres)
			member, err := os.ReadFile("../../deploy/systemd/" + c.member)
			require.NoError(t, err)
			config := filepath.Join(etc, "member.toml")
			require.NoError(t, os.WriteFile(config, []byte(loc.apply(pointAtTestServers(t, string(member), c.protocol, srv, db))), 0o644))
			for name, from := range c.installs {
				require.Contains(t, string(member), "/etc/ftpcoord/"+name, "%s names no /etc/ftpcoord/%s", c.member, name)
				b, err := os.ReadFile(from)
				require.NoError(t, err)
				require.NoError(t, os.WriteFile(filepath.Join(etc, name), b, 0o600))
			}
			// The file server's password, where the member reads it at each
			// connection: the test server's.
			if pf := passwordFileOf(t, string(member)); pf != "" {
				require.True(t, strings.HasPrefix(pf, "/etc/ftpcoord/"), "%s: passwordFile %s is not in /etc/ftpcoord", c.member, pf)
				assert.Contains(t, steps, pf, "docs/operations.md's install steps do not make %s", pf)
				require.NoError(t, os.WriteFile(loc.apply(pf), []byte(srv.pass+"\n"), 0o600))
			}

			// The EnvironmentFile: the example's variables, the test's passwords.
			example, err := os.ReadFile("../../deploy/systemd/ftpcoord.env.example")
			require.NoError(t, err)
			test := map[string]string{"FTPCOORD_DB_PASSWORD": db.Password}
			environ := []string{systemdPath}
			for _, l := range strings.Split(string(example), "\n") {
				if k, _, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(k, "#") {
					v, known := test[k]
					require.True(t, known, "ftpcoord.env.example sets %s: the test knows no value for it", k)
					environ = append(environ, k+"="+v)
					t.Setenv(k, v) // for the test's own ftpcoord files list
				}
			}

			cmd := exec.Command(args[0], args[1:]...)
			cmd.Env, cmd.Dir = environ, loc.apply(values["WorkingDirectory"])
			stdout := &lockedBuffer{}
			cmd.Stdout = stdout
			startMember(t, cmd)
			expectProcessed(t, srv, filepath.Join(state, "processed"), stdout, config)
		})
	}
}

// passwordFileOf is a member configuration's auth.credentials.passwordFile.
func passwordFileOf(t *testing.T, member string) string {
	t.Helper()
	var m struct {
		Auth struct {
			Credentials struct {
				PasswordFile string `toml:"passwordFile"`
			} `toml:"credentials"`
		} `toml:"auth"`
	}
	_, err := toml.Decode(member, &m)
	require.NoError(t, err)
	return m.Auth.Credentials.PasswordFile
}

// newSFTPDir is a directory of the test OpenSSH server, which serves the
// host's paths: the remote path is the local one.
func newSFTPDir(t *testing.T) ftpServer {
	t.Helper()
	host, port, _ := strings.Cut(env(t, "FTPCOORD_TEST_SFTP_ADDR"), ":")
	p, _ := strconv.Atoi(port)
	local := filepath.Join(env(t, "FTPCOORD_TEST_SFTP_ROOT"), fmt.Sprintf("cmd-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano()))
	require.NoError(t, os.Mkdir(local, 0o777))
	os.Chmod(local, 0o777)
	t.Cleanup(func() { os.RemoveAll(local) })
	return ftpServer{host: host, port: p, user: env(t, "FTPCOORD_TEST_SFTP_USER"), local: local, path: local}
}

// The Kubernetes recipe as written processes a file, and takes a rotated
// FTP password without a restart: the container's command and args
// (install locations of the image moved into the test's directory), with
// the environment the pod gets (its name, the database password from the
// Secret), the ConfigMap's files (member.toml pointed at the test servers,
// ca.pem the test server's CA) and the Secret's files (the FTP password of a
// pure-ftpd user of the test's own, laid out as the kubelet mounts a
// Secret) where the pod mounts them, runs the handler the image installs,
// which leaves its receipt. Then the server's password changes, the Secret
// is updated (the kubelet's atomic swap) and the member's sessions are cut:
// the next file is processed, so the next connection read the new password.
// The image recipe (deploy/container/Dockerfile) installs that handler and
// runs as the user the pod requires.
func TestKubernetesRecipeProcessesAFile(t *testing.T) {
	var dep, cm, secret k8sObject
	for f, o := range map[string]*k8sObject{"deployment.yaml": &dep, "configmap.yaml": &cm, "secret.yaml": &secret} {
		b, err := os.ReadFile("../../deploy/kubernetes/" + f)
		require.NoError(t, err)
		require.NoError(t, yaml.Unmarshal(b, o), "%s", f)
	}
	c := dep.Spec.Template.Spec.Containers[0]
	require.NotEmpty(t, c.Command, "the container names no command")
	argv := append(append([]string{}, c.Command...), c.Args...)

	// The image recipe fits the manifest.
	df, err := os.ReadFile("../../deploy/container/Dockerfile")
	require.NoError(t, err)
	image := dockerfileFacts(string(df))
	assert.GreaterOrEqual(t, image.stages, 2, "the Dockerfile is not a multi-stage build")
	assert.Equal(t, c.Command, image.entrypoint, "the Dockerfile's ENTRYPOINT is not the container's command")
	assert.Equal(t, strconv.Itoa(dep.Spec.Template.Spec.SecurityContext.RunAsUser), strings.Split(image.user, ":")[0], "the image's USER is not the pod's runAsUser")
	assert.Contains(t, image.copies, "deploy/handler/handle-file /usr/local/lib/ftpcoord/handle-file", "the image does not install the handler")
	assert.Contains(t, image.workdir, "/var/lib/ftpcoord")
	gomod, _ := os.ReadFile("../../go.mod")
	goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	require.NotNil(t, goLine)
	assert.Equal(t, string(goLine[1]), image.goVersion, "the Dockerfile's GO_VERSION is not go.mod's")

	handler, err := filepath.Abs("../../deploy/handler/handle-file")
	require.NoError(t, err)
	root := t.TempDir()
	etc, work := filepath.Join(root, "etc"), filepath.Join(root, "work")
	require.NoError(t, os.MkdirAll(etc, 0o755))
	require.NoError(t, os.MkdirAll(work, 0o700)) // the emptyDir
	var mounts []string
	for _, m := range c.VolumeMounts {
		mounts = append(mounts, m.MountPath)
	}
	assert.Contains(t, mounts, "/etc/ftpcoord")
	assert.Contains(t, mounts, "/var/lib/ftpcoord", "the staging and receipts directory is not a mounted (writable) volume")
	loc := installed{{"/usr/local/bin/ftpcoord", bin}, {"/usr/local/lib/ftpcoord/handle-file", handler}, {"/etc/ftpcoord", etc}, {"/var/lib/ftpcoord", work}}
	for i := range argv {
		argv[i] = onTestPort(loc.apply(argv[i]))
	}
	for _, a := range argv {
		for _, inst := range []string{"/usr/local/", "/etc/ftpcoord", "/var/lib/ftpcoord"} {
			require.NotContains(t, a, inst, "command and args %v: an install location left", argv)
		}
	}

	// The file server: pure-ftpd through a relay that can cut the member's
	// sessions, as a user whose password the test rotates.
	srv := newFTPDir(t)
	user, setPassword := pureftpuser.New(t)
	setPassword("first-" + podName)
	proxy, err := tcpproxy.Start(net.JoinHostPort(srv.host, strconv.Itoa(srv.port)))
	require.NoError(t, err)
	t.Cleanup(func() { proxy.Close() })
	srv.user, srv.pass, srv.port = user, "first-"+podName, proxy.Addr().Port

	db := testdb.NewWithSchema(t, schema.Postgres)
	test := map[string]string{"ftp-password": srv.pass + "\n", "db-password": db.Password}
	files := map[string]string{}
	for k := range secret.StringData {
		v, known := test[k]
		require.True(t, known, "the Secret sets %s: the test knows no value for it", k)
		files[k] = v
	}
	secrets := k8ssecret.New(t, files)
	loc = append(loc, [2]string{secretMount(t, dep, secret), secrets.Root()})

	config := filepath.Join(etc, "member.toml")
	require.Contains(t, cm.Data, "ca.pem", "the ConfigMap has no ca.pem")
	require.NoError(t, os.WriteFile(config, []byte(loc.apply(pointAtTestServers(t, cm.Data["member.toml"], "FTPS", srv, db))), 0o644))
	ca, err := os.ReadFile(env(t, "FTPCOORD_TEST_FTP_CA"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(etc, "ca.pem"), ca, 0o644))

	environ := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"} // debian's
	for k, v := range podEnv(t, c, secret, func(key string) string { return test[key] }) {
		environ = append(environ, k+"="+v)
		t.Setenv(k, v) // for the test's own ftpcoord files list
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = environ, work
	stdout := &lockedBuffer{}
	cmd.Stdout = stdout
	member := startMember(t, cmd)
	expectProcessed(t, srv, filepath.Join(work, "processed"), stdout, config)

	// Rotation: the server takes only the new password, the Secret is
	// updated, and the member's logged-in sessions end. Nothing restarts.
	setPassword("second-" + podName)
	secrets.Update(map[string]string{"ftp-password": "second-" + podName, "db-password": db.Password})
	proxy.SetMode(tcpproxy.Refuse)
	proxy.SetMode(tcpproxy.Pass)
	srv.put(t, "2026-12-07.csv", "id,amount\n2,7.00\n")
	eventually(t, 60*time.Second, "2026-12-07.csv DONE and archived after the rotation", func() bool {
		_, err := os.Stat(filepath.Join(srv.local, "archive", "2026-12-07.csv"))
		return err == nil && countStatus(filesList(t, config), "DONE") == 2
	})
	assert.Contains(t, stdout.String(), "handle-file: handled path="+srv.path+"/2026-12-07.csv ", "the handler's line for the file after the rotation")
	for _, pw := range []string{"first-" + podName, "second-" + podName} {
		assert.NotContains(t, member.log()+stdout.String(), pw, "a password in the member's output")
	}
}

// dockerfile is what the tests read of a Dockerfile.
type dockerfile struct {
	stages                   int
	entrypoint               []string
	user, workdir, goVersion string
	copies                   []string // "SRC DEST" of the last stage's COPYs from the context
}

func dockerfileFacts(text string) dockerfile {
	var d dockerfile
	for _, l := range strings.Split(strings.ReplaceAll(text, "\\\n", " "), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		switch strings.ToUpper(f[0]) {
		case "FROM":
			d.stages++
			d.copies = nil
		case "ARG":
			if v, ok := strings.CutPrefix(f[1], "GO_VERSION="); ok {
				d.goVersion = v
			}
		case "ENTRYPOINT":
			json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(l, f[0]))), &d.entrypoint)
		case "USER":
			d.user = f[1]
		case "WORKDIR":
			d.workdir = f[1]
		case "COPY":
			var rest []string
			for _, w := range f[1:] {
				if !strings.HasPrefix(w, "--") {
					rest = append(rest, w)
				} else if strings.HasPrefix(w, "--from=") {
					rest = nil
					break
				}
			}
			if len(rest) == 2 {
				d.copies = append(d.copies, rest[0]+" "+rest[1])
			}
		}
	}
	return d
}

// The image recipe's build stage works on what it is given: the
// repository's tracked files less deploy/container/Dockerfile.dockerignore,
// built with the Dockerfile's own RUN go build line (its VERSION stamped),
// gives a binary that runs and reports that version.
func TestDockerfileBuildStage(t *testing.T) {
	df, err := os.ReadFile("../../deploy/container/Dockerfile")
	require.NoError(t, err)
	var build, version string
	for _, l := range strings.Split(string(df), "\n") {
		if v, ok := strings.CutPrefix(l, "ARG VERSION="); ok {
			version = v
		}
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build") {
			build = strings.TrimPrefix(l, "RUN ")
		}
	}
	require.NotEmpty(t, build, "the Dockerfile has no RUN ... go build line")
	require.NotEmpty(t, version, "the Dockerfile has no ARG VERSION=")

	ignore, err := os.ReadFile("../../deploy/container/Dockerfile.dockerignore")
	require.NoError(t, err)
	var patterns []string
	for _, l := range strings.Split(string(ignore), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			patterns = append(patterns, l)
		}
	}
	ignored := func(p string) bool {
		for _, pat := range patterns {
			base := strings.TrimPrefix(pat, "**/")
			for _, part := range strings.Split(p, "/") {
				if ok, _ := filepath.Match(base, part); ok && (pat != base || strings.HasPrefix(p, part+"/") || p == part) {
					return true
				}
			}
		}
		return false
	}
	files, err := exec.Command("git", "-C", "../..", "ls-files").Output()
	require.NoError(t, err)
	context := t.TempDir()
	n := 0
	for _, f := range strings.Split(strings.TrimSpace(string(files)), "\n") {
		if ignored(f) {
			continue
		}
		b, err := os.ReadFile(filepath.Join("../..", f))
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted in the work tree
		}
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(context, filepath.Dir(f)), 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(context, f), b, 0o644))
		n++
	}
	require.NotZero(t, n)
	assert.NoDirExists(t, filepath.Join(context, "tests"), "the build context holds tests/, which the image does not need")

	out := filepath.Join(t.TempDir(), "ftpcoord")
	cmd := exec.Command("sh", "-c", strings.NewReplacer("${VERSION}", version, "/out/ftpcoord", out).Replace(build))
	cmd.Dir = context
	msg, err := cmd.CombinedOutput()
	require.NoError(t, err, "the Dockerfile's build line in its build context:\n%s", msg)
	v, err := exec.Command(out, "version").Output()
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(v), "ftpcoord "+version+"\n"), "the image's binary says %q", v)
}
