package collect

import (
	"io"
	"strings"
	"testing"
)

func TestTailBufferKeepsNewestWholeLines(t *testing.T) {
	tests := []struct {
		name   string
		max    int64
		writes []string
		want   string
		drop   bool
	}{
		{"fits", 64, []string{"a\n", "b\n"}, "a\nb\n", false},
		{"exactly full", 4, []string{"a\n", "b\n"}, "a\nb\n", false},
		{"wraps and drops the cut line", 8, []string{"line1\n", "line2\n", "line3\n"}, "line3\n", true},
		{"one write larger than the buffer", 8, []string{"aaaa\nbbbb\ncc\n"}, "cc\n", true},
		// The newest 10 bytes happen to start a line, but after a drop the
		// buffer cannot know that, so it always drops the first line.
		{"many small writes", 10, strings.Split("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n", ""), "6\n7\n8\n9\n", true},
		{"no newline survives", 4, []string{"abcdefgh"}, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tb := newTailBuffer(tc.max)
			for _, w := range tc.writes {
				if _, err := tb.Write([]byte(w)); err != nil {
					t.Fatal(err)
				}
			}
			got, _ := io.ReadAll(tb.Reader())
			if string(got) != tc.want {
				t.Errorf("kept %q, want %q", got, tc.want)
			}
			if (tb.Dropped() > 0) != tc.drop {
				t.Errorf("Dropped() = %d, want dropped=%v", tb.Dropped(), tc.drop)
			}
			if int64(tb.Len()) > tc.max {
				t.Errorf("holds %d bytes, more than max %d", tb.Len(), tc.max)
			}
		})
	}
}
