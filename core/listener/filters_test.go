package listener

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/ftpcoord/ftpcoord/core/remote"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The chain is composed once from the configuration, in order: a file
// must pass every link, and stableListings (which counts) is asked last.
func TestFilterChainComposesTheConfiguredFilters(t *testing.T) {
	l, err := New(ListenerConfig{FileNamePattern: `.*\.csv`, Exclude: []string{"skip*"},
		FileAgeFilter: &FileAgeFilter{MinAge: 60}, StableListings: 2})
	require.NoError(t, err)
	f := &l.filters
	assert.False(t, f.shows(".hidden.csv"), "hidden entries are left out by default")
	assert.True(t, f.named("a.csv"))
	assert.False(t, f.named("a.txt"), "fileNamePattern")
	assert.False(t, f.named("skip.csv"), "exclude")

	now := time.Now()
	young := remote.Entry{Name: "a.csv", Size: 1, ModTime: now.Add(-time.Second)}
	old := remote.Entry{Name: "a.csv", Size: 1, ModTime: now.Add(-time.Hour)}
	key := []byte("/in/a.csv")
	assert.False(t, f.admits(key, young, now), "fileAgeFilter holds a young file back")
	assert.Empty(t, l.unstable, "a file the age filter holds back is not counted by stableListings")
	assert.False(t, f.admits(key, old, now), "first listing of two")
	assert.True(t, f.admits(key, old, now), "second listing unchanged")
}

func TestFilterChainDefaultsLetEveryVisibleFileThrough(t *testing.T) {
	l, err := New(ListenerConfig{})
	require.NoError(t, err)
	f := &l.filters
	assert.Empty(t, f.names)
	assert.Empty(t, f.versions, "stableListings 1 and no fileAgeFilter: nothing to ask")
	assert.False(t, f.shows(".x"))
	assert.True(t, f.admits([]byte("/x"), remote.Entry{Name: "x", ModTime: time.Now()}, time.Now()))

	l, err = New(ListenerConfig{IncludeHidden: true})
	require.NoError(t, err)
	assert.True(t, l.filters.shows(".x"), "includeHidden")
}

func TestWorkersRunEveryJobOnce(t *testing.T) {
	var sum, runs atomic.Int64
	w := startWorkers(3, 0, func(i int) { sum.Add(int64(i)); runs.Add(1) })
	for i := 1; i <= 100; i++ {
		w.add(i)
	}
	w.wait()
	assert.Equal(t, int64(100), runs.Load())
	assert.Equal(t, int64(5050), sum.Load())
}
