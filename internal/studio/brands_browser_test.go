package studio

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/media/slides"
	"github.com/ytmaker/ytmaker/internal/project"
)

// TestBrowserBrands makes a brand with a logo on the Brands page (the
// keyboard opens the form and submits it; a bad name is shown beside its
// field), picks it with a theme on the new-project form, finds both in
// the project's settings, and deletes the brand after the confirmation.
func TestBrowserBrands(t *testing.T) {
	e := newEnv(t, envOptions{})
	b := newTab(t)
	dir := t.TempDir()
	logo := filepath.Join(dir, "logo.png")
	img := image.NewNRGBA(image.Rect(0, 0, 240, 80))
	for y := range 80 {
		for x := range 240 {
			img.SetNRGBA(x, y, color.NRGBA{200, uint8(x), 40, uint8(255 * (x % 2))})
		}
	}
	f, err := os.Create(logo)
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, img)
	f.Close()
	theme := slides.ThemeNames()[1]

	b.do(20*time.Second,
		chromedp.Navigate(e.srv.URL+"/brands"),
		chromedp.WaitVisible(chromedp.ID("brand-new")),
	)
	if !eval[bool](b, `document.querySelector(".empty") !== null && document.querySelector('nav a[href="/brands"]').getAttribute("aria-current") === "page"`) {
		t.Fatal("the empty Brands page is not shown as the current page")
	}
	b.do(10*time.Second, chromedp.Focus(chromedp.ID("brand-new")), chromedp.KeyEvent(kb.Enter))
	b.waitFor(`location.pathname === "/brands/new" && document.getElementById("b-name")`, 10*time.Second)
	b.do(20*time.Second,
		chromedp.SendKeys(chromedp.ID("b-name"), "Rivers Weekly"), // not a valid short name
		chromedp.SendKeys(chromedp.ID("b-channel"), "Rivers Weekly"),
		chromedp.SetValue(chromedp.ID("b-theme"), theme),
		chromedp.SetValue(chromedp.ID("b-position"), "bottom-left"),
		chromedp.SetValue(chromedp.ID("b-size"), "20"),
		chromedp.Click(chromedp.ID("b-outro")),
		chromedp.SetUploadFiles(chromedp.ID("b-logo"), []string{logo}),
		chromedp.Focus(chromedp.ID("b-submit")),
		chromedp.KeyEvent(kb.Enter),
	)
	b.waitFor(`document.getElementById("b-name-error") && document.activeElement.id === "b-name"`, 10*time.Second)
	if msg := eval[string](b, `document.getElementById("b-name-error").textContent`); !strings.Contains(msg, "lower-case letters") {
		t.Fatalf("error beside the name: %q", msg)
	}
	eval[bool](b, `(document.getElementById("b-name").value = "", true)`)
	b.do(10*time.Second,
		chromedp.SendKeys(chromedp.ID("b-name"), "rivers"),
		chromedp.Click(chromedp.ID("b-submit")),
	)
	b.waitFor(`location.pathname === "/brands" && document.querySelector('.brand-row[data-name="rivers"] img')`, 20*time.Second)
	b.waitFor(`document.querySelector('.brand-row[data-name="rivers"] img').naturalWidth === 240`, 10*time.Second)
	b.screenshot("brands", 1280, 600)
	b.screenshot("brands", 390, 700)
	saved, err := e.engine.Store().Brands().Get("rivers")
	if err != nil {
		t.Fatal(err)
	}
	if saved.Channel != "Rivers Weekly" || saved.Theme != theme || saved.Watermark.Position != "bottom-left" ||
		saved.Watermark.Size != 0.2 || saved.OutroOn() || !saved.IntroOn() || saved.Logo == "" {
		t.Fatalf("saved %+v", saved)
	}
	if got, _ := os.ReadFile(e.engine.Store().Brands().LogoPath(saved)); len(got) == 0 {
		t.Fatal("the logo file is missing")
	}

	// Editing keeps the logo and shows it.
	b.do(20*time.Second,
		chromedp.Navigate(e.srv.URL+"/brands/rivers/edit"),
		chromedp.WaitVisible(chromedp.ID("b-logo-current")),
	)
	if ro := eval[bool](b, `document.getElementById("b-name").readOnly && document.getElementById("b-theme").value === "`+theme+`"`); !ro {
		t.Fatal("the edit form does not show the preset")
	}
	b.screenshot("brand", 1280, 900)
	eval[bool](b, `(document.getElementById("b-channel").value = "", true)`)
	b.do(10*time.Second,
		chromedp.SendKeys(chromedp.ID("b-channel"), "Rivers Daily"),
		chromedp.Click(chromedp.ID("b-submit")),
	)
	b.waitFor(`location.pathname === "/brands" && document.querySelector('.brand-row[data-name="rivers"] .row-name').textContent === "Rivers Daily"`, 20*time.Second)
	if again, _ := e.engine.Store().Brands().Get("rivers"); again.Logo != saved.Logo {
		t.Fatalf("editing lost the logo: %+v", again)
	}

	// The new-project form offers the brand, the themes and the templates.
	b.do(20*time.Second,
		chromedp.Navigate(e.srv.URL+"/new"),
		chromedp.WaitVisible(chromedp.ID("f-brand")),
	)
	if n := eval[int](b, `document.querySelectorAll("#f-theme option").length`); n != len(slides.ThemeNames())+1 {
		t.Fatalf("%d theme choices", n)
	}
	if got := eval[string](b, `Array.from(document.querySelectorAll("#f-brand option")).map(o => o.value).join(",")`); got != ",rivers" {
		t.Fatalf("brand choices %q", got)
	}
	if got := eval[string](b, `Array.from(document.querySelectorAll("#f-visuals option")).map(o => o.value).join(",")`); got != "generated,stock_video,stock_photo,slides" {
		t.Fatalf("visuals choices %q", got)
	}
	if got := eval[string](b, `Array.from(document.querySelectorAll("#f-template option")).map(o => o.textContent).join(",")`); !strings.HasPrefix(got, "default") {
		t.Fatalf("template choices %q", got)
	}
	b.do(20*time.Second,
		chromedp.SendKeys(chromedp.ID("f-name"), "Branded"),
		chromedp.SendKeys(chromedp.ID("f-content"), shortText),
		chromedp.SetValue(chromedp.ID("f-theme"), theme),
		chromedp.SetValue(chromedp.ID("f-brand"), "rivers"),
		chromedp.SetValue(chromedp.ID("f-visuals"), project.VisualsSlides),
		chromedp.SetValue(chromedp.ID("f-prov-stock"), project.ProviderPixabay),
		chromedp.Click(chromedp.ID("f-submit")),
	)
	b.waitFor(`/^\/projects\/\d+$/.test(location.pathname) && document.getElementById("status")`, 20*time.Second)
	id := eval[int64](b, `Number(location.pathname.split("/").pop())`)
	p, err := e.engine.Store().Project(id)
	if err != nil {
		t.Fatal(err)
	}
	if p.Settings.Brand != "rivers" || p.Settings.Theme != theme || p.Settings.PromptTemplate != "" ||
		p.Settings.Visuals != project.VisualsSlides || p.Settings.Providers.Stock != project.ProviderPixabay {
		t.Fatalf("project settings %+v", p.Settings)
	}
	b.waitFor(`document.querySelector('.settings a[href="/brands/rivers/edit"]')`, 10*time.Second)

	// Delete, after the confirmation.
	b.do(20*time.Second,
		chromedp.Navigate(e.srv.URL+"/brands"),
		chromedp.WaitVisible(chromedp.CSS(`[data-delete-brand="rivers"]`)),
	)
	eval[bool](b, `(window.confirm = m => { window.asked = m; return window.answer === true; }, true)`)
	b.do(10*time.Second, chromedp.Click(chromedp.CSS(`[data-delete-brand="rivers"]`)))
	b.waitFor(`window.asked && window.asked.includes("rivers")`, 5*time.Second)
	if _, err := e.engine.Store().Brands().Get("rivers"); err != nil {
		t.Fatalf("deleted without the confirmation: %v", err)
	}
	eval[bool](b, `window.answer = true`)
	// The project, not yet made, names it: the server refuses (409
	// IN_USE) and the page asks again, saying how many projects use it.
	// Declined, nothing is deleted; accepted, the deletion is forced.
	b.allowConsole("409")
	eval[bool](b, `(window.confirm = m => { window.asked = m; return !m.includes("unfinished") || window.force === true; }, true)`)
	b.do(10*time.Second, chromedp.Click(chromedp.CSS(`[data-delete-brand="rivers"]`)))
	b.waitFor(`window.asked.includes("1 unfinished") && document.getElementById("flash").textContent.includes("unfinished") && document.querySelector('.brand-row[data-name="rivers"]')`, 10*time.Second)
	if _, err := e.engine.Store().Brands().Get("rivers"); err != nil {
		t.Fatalf("deleted while a project names it, without asking: %v", err)
	}
	eval[bool](b, `window.force = true`)
	b.do(10*time.Second, chromedp.Click(chromedp.CSS(`[data-delete-brand="rivers"]`)))
	b.waitFor(`!document.querySelector('.brand-row[data-name="rivers"]') && document.getElementById("flash").textContent.includes("rivers")`, 10*time.Second)
	if _, err := e.engine.Store().Brands().Get("rivers"); errcode.Code(err) != errcode.NotFound {
		t.Fatalf("after delete: %v", err)
	}
	t.Logf("project %d was made with brand rivers and theme %s", id, theme)
}
