package main

import (
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// ftpcoord.h writes the status codes and the ack outcomes once: the cgo
// preamble takes them from it, and Native.java (the JNI side, which cannot
// include it) restates them under the same names without FTPCOORD_: each
// must be there with the header's value, and no other.
func TestNativeJavaConstantsAreTheHeaders(t *testing.T) {
	h, err := os.ReadFile("ftpcoord.h")
	require.NoError(t, err)
	j, err := os.ReadFile("../bindings/java/src/main/java/io/github/ftpcoord/Native.java")
	require.NoError(t, err)
	header := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^#define FTPCOORD_([A-Z_]+)\s+(-?\d+)\b`).FindAllStringSubmatch(string(h), -1) {
		header[m[1]], _ = strconv.Atoi(m[2])
	}
	java := map[string]int{}
	for _, m := range regexp.MustCompile(`static final int ([A-Z_]+) = (-?\d+);`).FindAllStringSubmatch(string(j), -1) {
		java[m[1]], _ = strconv.Atoi(m[2])
	}
	require.Len(t, header, 10, "ftpcoord.h's constants: %v", header)
	require.Equal(t, header, java, "Native.java's status codes and ack outcomes are not ftpcoord.h's (want the header's names without FTPCOORD_, and its values)")
	// The Go side takes them from the header itself.
	require.Equal(t, header["OK"], codeOK)
	require.Equal(t, header["PANIC"], codePanic)
	require.Equal(t, header["ACK_REJECT"], ackReject)
}
