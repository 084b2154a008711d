package groupstatus

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The interval that judges: --liveness, else the members' own (the
// smallest when they disagree, saying so), else the reader's file.
func TestJudgeChooses(t *testing.T) {
	j := Judge{Fallback: 30, Source: "--config m.toml"}
	n, src := j.choose([]Member{{ID: "bal"}, {ID: "a", LivenessCheckInterval: 10}, {ID: "b", LivenessCheckInterval: 10}})
	assert.Equal(t, 10, n)
	assert.Equal(t, "the members' own (recorded by a 10s, b 10s)", src)
	n, src = j.choose([]Member{{ID: "a", LivenessCheckInterval: 10}, {ID: "b", LivenessCheckInterval: 5}})
	assert.Equal(t, 5, n)
	assert.Contains(t, src, "the smallest the members recorded (a 10s, b 5s): they disagree")
	n, src = j.choose([]Member{{ID: "bal"}})
	assert.Equal(t, 30, n)
	assert.Contains(t, src, "from --config m.toml: no member recorded its own")
	j.Override = 2
	n, src = j.choose([]Member{{ID: "a", LivenessCheckInterval: 10}})
	assert.Equal(t, 2, n)
	assert.Equal(t, "as --liveness asked", src)
}
