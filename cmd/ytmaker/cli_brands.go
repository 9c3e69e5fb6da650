package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/ytmaker/ytmaker/internal/brand"
)

func runBrands(ctx context.Context, args []string) int {
	return runGroup(ctx, "brands", "See and manage brand presets: channel name, logo watermark, intro and outro cards, theme.", []subcommand{
		{"list", "list the presets", brandsList},
		{"show NAME", "print a preset as JSON", brandsShow},
		{"save FILE", "create or replace the preset a JSON file describes (- for standard input)", brandsSave},
		{"rm NAME", "delete a preset (and its logo, when no other preset uses it)", brandsRemove},
		{"logo NAME FILE", "upload a PNG or JPEG (at most 5 MB) as the preset's logo", brandsLogo},
	}, args, stdio)
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

func brandsList(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("brands list", "List the brand presets.", std)
	if code := a.load(args, 0); code >= 0 {
		return code
	}
	l, err := a.client.Brands(ctx)
	return a.done(l, err, func(w io.Writer) {
		if len(l.Brands) == 0 {
			fmt.Fprintln(w, "No brand presets. Create one with: ytmaker brands save brand.json")
			return
		}
		rows := [][]string{{"NAME", "CHANNEL", "LOGO", "WATERMARK", "INTRO", "OUTRO", "THEME"}}
		for _, b := range l.Brands {
			logo, wm, theme := "-", "off", b.Theme
			if b.Logo != "" {
				logo = "yes"
			}
			if b.Watermark.On() {
				wm = b.Watermark.Position + " " + strconv.FormatFloat(b.Watermark.Size*100, 'f', -1, 64) + "% " +
					strconv.FormatFloat(b.Watermark.Opacity, 'f', -1, 64)
			}
			if theme == "" {
				theme = "auto"
			}
			rows = append(rows, []string{b.Name, clip(b.Channel, 30), logo, wm, onOff(b.IntroOn()), onOff(b.OutroOn()), theme})
		}
		writeTable(w, "", rows)
		fmt.Fprintln(w, "\nA project uses one with settings.brand.")
	})
}

func brandsShow(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("brands show", "Print a brand preset as JSON (ytmaker brands show NAME).", std)
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	b, err := a.client.Brand(ctx, a.args[0])
	return a.done(b, err, func(w io.Writer) {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		enc.Encode(b)
	})
}

func brandsSave(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("brands save", "Create or replace a brand preset from a JSON file (ytmaker brands save brand.json), e.g.\n"+
		`{"name": "rivers", "channel": "Rivers Weekly", "watermark": {"position": "top-right", "size": 0.12, "opacity": 0.8}, "theme": "ocean"}`, std)
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	var data []byte
	var err error
	if a.args[0] == "-" {
		data, err = io.ReadAll(os.Stdin)
	} else {
		data, err = os.ReadFile(a.args[0])
	}
	if err != nil {
		fmt.Fprintf(a.io.err, "ytmaker brands save: %v\n", err)
		return 1
	}
	var in brand.Brand
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		fmt.Fprintf(a.io.err, "ytmaker brands save: %s is not a brand preset: %v\n", a.args[0], err)
		return 1
	}
	if in.Name == "" {
		fmt.Fprintf(a.io.err, "ytmaker brands save: %s has no \"name\"\n", a.args[0])
		return 1
	}
	b, err := a.client.PutBrand(ctx, in)
	return a.done(b, err, func(w io.Writer) {
		fmt.Fprintf(w, "Saved brand %q. Use it with settings.brand = %q", b.Name, b.Name)
		if b.Logo == "" {
			fmt.Fprintf(w, "; add a logo with: ytmaker brands logo %s logo.png", b.Name)
		}
		fmt.Fprintln(w, ".")
	})
}

func brandsRemove(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("brands rm", "Delete a brand preset (ytmaker brands rm NAME).", std)
	force := a.cf.fs.Bool("force", false, "delete it even while unfinished projects use it (they stop at their next stage)")
	if code := a.load(args, 1); code >= 0 {
		return code
	}
	name := a.args[0]
	err := a.client.DeleteBrand(ctx, name, *force)
	return a.done(map[string]any{"name": name, "deleted": true}, err, func(w io.Writer) {
		fmt.Fprintf(w, "Deleted brand %q.\n", name)
	})
}

func brandsLogo(ctx context.Context, args []string, std cliIO) int {
	a := newAPICommand("brands logo", "Upload a PNG or JPEG (at most 5 MB) as a brand's logo (ytmaker brands logo NAME logo.png).", std)
	if code := a.load(args, 2); code >= 0 {
		return code
	}
	f, err := os.Open(a.args[1])
	if err != nil {
		fmt.Fprintf(a.io.err, "ytmaker brands logo: %v\n", err)
		return 1
	}
	defer f.Close()
	b, err := a.client.UploadBrandLogo(ctx, a.args[0], f)
	return a.done(b, err, func(w io.Writer) {
		fmt.Fprintf(w, "Brand %q now shows %s as its watermark (stored as %s).\n", b.Name, a.args[1], b.Logo)
	})
}
