package taskcompat_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// coordinationSQL matches SQL naming the coordination tables, and a table
// name quoted alone (a statement built from a list of tables).
var coordinationSQL = regexp.MustCompile(`(?i)\b(FROM|INTO|UPDATE|JOIN|TABLE|EXISTS)\s+(token_holder|health_check)\b|"(token_holder|health_check)"`)

// ownerAllowed: where SQL on the coordination tables may live besides this
// package. schema creates them; tests, test harnesses (a Ballerina peer, the
// chaos sampler) and benchmarks watch or play a member from outside, as
// another process would.
func ownerAllowed(rel string) bool {
	for _, dir := range []string{"taskcompat/", "schema/", "tests/", "bench/"} {
		if strings.HasPrefix(rel, dir) {
			return true
		}
	}
	return strings.HasSuffix(rel, "_test.go") || strings.Contains(rel, "/src/test/")
}

// Architecture: taskcompat is the only code that writes SQL against its
// tables (token_holder, health_check); the ledger, the listener, the
// command and the demo use what it exports (group.go). One rule, one place.
func TestOnlyTaskcompatWritesSQLOnItsTables(t *testing.T) {
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(root, "go.mod"), "the module root")
	var offenders []string
	checked := 0
	err = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			switch e.Name() {
			case ".git", "node_modules", "target", "build":
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".java", ".c", ".h", ".py", ".sh":
		default:
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		checked++
		if ownerAllowed(rel) {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if coordinationSQL.MatchString(line) {
				offenders = append(offenders, rel+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Greater(t, checked, 100, "walked too few files: is %s the module root?", root)
	require.Empty(t, offenders, "SQL on token_holder/health_check outside taskcompat: use taskcompat's FenceSQL, HoldsTerm, OwnerGoneSQL, StaleMembers, ReadGroup, ForgetGroup")
	// The pattern finds what it is meant to.
	require.True(t, coordinationSQL.MatchString(`SELECT 1 FROM token_holder WHERE group_id = ?`))
	require.True(t, coordinationSQL.MatchString(`[]string{"ftpcoord_file", "health_check"}`))
	require.False(t, coordinationSQL.MatchString(`schema applied: token_holder, health_check, ftpcoord_file`))
}
