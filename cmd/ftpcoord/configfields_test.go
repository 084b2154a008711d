package main

import (
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ftpcoord/ftpcoord/core/listener"
)

// javaFieldsFile lists the configuration fields the Java builder and the
// Spring properties must carry, one JSON path a line; the Java tests
// (ConfigFieldsTest, in both modules) check what each writes against it.
const javaFieldsFile = "../../bindings/java/src/test/resources/config-fields.txt"

// notInBindings are Ballerina's fields that ftpcoord accepts so that a
// Ballerina configuration reads, and that change nothing here
// (ListenerConfig.Unhonoured warns about them): a new API need not offer
// them; fromJson still takes them.
var notInBindings = []string{
	"userDirIsRoot", "laxDataBinding", "fileTransferMode", "sftpCompression", "csvFailSafe.contentType",
	"socketConfig.sftpSessionTimeout", "fileAgeFilter.ageCalculationMode", "services[].fileAgeFilter.ageCalculationMode",
	"auth.secureSocket.dataChannelProtection",
	"proxy.command", // STREAM's command: refused, not supported
}

// methodsField is the one map of the configuration (services[].methods,
// keyed by method name); the Java tests write its keys as "*" too.
const methodsField = "services[].methods"

// bindingFields are the leaf JSON paths of ListenerConfig (fields that hold
// a value, not an object), less notInBindings.
func bindingFields() []string {
	var paths []string
	for _, p := range fieldPaths(reflect.TypeFor[listener.ListenerConfig](), "") {
		paths = append(paths, p)
		if p == methodsField { // a map by method name: its entries' fields, under "*"
			paths = append(paths, fieldPaths(reflect.TypeFor[listener.MethodConfig](), methodsField+".*.")...)
		}
	}
	var out []string
	for _, p := range paths {
		parent := slices.ContainsFunc(paths, func(q string) bool {
			return strings.HasPrefix(q, p+".") || strings.HasPrefix(q, p+"[].")
		})
		if !parent && !slices.Contains(notInBindings, p) {
			out = append(out, p)
		}
	}
	return out
}

// The Go struct is the one source of the configuration: the list the Java
// tests read is written from it. A field added in Go fails here until the
// list is written again (FTPCOORD_WRITE_FIELDS=1 go test -run
// TestJavaConfigFieldsAreTheGoStruct ./cmd/ftpcoord/), and then fails the
// Java tests until the builder and the Spring properties write it.
func TestJavaConfigFieldsAreTheGoStruct(t *testing.T) {
	fields := bindingFields()
	require.Greater(t, len(fields), 60, "leaf fields of ListenerConfig: %v", fields)
	for _, p := range notInBindings {
		require.Contains(t, fieldPaths(reflect.TypeFor[listener.ListenerConfig](), ""), p, "notInBindings names a field ListenerConfig no longer has")
	}
	want := "# Written from core/listener.ListenerConfig by TestJavaConfigFieldsAreTheGoStruct (cmd/ftpcoord):\n" +
		"# the JSON paths the Java builder and the Spring properties must write. Do not edit.\n" +
		strings.Join(fields, "\n") + "\n"
	if os.Getenv("FTPCOORD_WRITE_FIELDS") == "1" {
		require.NoError(t, os.WriteFile(javaFieldsFile, []byte(want), 0o644))
	}
	got, err := os.ReadFile(javaFieldsFile)
	require.NoError(t, err)
	require.Equal(t, want, string(got), "%s is not the Go struct's fields: write it again with FTPCOORD_WRITE_FIELDS=1 go test -run TestJavaConfigFieldsAreTheGoStruct ./cmd/ftpcoord/, then give the Java builder and FtpcoordProperties the new fields", javaFieldsFile)
}
