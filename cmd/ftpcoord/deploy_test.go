package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

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
// environment file's variables, and systemd waits longer than the stop
// timeout before it kills.
func TestSystemdUnit(t *testing.T) {
	analyze := deployTool(t, "systemd-analyze")
	unit, err := os.ReadFile("../../deploy/systemd/ftpcoord.service")
	require.NoError(t, err)
	values := map[string]string{}
	for _, l := range strings.Split(string(unit), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
			values[k] = v
		}
	}
	args := strings.Fields(values["ExecStart"])
	require.GreaterOrEqual(t, len(args), 2, "ExecStart %q is not /usr/local/bin/ftpcoord run ...", values["ExecStart"])
	require.Equal(t, []string{"/usr/local/bin/ftpcoord", "run"}, args[:2], "ExecStart %q is not /usr/local/bin/ftpcoord run ...", values["ExecStart"])
	f, err := parseRunFlags(args[2:], &strings.Builder{})
	require.NoError(t, err, "ExecStart's flags")
	if f.config != "/etc/ftpcoord/member.toml" || f.metricsAddr == "" || f.logFormat != "json" {
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
	cfg, err := parseConfig(member, true)
	require.NoError(t, err, "deploy/systemd/member.toml")
	if cfg.Coordination == nil || cfg.Coordination.DatabaseConfig.Password != "change-me" || cfg.Auth.Credentials.Password != "change-me" {
		t.Errorf("member.toml's passwords are not the environment file's: %+v", cfg.Coordination)
	}

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
		TerminationGracePeriodSeconds int            `yaml:"terminationGracePeriodSeconds"`
		Containers                    []k8sContainer `yaml:"containers"`
		Volumes                       []struct {
			Name      string `yaml:"name"`
			ConfigMap *struct {
				Name string `yaml:"name"`
			} `yaml:"configMap"`
		} `yaml:"volumes"`
	} `yaml:"spec"`
}

type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

type k8sContainer struct {
	Args []string `yaml:"args"`
	Env  []struct {
		Name string `yaml:"name"`
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
	} `yaml:"volumeMounts"`
}

// The Kubernetes manifests are valid against the Kubernetes schemas
// (kubernetes-validate --strict, offline), and fit together: 3 replicas
// whose probes are the endpoints of --metrics-addr, a PodDisruptionBudget
// over the same pods, the configuration from the ConfigMap and every
// password it refers to from the Secret.
func TestKubernetesManifests(t *testing.T) {
	files, _ := filepath.Glob("../../deploy/kubernetes/*.yaml")
	require.Len(t, files, 4, "deploy/kubernetes manifests")
	validate := deployTool(t, "kubernetes-validate")
	out, err := exec.Command(validate, append([]string{"--strict"}, files...)...).CombinedOutput()
	if err != nil || strings.Count(string(out), " passed ") != 4 {
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
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef.Name != secret.Metadata.Name {
		t.Errorf("envFrom %+v, want the Secret %s", c.EnvFrom, secret.Metadata.Name)
	}
	provided := map[string]bool{}
	for k, v := range secret.StringData {
		provided[k] = true
		t.Setenv(k, v)
	}
	for _, e := range c.Env {
		provided[e.Name] = true
		t.Setenv(e.Name, "ftpcoord-7d9f8-x2k4q") // a pod's name
	}
	refs := envRefs(member)
	for _, ref := range refs {
		assert.True(t, provided[ref], "the ConfigMap refers to ${%s}, which neither the Secret nor the container's env provides", ref)
	}
	assert.Contains(t, refs, "POD_NAME", "the members' ids do not come from the pod's name")
	cfg, err := parseConfig([]byte(member), strings.HasSuffix(f.config, ".toml"))
	require.NoError(t, err, "the ConfigMap's configuration")
	if cfg.Coordination == nil || cfg.Coordination.MemberID != "ftpcoord-7d9f8-x2k4q" ||
		cfg.Coordination.DatabaseConfig.Password != secret.StringData["FTPCOORD_DB_PASSWORD"] || cfg.Auth.Credentials.Password != secret.StringData["FTPCOORD_FTP_PASSWORD"] {
		t.Errorf("the ConfigMap's configuration did not take the Secret's passwords and the pod's name: %+v", cfg.Coordination)
	}
	assert.NotContains(t, strings.ToLower(member), "change-me", "a password is written in the ConfigMap")
}
