package listener

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// A leadership context ends at the first check that finds the coordinator
// no longer confirms it, and stays ended: a fence found on waking is seen
// before any event tells it.
func TestHeldEndsLeadershipWhenTheCoordinatorNoLongerConfirms(t *testing.T) {
	var holds atomic.Bool
	holds.Store(true)
	lead, release := withLeadership(context.Background(), holds.Load)
	defer release()
	require.True(t, held(lead))
	require.NoError(t, lead.Err())

	holds.Store(false)
	require.False(t, held(lead))
	require.ErrorIs(t, context.Cause(lead), errLeadershipLost)
	<-lead.Done()

	holds.Store(true)
	require.False(t, held(lead), "a lost leadership does not come back within a poll")
}

// The LostActive event of a term ends its contexts, made before or after
// the event; a later term gets a live one.
func TestTermsEndWithTheirTerm(t *testing.T) {
	var ts terms
	c3 := ts.context(3)
	require.NoError(t, c3.Err())
	ts.lost(3)
	<-c3.Done()
	require.Error(t, ts.context(3).Err(), "a context asked for after its term ended is ended")

	c4 := ts.context(4)
	require.NoError(t, c4.Err())
	require.Error(t, c3.Err())
	ts.lost(3) // a late event of an older term
	require.NoError(t, c4.Err())
}

// Without coordination a poll's leadership lasts the poll; a stop (the
// work's ctx) does not end it: the work ends by ctx.
func TestUncoordinatedLeadershipLastsThePoll(t *testing.T) {
	l := &Listener{}
	ctx, cancel := context.WithCancel(context.Background())
	lead, release, _, active, ok := l.lead(ctx, nil)
	require.True(t, ok)
	require.True(t, active)
	cancel()
	require.True(t, held(lead))
	release()
	require.False(t, held(lead))
}

// Shared mode's heartbeat may be current again once a heartbeat lands: held
// tells it as it is, and the context ends only with the poll.
func TestPassingLeadershipTellsTheConditionAsItIs(t *testing.T) {
	var holds atomic.Bool
	lead, release := withPassingLeadership(context.Background(), holds.Load)
	require.False(t, held(lead))
	require.NoError(t, lead.Err(), "not ended by a passing no")
	holds.Store(true)
	require.True(t, held(lead))
	release()
	require.False(t, held(lead))
}
