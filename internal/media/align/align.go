// Package align estimates when each word of a text is spoken in a
// recording of it, for narration engines that report no word times
// (espeak-ng from the command line, OpenAI-compatible speech). It has two
// methods.
//
// Follow, when a template is at hand (the same text said by an engine
// that reports word times: festival, for English), carries the template's
// times over to the recording:
//
//  1. Features: every 10 ms of both recordings, the log energy in 16 bands
//     of the mel scale (80 Hz to 7.6 kHz, 25 ms Hamming window),
//     normalised per recording, band by band, to zero mean and unit
//     variance so that a high and a low voice, loud or quiet, compare;
//     with their first differences over ±10 ms, weighted twice, since
//     where the sound changes matters more for timing than what it is.
//     (Mel cepstra, the usual features for one voice, align worse across
//     voices.)
//  2. Warping: dynamic time warping of the template's frames to the
//     recording's (Euclidean distance; diagonal, horizontal and vertical
//     steps at the same cost, which favours the diagonal), within a band
//     of a quarter of the recording around the diagonal.
//  3. Times: a word's start in the template goes to the last recording
//     frame matched to it, so that a pause the recording makes and the
//     template does not comes before the word; a start that still lands
//     in a pause (a silence of at least 70 ms) moves to its end, an end to
//     its start.
//
// Words, without a template, works on the loudness of the audio alone:
//
//  1. Loudness: the RMS level of every 10 ms of audio, in dB. Frames more
//     than 38 dB below the loud end of the recording (its 98th
//     percentile) are silent.
//  2. Pauses: runs of silent frames of at least 70 ms inside the speech
//     are candidate pauses. Shorter silences (stop consonants) count as
//     speech.
//  3. Weights: every word gets an expected length from its spelling:
//     a Latin word half a unit per vowel group and a quarter per consonant
//     sound (English silent letters and digraphs counted as said, function
//     words shortened), one unit per Han or kana character, more for digits
//     and symbols that are read as words (%, &); or lengths the caller
//     knows better (for Chinese, espeak-ng saying each word on its own).
//  4. Pauses to word boundaries: a dynamic program assigns each candidate
//     pause either to a boundary between two words (preferring boundaries
//     after punctuation) or to the inside of a word, minimising how far the
//     speech between assigned pauses strays from the length the weights
//     predict at the recording's average speaking rate.
//  5. Words in a stretch of speech between assigned pauses share its
//     speech time in proportion to their weights; a word's start is moved
//     to the quietest point within 40 ms, where the energy dip between two
//     words usually is.
//
// Measured against the engines' own word times (docs/BENCHMARKS.md),
// Follow's English word starts are off by a median of about 10 ms and
// less than 120 ms for 95 % of words; Words' Chinese starts (with
// espeak-ng's word lengths) by a median of about 20 ms, 95 % within 50 ms,
// but its English starts, from the spelling, by 200 ms and more for the
// worst 5 %.
package align

import (
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Span is when a word is spoken.
type Span struct {
	Start, End time.Duration
}

// Hop is the envelope resolution Words expects by default.
const Hop = 10 * time.Millisecond

// Tunables of the method (see the package comment).
const (
	silenceBelowPeak = 38.0                  // dB under the loud end that counts as silence
	minPause         = 70 * time.Millisecond // shortest silence taken as a possible pause
	snapWindow       = 40 * time.Millisecond // how far a word start may move to an energy dip
)

// Words estimates the span of each word in audio whose loudness env holds
// the RMS level of every hop (see wav.Envelope). Words without anything
// to say (punctuation only) get an empty span at the following word's
// start.
//
// lengths, when not nil, holds how long each word is expected to take in
// any unit (for instance each word said on its own by a synthesizer);
// nil estimates it from the spelling (Weight).
func Words(env []float64, hop time.Duration, words []string, lengths []float64) []Span {
	n := len(words)
	if n == 0 {
		return nil
	}
	if hop <= 0 {
		hop = Hop
	}
	weights := make([]float64, n)
	var total float64
	for i, w := range words {
		if len(lengths) == n {
			weights[i] = max(lengths[i], 0)
		} else {
			weights[i] = Weight(w)
		}
		total += weights[i]
	}
	if total == 0 {
		for i := range weights {
			weights[i] = 1
		}
		total = float64(n)
	}
	if len(env) == 0 {
		return make([]Span, n)
	}
	db := make([]float64, len(env))
	for i, v := range env {
		db[i] = 20 * math.Log10(v+1e-9)
	}
	voiced := make([]bool, len(env))
	first, last := -1, -1
	if len(db) > 0 {
		sorted := slices.Clone(db)
		slices.Sort(sorted)
		peak := sorted[int(float64(len(sorted)-1)*0.98)]
		thr := peak - silenceBelowPeak
		for i, d := range db {
			if d > thr {
				voiced[i] = true
				if first < 0 {
					first = i
				}
				last = i
			}
		}
	}
	if first < 0 {
		// Nothing audible: spread the words over the whole audio.
		first, last = 0, max(len(env)-1, 0)
		for i := range voiced {
			voiced[i] = true
		}
	}
	// Candidate pauses and the speech time before each frame.
	minRun := int(minPause / hop)
	var pauses []pause
	inPause := make([]bool, len(env))
	for i := first; i <= last; {
		if voiced[i] {
			i++
			continue
		}
		j := i
		for j <= last && !voiced[j] {
			j++
		}
		if j-i >= minRun {
			pauses = append(pauses, pause{from: i, to: j, pause: true})
			for k := i; k < j; k++ {
				inPause[k] = true
			}
		}
		i = j
	}
	pauses = append(pauses, dips(db, first, last, inPause)...)
	slices.SortFunc(pauses, func(a, b pause) int { return a.from - b.from })
	// speech[k] is the number of speech frames in [first, first+k).
	speech := make([]float64, last-first+2)
	for k := first; k <= last; k++ {
		s := 1.0
		if inPause[k] {
			s = 0
		}
		speech[k-first+1] = speech[k-first] + s
	}
	S := speech[len(speech)-1]
	for g := range pauses {
		pauses[g].at = speech[pauses[g].from-first]
	}
	// cum[j] is the weight of the words before word j.
	cum := make([]float64, n+1)
	for i, w := range weights {
		cum[i+1] = cum[i] + w
	}
	rate := S / total // speech frames per unit of weight
	punct := make([]bool, n+1)
	for j := 1; j < n; j++ {
		punct[j] = endsClause(words[j-1])
	}

	// Assign pauses to boundaries: state (g, j) = pause g is the last
	// assigned one, at boundary j; state (-1, 0) is the start.
	G := len(pauses)
	hopS := hop.Seconds()
	segCost := func(fromAt, toAt float64, fromJ, toJ int) float64 {
		return math.Abs((toAt-fromAt)-rate*(cum[toJ]-cum[fromJ])) * hopS
	}
	internal := func(g int) float64 {
		if !pauses[g].pause {
			return dipSkip
		}
		return 0.08 + 2.0*float64(pauses[g].to-pauses[g].from)*hopS
	}
	boundary := func(g, j int) float64 {
		if punct[j] || !pauses[g].pause {
			return 0
		}
		return 0.18
	}
	inf := math.Inf(1)
	// dp[g][j], with g shifted by one so that row 0 is the start.
	dp := make([][]float64, G+1)
	from := make([][][2]int, G+1)
	for g := range dp {
		dp[g] = make([]float64, n+1)
		from[g] = make([][2]int, n+1)
		for j := range dp[g] {
			dp[g][j] = inf
		}
	}
	dp[0][0] = 0
	// skipCost[a][b] is the cost of leaving pauses a..b-1 inside words.
	skip := func(a, b int) float64 {
		c := 0.0
		for g := a; g < b; g++ {
			c += internal(g)
		}
		return c
	}
	for g := 1; g <= G; g++ {
		for j := 1; j < n; j++ {
			best, arg := inf, [2]int{}
			for pg := 0; pg < g; pg++ {
				prevAt := 0.0
				if pg > 0 {
					prevAt = pauses[pg-1].at
				}
				for pj := 0; pj < j; pj++ {
					if dp[pg][pj] == inf || (pg == 0) != (pj == 0) {
						continue
					}
					c := dp[pg][pj] + skip(pg, g-1) + segCost(prevAt, pauses[g-1].at, pj, j) + boundary(g-1, j)
					if c < best {
						best, arg = c, [2]int{pg, pj}
					}
				}
			}
			dp[g][j], from[g][j] = best, arg
		}
	}
	bestEnd, endG, endJ := dp[0][0]+skip(0, G)+segCost(0, S, 0, n), 0, 0
	for g := 1; g <= G; g++ {
		for j := 1; j < n; j++ {
			if dp[g][j] == inf {
				continue
			}
			if c := dp[g][j] + skip(g, G) + segCost(pauses[g-1].at, S, j, n); c < bestEnd {
				bestEnd, endG, endJ = c, g, j
			}
		}
	}
	// The assigned pauses, in order: boundary j -> pause g.
	type anchor struct{ g, j int }
	var anchors []anchor
	for g, j := endG, endJ; g > 0; {
		anchors = append(anchors, anchor{g - 1, j})
		p := from[g][j]
		g, j = p[0], p[1]
	}
	slices.Reverse(anchors)

	// Frame index of a speech time, on the speech side of any pause.
	frameOf := func(s float64) float64 {
		k := sortSearch(speech, s) // first k with speech[k] >= s
		if k <= 0 {
			return float64(first)
		}
		// Within frame k-1 (relative), interpolate.
		base := float64(first + k - 1)
		frac := s - speech[k-1]
		return base + frac
	}
	starts := make([]float64, n) // in frames
	ends := make([]float64, n)
	segFromJ, segFromAt := 0, 0.0
	segStartFrame := float64(first)
	place := func(toJ int, toAt float64, endFrame float64) {
		span := toAt - segFromAt
		w := cum[toJ] - cum[segFromJ]
		for i := segFromJ; i < toJ; i++ {
			s := segFromAt + span*(cum[i]-cum[segFromJ])/w
			if i == segFromJ {
				starts[i] = segStartFrame
			} else {
				starts[i] = frameOf(s + 1e-9)
			}
		}
		for i := segFromJ; i < toJ; i++ {
			if i+1 < toJ {
				ends[i] = starts[i+1]
			} else {
				ends[i] = endFrame
			}
		}
	}
	for _, a := range anchors {
		p := pauses[a.g]
		place(a.j, p.at, float64(p.from))
		segFromJ, segFromAt, segStartFrame = a.j, p.at, float64(p.to)
	}
	place(n, S, float64(last+1))

	// Snap starts inside speech to the quietest nearby frame.
	win := int(snapWindow / hop)
	anchored := map[int]bool{0: true}
	for _, a := range anchors {
		anchored[a.j] = true
	}
	for i := 1; i < n; i++ {
		if anchored[i] {
			continue
		}
		c := int(math.Round(starts[i]))
		lo, hi := max(c-win, int(math.Ceil(starts[i-1]))+1), c+win
		if i+1 < n {
			hi = min(hi, int(starts[i+1])-1)
		}
		best, bestDB := -1, math.Inf(1)
		for k := max(lo, first); k <= min(hi, last); k++ {
			if db[k] < bestDB {
				best, bestDB = k, db[k]
			}
		}
		if best >= 0 {
			starts[i] = float64(best)
			ends[i-1] = starts[i]
		}
	}
	out := make([]Span, n)
	for i := range out {
		s := time.Duration(starts[i] * float64(hop))
		e := time.Duration(ends[i] * float64(hop))
		out[i] = Span{Start: s, End: max(e, s)}
	}
	return out
}

// pause is a place where a word may begin: a silence or a dip in
// loudness between two syllables.
type pause struct {
	from, to int     // frames [from, to); from == to for a dip
	at       float64 // speech frames before it
	pause    bool    // a silence, not a dip in loudness
}

// dipSkip is the cost of a loudness dip left inside a word (most are:
// every syllable boundary dips).
const dipSkip = 0.01

// dipDepth is how far (dB) the loudness must fall below the peaks on
// either side for a dip to count.
const dipDepth = 4.0

// dips finds the local minima of the (lightly smoothed) loudness between
// first and last, outside pauses, that are at least dipDepth below the
// highest point on either side before the next deeper minimum.
func dips(db []float64, first, last int, inPause []bool) []pause {
	sm := make([]float64, len(db))
	for i := range db {
		lo, hi := max(i-1, 0), min(i+1, len(db)-1)
		var s float64
		for k := lo; k <= hi; k++ {
			s += max(db[k], -100)
		}
		sm[i] = s / float64(hi-lo+1)
	}
	var out []pause
	for i := first + 1; i < last; i++ {
		if inPause[i] || inPause[i-1] || inPause[i+1] || !(sm[i] <= sm[i-1] && sm[i] < sm[i+1]) {
			continue
		}
		left, right := sm[i], sm[i]
		for k := i - 1; k >= first && !inPause[k] && sm[k] >= sm[i]; k-- {
			left = max(left, sm[k])
		}
		for k := i + 1; k <= last && !inPause[k] && sm[k] >= sm[i]; k++ {
			right = max(right, sm[k])
		}
		if min(left, right)-sm[i] >= dipDepth {
			out = append(out, pause{from: i, to: i})
		}
	}
	return out
}

func sortSearch(a []float64, v float64) int {
	lo, hi := 0, len(a)
	for lo < hi {
		m := (lo + hi) / 2
		if a[m] >= v {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// endsClause reports whether a word ends with punctuation after which a
// speaker pauses.
func endsClause(w string) bool {
	w = strings.TrimRight(w, "\"'”’」』）)]】》")
	if w == "" {
		return false
	}
	r := []rune(w)
	return strings.ContainsRune(",.;:!?…，。；：！？、", r[len(r)-1])
}

// Weight estimates how long a word takes to say, in syllable-like units.
func Weight(w string) float64 {
	var units float64
	var latin []rune
	flush := func() {
		if len(latin) > 0 {
			units += latinWeight(string(latin))
			latin = latin[:0]
		}
	}
	for _, r := range w {
		switch {
		case unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r):
			flush()
			units++
		case unicode.IsDigit(r):
			flush()
			units += 1.1
		case unicode.IsLetter(r) || r == '\'':
			latin = append(latin, unicode.ToLower(r))
		case r == '%':
			flush()
			units += 2
		case r == '&' || r == '@' || r == '+' || r == '=' || r == '$' || r == '€' || r == '£':
			flush()
			units += 1
		default:
			flush()
		}
	}
	flush()
	if units > 0 {
		units += wBase
	}
	return units
}

// Weights of the parts of a word, in units of about one syllable's
// length (0.5 + 0.25 × 2 consonants ≈ one CVC syllable).
const (
	wVowel = 0.5  // a vowel group (a syllable's nucleus)
	wCons  = 0.25 // a consonant sound
	wBase  = 0.1  // the transition into any word
	wRed   = 0.55 // factor for function words
)

// latinWeight estimates a Latin-script word: vowel groups (syllables) and
// consonant sounds, with English spelling rules for silent letters.
func latinWeight(w string) float64 {
	lw := strings.Trim(w, "'")
	r := []rune(lw)
	n := len(r)
	if n == 0 {
		return 0
	}
	isVowel := func(i int) bool {
		c := r[i]
		if strings.ContainsRune("aeiouàáâäèéêëìíîïòóôöùúûü", c) {
			return true
		}
		return c == 'y' && i > 0 // y is a vowel except at the start
	}
	vowels, cons := 0, 0
	for i := 0; i < n; i++ {
		if isVowel(i) {
			if i == 0 || !isVowel(i-1) {
				vowels++
			}
			continue
		}
		if r[i] == '\'' {
			continue
		}
		// Doubled letters and digraphs are one sound.
		if i > 0 && (r[i] == r[i-1] || r[i] == 'h' && strings.ContainsRune("tscpwg", r[i-1]) || r[i] == 'k' && r[i-1] == 'c' || r[i] == 'g' && r[i-1] == 'n') {
			continue
		}
		cons++
	}
	// A silent final e ("make"), and "-ed" said without a vowel ("looked").
	if vowels > 1 && strings.HasSuffix(lw, "e") && !strings.HasSuffix(lw, "le") && !strings.HasSuffix(lw, "ee") && n > 3 {
		vowels--
	}
	if vowels > 1 && strings.HasSuffix(lw, "ed") && !strings.HasSuffix(lw, "ted") && !strings.HasSuffix(lw, "ded") {
		vowels--
	}
	units := float64(max(vowels, 1))*wVowel + float64(cons)*wCons
	if reduced[lw] {
		units *= wRed // function words are said quickly
	}
	return units
}

// reduced lists English function words, which connected speech shortens.
var reduced = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("a an the of to in on at for and or but is are was were be as it its it's by with from that this than then so if we you he she they i my our your their his her them us do did has have had will would can could should not no") {
		m[w] = true
	}
	return m
}()
