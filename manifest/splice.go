package manifest

import (
	"bytes"
	"errors"
	"strings"
)

// errSplice is a change whose lines splice cannot place in the original text.
var errSplice = errors.New("the new lines cannot be placed without rewriting others")

// line is one line of a document: its text and its line break ("\r\n", "\n", "\r", or "" for a
// last line without one).
type line struct {
	text, brk string
}

// splitLines cuts text into lines at "\r\n", "\n" and "\r", the line breaks YAML knows.
func splitLines(text []byte) []line {
	var out []line
	for len(text) > 0 {
		i := bytes.IndexAny(text, "\r\n")
		if i < 0 {
			out = append(out, line{text: string(text)})
			break
		}
		n := 1
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			n = 2
		}
		out = append(out, line{text: string(text[:i]), brk: string(text[i : i+n])})
		text = text[i+n:]
	}
	return out
}

// lineBreak is the line break a document uses: the first one it has, "\n" when it has none.
func lineBreak(lines []line) string {
	for _, l := range lines {
		if l.brk != "" {
			return l.brk
		}
	}
	return "\n"
}

// normalized is the text of lines with "\n" line breaks, as the YAML encoder writes them.
func normalized(lines []line) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}

// splice applies to the original lines what the encoder changed from before (the document
// encoded without changes) to after (encoded with them): the lines of the changes, in the
// original's line break, go where the unchanged encoding puts them; every other line of the
// original is kept byte for byte, whatever the encoder would have made of it (folded scalars,
// spaces before comments, merge keys, line breaks).
//
// Lines of the unchanged encoding are matched to the original's in order; changes are placed
// next to matched lines, and a change next to lines that match none is errSplice.
func splice(orig []line, before, after []string) ([]byte, error) {
	texts := make([]string, len(orig))
	for i, l := range orig {
		texts[i] = l.text
	}
	// at[k] is the original line of line k of the unchanged encoding, or -1.
	at := make([]int, len(before))
	for k := range at {
		at[k] = -1
	}
	i, k := 0, 0
	for _, h := range diffLines(texts, before) {
		for ; i < h.a; i, k = i+1, k+1 {
			at[k] = i
		}
		i, k = h.b, h.d
	}
	for ; k < len(before); i, k = i+1, k+1 {
		at[k] = i
	}

	brk := lineBreak(orig)
	var out []line
	pos := 0 // the first original line not copied yet
	copyTo := func(end int) {
		out = append(out, orig[pos:end]...)
		pos = end
	}
	insert := func(lines []string, lastBrk string) {
		if n := len(out); n > 0 && out[n-1].brk == "" {
			out[n-1].brk = brk
		}
		for j, t := range lines {
			b := brk
			if j == len(lines)-1 {
				b = lastBrk
			}
			out = append(out, line{text: t, brk: b})
		}
	}
	for _, h := range diffLines(before, after) {
		if h.b > h.a {
			// Lines replaced: they must all be original lines, one after the other.
			for j := h.a; j < h.b; j++ {
				if at[j] < 0 || j > h.a && at[j] != at[j-1]+1 {
					return nil, errSplice
				}
			}
			start, end := at[h.a], at[h.b-1]+1
			if start < pos {
				return nil, errSplice
			}
			copyTo(start)
			if h.d > h.c {
				insert(after[h.c:h.d], orig[end-1].brk)
			}
			pos = end
			continue
		}
		// Lines added before line h.a of the unchanged encoding: after the line before it when
		// that is an original line; else after the last non-blank original line before the
		// next matched one.
		var p int
		if h.a > 0 && at[h.a-1] >= 0 {
			p = at[h.a-1] + 1
		} else {
			lo, hi := 0, len(orig)
			for j := h.a - 1; j >= 0; j-- {
				if at[j] >= 0 {
					lo = at[j] + 1
					break
				}
			}
			if h.a < len(before) {
				if at[h.a] < 0 {
					return nil, errSplice
				}
				hi = at[h.a]
			}
			p = lo
			for j := hi - 1; j >= lo; j-- {
				if strings.TrimSpace(orig[j].text) != "" {
					p = j + 1
					break
				}
			}
		}
		if p < pos {
			return nil, errSplice
		}
		copyTo(p)
		lastBrk := brk
		if p == len(orig) && p > 0 && orig[p-1].brk == "" {
			lastBrk = ""
		}
		insert(after[h.c:h.d], lastBrk)
	}
	copyTo(len(orig))
	var b bytes.Buffer
	for _, l := range out {
		b.WriteString(l.text)
		b.WriteString(l.brk)
	}
	return b.Bytes(), nil
}

// hunk is a difference between two lists of lines: x[a:b] became y[c:d].
type hunk struct{ a, b, c, d int }

// diffLines lists the differences between x and y in order: a shortest edit script (Myers'
// algorithm, linear in the size of the input when the differences are few, as the changes of
// a document and the encoder's rewrites of its layout are). When there are very many, it walks
// both, and after a difference looks a bounded distance ahead for the nearest place where they
// agree again for a few lines.
func diffLines(x, y []string) []hunk {
	const maxD = 128 // many more than a document's own changes; beyond, the bounded walk
	if d := len(x) - len(y); d <= maxD && -d <= maxD {
		if h, ok := myers(x, y, maxD); ok {
			return h
		}
	}
	return greedyDiff(x, y)
}

// myers returns the differences between x and y, or false when there are more than maxD.
func myers(x, y []string, maxD int) ([]hunk, bool) {
	n, m := len(x), len(y)
	off := n + m + 1
	v := make([]int, 2*off+1)
	// trace[d] holds v[k] for k in [-d, d] after step d.
	var trace [][]int
	get := func(t []int, d, k int) int { return t[k+d] }
	for d := 0; d <= min(n+m, maxD); d++ {
		for k := -d; k <= d; k += 2 {
			var i int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				i = v[off+k+1]
			} else {
				i = v[off+k-1] + 1
			}
			j := i - k
			for i < n && j < m && x[i] == y[j] {
				i, j = i+1, j+1
			}
			v[off+k] = i
			if i >= n && j >= m {
				trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
				return backtrack(trace, get, n, m), true
			}
		}
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
	}
	return nil, false
}

// backtrack walks the trace of myers back from the end and lists the differences.
func backtrack(trace [][]int, get func([]int, int, int) int, n, m int) []hunk {
	type pair struct{ i, j int }
	var equal []pair // in reverse order
	i, j := n, m
	for d := len(trace) - 1; d > 0; d-- {
		prev := trace[d-1]
		k := i - j
		var pk int
		if k == -d || k != d && get(prev, d-1, k-1) < get(prev, d-1, k+1) {
			pk = k + 1
		} else {
			pk = k - 1
		}
		pi := get(prev, d-1, pk)
		pj := pi - pk
		// The step from (pi, pj): down (y[pj] added) or right (x[pi] removed), then the snake.
		si := pi + 1
		if pk == k+1 {
			si = pi
		}
		for i > si {
			i, j = i-1, j-1
			equal = append(equal, pair{i, j})
		}
		i, j = pi, pj
	}
	for i > 0 && j > 0 {
		i, j = i-1, j-1
		equal = append(equal, pair{i, j})
	}
	var out []hunk
	ci, cj := 0, 0
	for e := len(equal) - 1; e >= 0; e-- {
		p := equal[e]
		if p.i > ci || p.j > cj {
			out = append(out, hunk{ci, p.i, cj, p.j})
		}
		ci, cj = p.i+1, p.j+1
	}
	if ci < n || cj < m {
		out = append(out, hunk{ci, n, cj, m})
	}
	return out
}

func greedyDiff(x, y []string) []hunk {
	var out []hunk
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		if i < len(x) && j < len(y) && x[i] == y[j] {
			i, j = i+1, j+1
			continue
		}
		di, dj, ok := resync(x, y, i, j)
		if !ok {
			out = append(out, hunk{i, len(x), j, len(y)})
			break
		}
		out = append(out, hunk{i, i + di, j, j + dj})
		i, j = i+di, j+dj
	}
	return out
}

func resync(x, y []string, i, j int) (int, int, bool) {
	const window = 256
	for s := 1; s <= 2*window; s++ {
		for di := max(0, s-window); di <= min(s, window); di++ {
			if agree(x, y, i+di, j+s-di) {
				return di, s - di, true
			}
		}
	}
	return 0, 0, false
}

// agree reports whether x from i and y from j agree for three lines, or up to both ends.
func agree(x, y []string, i, j int) bool {
	if i > len(x) || j > len(y) {
		return false
	}
	for n := 0; n < 3; n++ {
		if i+n == len(x) && j+n == len(y) {
			return true
		}
		if i+n >= len(x) || j+n >= len(y) || x[i+n] != y[j+n] {
			return false
		}
	}
	return true
}
