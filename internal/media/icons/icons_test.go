package icons

import (
	"os"
	"strings"
	"testing"
)

func TestBestMatchesEnglishAndChinese(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"Computers changed how we write software.", "laptop"},
		{"Robots and artificial intelligence automate factories.", "robot"},
		{"The ocean covers most of the planet, and waves shape every coast.", "wave"},
		{"Drink more water every day.", "water"},
		{"Investing in stocks and bitcoin carries risk.", "coin"},
		{"Students study hard before the university exam.", "graduation"},
		{"Sleep is when the brain stores memories; tired people forget.", "brain"},
		{"Sleep well: rest in bed when you are tired.", "sleep"},
		{"電腦改變了我們寫程式的方式。", "laptop"},
		{"機器人和人工智慧正在改變工廠。", "robot"},
		{"每天多喝水，身體會更健康。", "water"},
		{"学生在大学考试前努力学习。", "graduation"},
		{"台灣的夜市有很多美食，大家都愛吃。", "plate"},
		{"熊貓喜歡吃竹子。", "panda"},
		{"How Coffee Conquered the World. Coffee first grew wild in Ethiopia, where goats ate the red berries.", "coffee"},
	} {
		m, ok := Best(tc.text)
		if !ok || m.Name != tc.want {
			t.Errorf("Best(%q) = %+v, %v; want %s", tc.text, m, ok, tc.want)
		}
	}
	if m, ok := Best("Zyx qwv plomb."); ok {
		t.Errorf("nonsense matched %+v", m)
	}
}

func TestBestIsDeterministic(t *testing.T) {
	text := "Coffee and tea: which one helps you focus in the morning?"
	first, _ := Best(text)
	for i := 0; i < 20; i++ {
		if m, _ := Best(text); m.Name != first.Name {
			t.Fatalf("run %d picked %s, first %s", i, m.Name, first.Name)
		}
	}
}

func TestEveryIconHasAPicture(t *testing.T) {
	names := map[string]bool{}
	for _, e := range table {
		if names[e.name] {
			t.Errorf("name %s used twice", e.name)
		}
		names[e.name] = true
		img, err := Image(Icon{Name: e.name, Code: e.code})
		if err != nil {
			t.Error(err)
			continue
		}
		if b := img.Bounds(); b.Dx() < 72 || b.Dx() > 160 || b.Dx() != b.Dy() {
			t.Errorf("%s is %v, want a square of 72–160 px", e.code, b)
		}
		if strings.TrimSpace(e.en) == "" || strings.TrimSpace(e.zh) == "" {
			t.Errorf("%s lacks English or Chinese keywords", e.name)
		}
	}
	if n := Count(); n < 150 {
		t.Errorf("%d icons, want at least 150", n)
	}
}

func TestLicenseIsRecorded(t *testing.T) {
	for _, f := range []string{"../../../third_party/openmoji/LICENSE", "../../../third_party/openmoji/NOTICE"} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func TestTitleBreaksTies(t *testing.T) {
	body := "Three habits help: a fixed bedtime, a dark room, and no screens after ten."
	if m, _ := BestFor("Sleep better", body); m.Name != "sleep" {
		t.Errorf("with the title: %s", m.Name)
	}
	// The title does not outweigh what the text says twice.
	if m, _ := BestFor("Sleep better", "Coffee, coffee and more coffee."); m.Name != "coffee" {
		t.Errorf("title outweighed the text: %s", m.Name)
	}
}
