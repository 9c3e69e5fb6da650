// Package fakeimage draws the pictures the image-generator fakes answer
// with: a gradient between two colours derived from the prompt, with soft
// bands, so that different prompts give visibly different pictures.
package fakeimage

import (
	"bytes"
	"hash/fnv"
	"image"
	"image/jpeg"
	"image/png"
)

// Picture draws a w×h picture for prompt.
func Picture(w, h int, prompt string) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	hs := fnv.New64a()
	hs.Write([]byte(prompt))
	v := hs.Sum64()
	a := [3]float64{float64(uint8(v)), float64(uint8(v >> 8)), float64(uint8(v >> 16))}
	b := [3]float64{float64(uint8(v >> 24)), float64(uint8(v >> 32)), float64(uint8(v >> 40))}
	bands := 3 + int(v>>48)%5
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			t := float64(x+y) / float64(w+h)
			dim := 1 - float64((x*bands/max(w, 1)+y*bands/max(h, 1))%2)*0.08
			o := img.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				img.Pix[o+c] = uint8((a[c]*(1-t) + b[c]*t) * dim)
			}
			img.Pix[o+3] = 255
		}
	}
	return img
}

// PNG returns Picture encoded as PNG.
func PNG(w, h int, prompt string) []byte {
	var buf bytes.Buffer
	png.Encode(&buf, Picture(w, h, prompt)) // writing to memory does not fail
	return buf.Bytes()
}

// JPEG returns Picture encoded as JPEG.
func JPEG(w, h int, prompt string) []byte {
	var buf bytes.Buffer
	jpeg.Encode(&buf, Picture(w, h, prompt), &jpeg.Options{Quality: 85})
	return buf.Bytes()
}

// Scale returns w×h shrunk so that its long side is at most maxSide,
// keeping the ratio; maxSide 0 keeps it.
func Scale(w, h, maxSide int) (int, int) {
	if maxSide <= 0 || max(w, h) <= maxSide {
		return w, h
	}
	long := max(w, h)
	return max(1, w*maxSide/long), max(1, h*maxSide/long)
}
