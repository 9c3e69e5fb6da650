package script

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/internal/language"
)

// shots vary the composition from one image to the next, so that segments
// about the same subject still get different pictures.
var shots = []string{
	"wide establishing shot",
	"close-up detail shot",
	"soft natural light, shallow depth of field",
	"overhead perspective",
	"warm documentary photography style",
	"clean minimalist composition",
	"dramatic side lighting",
	"bright editorial illustration style",
}

// imagePrompt writes an English prompt for the picture behind one segment.
// topic is the English subject of the whole video ("" when unknown).
func imagePrompt(segType, text, lang, topic string, index int) string {
	subjects := englishSubjects(text, lang, 3)
	about := topic
	if about == "" {
		about = joinAnd(subjects)
	}
	if about == "" {
		about = "an interesting story"
	}
	shot := shots[index%len(shots)]
	switch segType {
	case Intro:
		return "Eye-catching opening scene for a video about " + about + ", " + shot + ", vibrant colors, high detail, no text"
	case Outro:
		return "Warm closing scene for a video about " + about + ", soft golden light, calm and friendly mood, high detail, no text"
	}
	if len(subjects) == 0 {
		return "Cinematic illustration evoking " + about + ", " + shot + ", high detail, no text"
	}
	p := "Cinematic illustration of " + joinAnd(subjects)
	if topic != "" && !containsFold(p, topic) {
		p += ", in the context of " + topic
	}
	return p + ", " + shot + ", high detail, no text"
}

// englishTopic names what a video is about, in English, from its title.
func englishTopic(title, lang string) string {
	if !language.IsCJK(lang) {
		var words []string
		for _, sent := range englishSentences(title) {
			for _, w := range sent {
				if contentWord(w) && len(words) < 5 {
					words = append(words, w.text)
				}
			}
		}
		return strings.Join(words, " ")
	}
	return joinAnd(englishSubjects(title, lang, 3))
}

func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}

// dictionary maps common Chinese words (Traditional and Simplified) to
// English, so that image prompts for Chinese scripts can name concrete
// subjects without a translation service.
var dictionary = map[string]string{
	"人工智慧": "artificial intelligence", "人工智能": "artificial intelligence", "機器學習": "machine learning", "机器学习": "machine learning",
	"機器人": "robot", "机器人": "robot", "電腦": "computer", "电脑": "computer", "手機": "smartphone", "手机": "smartphone",
	"網路": "internet", "網絡": "internet", "网络": "internet", "程式": "programming code", "程序": "programming code", "軟體": "software", "软件": "software",
	"科技": "technology", "技術": "technology", "技术": "technology", "資料": "data", "数据": "data", "數據": "data", "晶片": "microchip", "芯片": "microchip",
	"半導體": "semiconductor factory", "半导体": "semiconductor factory", "影片": "video production", "視頻": "video production", "视频": "video production",
	"旅行": "travel", "旅遊": "travel", "旅游": "travel", "城市": "city skyline", "台北": "Taipei", "臺北": "Taipei", "台灣": "Taiwan", "臺灣": "Taiwan", "台湾": "Taiwan",
	"日本": "Japan", "中國": "China", "中国": "China", "美國": "the United States", "美国": "the United States", "歐洲": "Europe", "欧洲": "Europe",
	"夜市": "night market", "小吃": "street food", "美食": "delicious food", "食物": "food", "料理": "cooking", "烹飪": "cooking", "烹饪": "cooking",
	"咖啡": "coffee", "茶": "tea", "珍珠奶茶": "bubble tea", "水果": "fresh fruit", "蔬菜": "vegetables", "早餐": "breakfast",
	"健康": "health and wellness", "運動": "exercise", "运动": "exercise", "睡眠": "sleep", "醫生": "doctor", "医生": "doctor", "醫院": "hospital", "医院": "hospital",
	"醫療": "healthcare", "医疗": "healthcare", "心理": "mental health", "壓力": "stress", "压力": "stress", "飲食": "diet", "饮食": "diet",
	"學習": "learning", "学习": "learning", "學生": "students", "学生": "students", "老師": "teacher", "老师": "teacher", "學校": "school", "学校": "school",
	"教育": "education", "書": "books", "书": "books", "閱讀": "reading", "阅读": "reading", "考試": "exam", "考试": "exam",
	"經濟": "economy", "经济": "economy", "投資": "investing", "投资": "investing", "股票": "stock market", "金錢": "money", "金钱": "money", "錢": "money", "钱": "money",
	"商業": "business", "商业": "business", "公司": "company office", "工作": "work", "職場": "workplace", "职场": "workplace", "創業": "startup", "创业": "startup",
	"歷史": "history", "历史": "history", "文化": "culture", "藝術": "art", "艺术": "art", "音樂": "music", "音乐": "music", "電影": "film", "电影": "film",
	"遊戲": "video games", "游戏": "video games", "運動員": "athlete", "运动员": "athlete", "足球": "football", "籃球": "basketball", "篮球": "basketball", "棒球": "baseball",
	"自然": "nature", "環境": "environment", "环境": "environment", "氣候": "climate", "气候": "climate", "地球": "planet Earth", "太空": "outer space", "宇宙": "universe",
	"星星": "stars", "月亮": "moon", "太陽": "sun", "太阳": "sun", "天氣": "weather", "天气": "weather", "雨": "rain", "雪": "snow",
	"山": "mountains", "海": "sea", "海洋": "ocean", "森林": "forest", "河": "river", "湖": "lake", "花": "flowers", "樹": "trees", "树": "trees",
	"動物": "animals", "动物": "animals", "貓": "cat", "猫": "cat", "狗": "dog", "鳥": "bird", "鸟": "bird", "魚": "fish", "鱼": "fish",
	"植物": "plants", "農業": "agriculture", "农业": "agriculture", "能源": "energy", "電力": "electric power", "电力": "electric power", "汽車": "car", "汽车": "car",
	"交通": "traffic", "火車": "train", "火车": "train", "飛機": "airplane", "飞机": "airplane", "建築": "architecture", "建筑": "architecture", "房子": "house",
	"家庭": "family", "孩子": "children", "父母": "parents", "朋友": "friends", "愛情": "love", "爱情": "love", "時間": "clock and time", "时间": "clock and time",
	"科學": "science", "科学": "science", "研究": "research", "實驗": "laboratory experiment", "实验": "laboratory experiment", "數學": "mathematics", "数学": "mathematics",
	"政治": "politics", "社會": "society", "社会": "society", "新聞": "news", "新闻": "news", "歷程": "journey", "故事": "storytelling", "未來": "the future", "未来": "the future",
}

// dictionaryKeys lists the dictionary's words, longest first, so that
// "人工智慧" wins over any shorter word inside it.
var dictionaryKeys = func() []string {
	keys := make([]string, 0, len(dictionary))
	for k := range dictionary {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		li, lj := utf8.RuneCountInString(keys[i]), utf8.RuneCountInString(keys[j])
		if li != lj {
			return li > lj
		}
		return keys[i] < keys[j]
	})
	return keys
}()
