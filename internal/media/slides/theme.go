package slides

import (
	"image/color"
	"sort"
	"strings"

	"github.com/ytmaker/ytmaker/internal/media/fonts"
)

// Background treatments.
const (
	bgGlow    = "glow"    // diagonal gradient with soft glows and a vignette
	bgStripes = "stripes" // gradient crossed by broad diagonal bands
	bgRings   = "rings"   // concentric rings spreading from a corner
	bgPaper   = "paper"   // light paper with a ruled margin
	bgGrid    = "grid"    // dark ground with a fine perspective-free grid
	bgDots    = "dots"    // halftone dots fading across the frame
	bgSplit   = "split"   // a solid panel beside the text
	bgSoft    = "soft"    // light gradient with large pale circles
)

// Theme is a slide design: palette, type pairing and background.
type Theme struct {
	Name       string
	Background string
	// From and To are the background gradient; Glow tints the shapes;
	// Accent marks bars, bullets, numbers and quote marks; Ink is the
	// main text and Muted the small text; Panel is the icon badge.
	From, To, Glow, Accent, Ink, Muted, Panel color.NRGBA
	// Heading and Body are the type families of the main text and the
	// small text.
	Heading, Body fonts.Style
	// Light is true for light backgrounds (dark text, no text shadow).
	Light bool
}

func (t Theme) shadow() color.NRGBA {
	if t.Light {
		return color.NRGBA{255, 255, 255, 0}
	}
	return color.NRGBA{0, 0, 0, 165}
}

// themes are the built-in designs.
var themes = []Theme{
	{Name: "midnight", Background: bgGlow, From: rgb(0x0d1b2a), To: rgb(0x1b2a4a), Glow: rgb(0x415a77), Accent: rgb(0x00c2d1),
		Ink: rgb(0xffffff), Muted: rgb(0xc9d6e3), Panel: rgb(0xf2f6fa), Heading: fonts.Sans, Body: fonts.Sans},
	{Name: "ember", Background: bgStripes, From: rgb(0x2b0f0a), To: rgb(0x6a1e12), Glow: rgb(0xb23a1c), Accent: rgb(0xffb627),
		Ink: rgb(0xfff6e8), Muted: rgb(0xf3d2b3), Panel: rgb(0xfff1dc), Heading: fonts.Condensed, Body: fonts.Sans},
	{Name: "forest", Background: bgRings, From: rgb(0x0b2e20), To: rgb(0x1f5c3f), Glow: rgb(0x6fae73), Accent: rgb(0xf4e285),
		Ink: rgb(0xf7fbf2), Muted: rgb(0xcfe3c8), Panel: rgb(0xf6f3e4), Heading: fonts.Serif, Body: fonts.Sans},
	{Name: "paper", Background: bgPaper, From: rgb(0xf7f1e3), To: rgb(0xeee4cc), Glow: rgb(0xd9c9a3), Accent: rgb(0xc0392b),
		Ink: rgb(0x1f1a17), Muted: rgb(0x5b5046), Panel: rgb(0xffffff), Heading: fonts.Serif, Body: fonts.Serif, Light: true},
	{Name: "neon", Background: bgGrid, From: rgb(0x07060f), To: rgb(0x1a0b2e), Glow: rgb(0x7b2cbf), Accent: rgb(0xff3cac),
		Ink: rgb(0xffffff), Muted: rgb(0xb9b4d6), Panel: rgb(0xeafcff), Heading: fonts.Condensed, Body: fonts.Sans},
	{Name: "ocean", Background: bgDots, From: rgb(0x03396c), To: rgb(0x0a7c86), Glow: rgb(0x6dd5ed), Accent: rgb(0xff8a5b),
		Ink: rgb(0xffffff), Muted: rgb(0xd0eef2), Panel: rgb(0xf1fbfc), Heading: fonts.Sans, Body: fonts.Sans},
	{Name: "slate", Background: bgSplit, From: rgb(0x1f2328), To: rgb(0x2d333b), Glow: rgb(0x3d444d), Accent: rgb(0xff7b54),
		Ink: rgb(0xf5f5f5), Muted: rgb(0xb8c0c8), Panel: rgb(0xfdf6f0), Heading: fonts.Sans, Body: fonts.Sans},
	{Name: "sunrise", Background: bgSoft, From: rgb(0xffe3c8), To: rgb(0xffc2c7), Glow: rgb(0xffffff), Accent: rgb(0x7a1fa2),
		Ink: rgb(0x2a1033), Muted: rgb(0x5e3a66), Panel: rgb(0xffffff), Heading: fonts.Sans, Body: fonts.Sans, Light: true},
}

// ThemeNames lists the built-in themes.
func ThemeNames() []string {
	out := make([]string, len(themes))
	for i, t := range themes {
		out[i] = t.Name
	}
	return out
}

// LookupTheme finds a built-in theme by name (case-insensitive).
func LookupTheme(name string) (Theme, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for _, t := range themes {
		if t.Name == name {
			return t, true
		}
	}
	return Theme{}, false
}

// themeWords are words that call for a theme, in English and Chinese.
var themeWords = map[string][]string{
	"midnight": {"space", "universe", "star", "stars", "planet", "astronomy", "night", "physics", "science", "quantum", "太空", "宇宙", "星", "天文", "物理", "科學", "科学", "夜"},
	"ember":    {"food", "cook", "cooking", "recipe", "fire", "history", "war", "spicy", "coffee", "食物", "料理", "烹飪", "烹饪", "美食", "火", "戰爭", "战争", "咖啡", "辣"},
	"forest":   {"nature", "forest", "tree", "trees", "plant", "plants", "animal", "animals", "garden", "climate", "environment", "自然", "森林", "樹", "树", "植物", "動物", "动物", "環境", "环境", "氣候", "气候"},
	"paper":    {"book", "books", "history", "culture", "art", "poetry", "literature", "philosophy", "ancient", "story", "書", "书", "歷史", "历史", "文化", "藝術", "艺术", "詩", "诗", "文學", "文学", "哲學", "哲学", "故事", "古代"},
	"neon":     {"technology", "tech", "computer", "software", "ai", "robot", "game", "games", "internet", "digital", "crypto", "科技", "電腦", "电脑", "軟體", "软件", "程式", "人工智慧", "人工智能", "機器人", "机器人", "遊戲", "游戏", "網路", "网络"},
	"ocean":    {"ocean", "sea", "water", "travel", "beach", "island", "fish", "boat", "summer", "海", "海洋", "水", "旅行", "旅遊", "旅游", "島", "岛", "魚", "鱼", "夏天"},
	"slate":    {"business", "money", "finance", "economy", "market", "invest", "investing", "work", "career", "startup", "company", "商業", "商业", "金錢", "金钱", "財經", "财经", "經濟", "经济", "市場", "市场", "投資", "投资", "工作", "公司", "創業", "创业"},
	"sunrise":  {"health", "happy", "happiness", "love", "family", "sleep", "yoga", "morning", "habit", "habits", "life", "健康", "快樂", "快乐", "幸福", "愛", "爱", "家庭", "睡眠", "瑜伽", "早晨", "習慣", "习惯", "生活"},
}

// ThemeFor picks a theme from the content: the theme whose words the
// text mentions most, or, when it mentions none, one chosen by a hash of
// the text. The same text always gets the same theme.
func ThemeFor(text string) Theme {
	lower := strings.ToLower(text)
	ws := map[string]int{}
	for _, w := range strings.FieldsFunc(lower, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		ws[w]++
	}
	names := ThemeNames()
	sort.Strings(names)
	best, bestScore := "", 0
	for _, name := range names {
		score := 0
		for _, w := range themeWords[name] {
			if w[0] < 0x80 {
				score += ws[w]
			} else {
				score += strings.Count(text, w)
			}
		}
		if score > bestScore {
			best, bestScore = name, score
		}
	}
	if best != "" {
		t, _ := LookupTheme(best)
		return t
	}
	return themes[seedOf(text)%int64(len(themes))]
}
