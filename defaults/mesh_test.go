package defaults

import "testing"

// TestAtLeastReadsLikeAHuman: minimums in messages read as people write durations.
func TestAtLeastReadsLikeAHuman(t *testing.T) {
	for in, want := range map[int64]string{3600: "1h", 5400: "1h30m", 90: "1m30s", 60: "1m", 45: "45s", 7200: "2h", 3661: "1h1m1s"} {
		if got := atLeast(in); got != want {
			t.Errorf("atLeast(%d) = %q, want %q", in, got, want)
		}
	}
}
