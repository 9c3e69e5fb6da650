// Package fakeaudio makes the speech the fake voice services in
// internal/fakes answer with: a soft tone as long as the text would take
// to read aloud, as headerless PCM or as a WAV file.
package fakeaudio

import (
	"encoding/binary"
	"math"
)

// Tone returns 16-bit little-endian mono samples of a soft 220 Hz tone
// with short fades, secs long at rate samples a second.
func Tone(rate int, secs float64) []byte {
	n := int(secs * float64(rate))
	fade := rate / 100
	out := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		amp := 0.2
		if i < fade {
			amp *= float64(i) / float64(fade)
		} else if n-i < fade {
			amp *= float64(n-i) / float64(fade)
		}
		v := int16(amp * 32767 * math.Sin(2*math.Pi*220*float64(i)/float64(rate)))
		binary.LittleEndian.PutUint16(out[2*i:], uint16(v))
	}
	return out
}

// WAVHeader returns the 44-byte header of a 16-bit mono WAV file holding
// n bytes of samples at rate.
func WAVHeader(rate, n int) []byte {
	h := make([]byte, 44)
	copy(h[0:], "RIFF")
	binary.LittleEndian.PutUint32(h[4:], uint32(36+n))
	copy(h[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(h[16:], 16)
	binary.LittleEndian.PutUint16(h[20:], 1)
	binary.LittleEndian.PutUint16(h[22:], 1)
	binary.LittleEndian.PutUint32(h[24:], uint32(rate))
	binary.LittleEndian.PutUint32(h[28:], uint32(rate*2))
	binary.LittleEndian.PutUint16(h[32:], 2)
	binary.LittleEndian.PutUint16(h[34:], 16)
	copy(h[36:], "data")
	binary.LittleEndian.PutUint32(h[40:], uint32(n))
	return h
}

// WAV returns a WAV file of Tone(rate, secs).
func WAV(rate int, secs float64) []byte {
	pcm := Tone(rate, secs)
	return append(WAVHeader(rate, len(pcm)), pcm...)
}
