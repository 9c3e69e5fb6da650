package youtube

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ytmaker/ytmaker/errcode"
)

// YouTube's limits on video metadata.
const (
	MaxTitleRunes       = 100
	MaxDescriptionBytes = 5000
	MaxTagsLength       = 500
	DefaultCategoryID   = "22" // People & Blogs
)

// Privacy statuses.
const (
	Public   = "public"
	Unlisted = "unlisted"
	Private  = "private"
)

// AI-disclosure lines appended to descriptions.
const (
	DisclosureEnglish            = "This video was generated with AI."
	DisclosureChineseTraditional = "此影片由 AI 自動生成"
	DisclosureChineseSimplified  = "此视频由 AI 自动生成"
)

// Metadata describes a video to upload, before sanitising.
type Metadata struct {
	Title       string
	Description string
	Tags        []string
	// CategoryID is YouTube's numeric category; default "22".
	CategoryID string
	// Privacy is public, unlisted or private; default private.
	Privacy string
	// PublishAt schedules the release; it forces Privacy to private (the
	// video turns public at that time). Zero means no schedule.
	PublishAt time.Time
	// Language is the BCP 47 tag of the video ("en", "zh-TW"): it sets
	// defaultLanguage and defaultAudioLanguage and picks the disclosure line.
	Language string
	// Disclosure replaces the AI-disclosure line of the language.
	Disclosure string
}

// VideoResource is the video resource sent to and returned by the API.
type VideoResource struct {
	ID                string             `json:"id,omitempty"`
	Snippet           *Snippet           `json:"snippet,omitempty"`
	Status            *Status            `json:"status,omitempty"`
	ProcessingDetails *ProcessingDetails `json:"processingDetails,omitempty"`
}

// Snippet is video.snippet.
type Snippet struct {
	Title                string   `json:"title"`
	Description          string   `json:"description"`
	Tags                 []string `json:"tags,omitempty"`
	CategoryID           string   `json:"categoryId,omitempty"`
	DefaultLanguage      string   `json:"defaultLanguage,omitempty"`
	DefaultAudioLanguage string   `json:"defaultAudioLanguage,omitempty"`
	ChannelID            string   `json:"channelId,omitempty"`    // returned only
	PublishedAt          string   `json:"publishedAt,omitempty"`  // returned only
	ChannelTitle         string   `json:"channelTitle,omitempty"` // returned only
}

// Status is video.status. The two declarations are always sent, false
// included.
type Status struct {
	PrivacyStatus           string `json:"privacyStatus"`
	PublishAt               string `json:"publishAt,omitempty"`
	SelfDeclaredMadeForKids bool   `json:"selfDeclaredMadeForKids"`
	ContainsSyntheticMedia  bool   `json:"containsSyntheticMedia"`
	License                 string `json:"license,omitempty"`
	Embeddable              *bool  `json:"embeddable,omitempty"`
	UploadStatus            string `json:"uploadStatus,omitempty"`    // returned only
	FailureReason           string `json:"failureReason,omitempty"`   // returned only
	RejectionReason         string `json:"rejectionReason,omitempty"` // returned only
}

// ProcessingDetails is video.processingDetails (returned only).
type ProcessingDetails struct {
	ProcessingStatus        string `json:"processingStatus,omitempty"`
	ProcessingFailureReason string `json:"processingFailureReason,omitempty"`
}

// DisclosureLine returns the AI-disclosure line for a BCP 47 language tag:
// Traditional Chinese for zh-TW, zh-HK, zh-Hant and plain zh, Simplified
// Chinese for zh-CN, zh-SG and zh-Hans, English otherwise.
func DisclosureLine(lang string) string {
	l := strings.ToLower(strings.ReplaceAll(lang, "_", "-"))
	switch {
	case l == "zh-cn" || l == "zh-sg" || strings.HasPrefix(l, "zh-hans"):
		return DisclosureChineseSimplified
	case l == "zh" || strings.HasPrefix(l, "zh-"):
		return DisclosureChineseTraditional
	}
	return DisclosureEnglish
}

func metadataError(field, format string, args ...any) *errcode.Error {
	return errcode.Newf(CodeInvalidMetadata, false, "video "+field+": "+format, args...).
		WithDetail("field", field)
}

// ValidateMetadata reports the problems that sanitising cannot fix, as a
// YOUTUBE_INVALID_METADATA error naming the field: an empty title, an
// unknown privacy status, a non-numeric category, a schedule not in the
// future.
func ValidateMetadata(m Metadata, now time.Time) error {
	if cleanTitle(m.Title) == "" {
		return metadataError("title", "the title is empty")
	}
	switch strings.ToLower(strings.TrimSpace(m.Privacy)) {
	case "", Public, Unlisted, Private:
	default:
		return metadataError("privacy", "%q is not one of public, unlisted, private", m.Privacy)
	}
	if c := strings.TrimSpace(m.CategoryID); c != "" && !isDigits(c) {
		return metadataError("categoryId", "%q is not a numeric category id", m.CategoryID)
	}
	if !m.PublishAt.IsZero() && !m.PublishAt.After(now) {
		return metadataError("publishAt", "the scheduled time %s is not in the future",
			m.PublishAt.UTC().Format(time.RFC3339))
	}
	return nil
}

// BuildVideo validates m and turns it into the resource sent with
// videos.insert, sanitising what it can: the title loses control
// characters and angle brackets and is cut to 100 characters; the
// description gets the AI-disclosure line and is cut to 5000 bytes;
// tags are cleaned, deduplicated and dropped once they pass 500
// characters; a schedule forces private. containsSyntheticMedia is true and
// selfDeclaredMadeForKids false, both always sent.
func BuildVideo(m Metadata, now time.Time) (VideoResource, error) {
	if err := ValidateMetadata(m, now); err != nil {
		return VideoResource{}, err
	}
	privacy := strings.ToLower(strings.TrimSpace(m.Privacy))
	if privacy == "" {
		privacy = Private
	}
	status := &Status{
		PrivacyStatus:           privacy,
		SelfDeclaredMadeForKids: false,
		ContainsSyntheticMedia:  true,
		License:                 "youtube",
	}
	if !m.PublishAt.IsZero() {
		status.PrivacyStatus = Private
		status.PublishAt = m.PublishAt.UTC().Format(time.RFC3339)
	}
	category := strings.TrimSpace(m.CategoryID)
	if category == "" {
		category = DefaultCategoryID
	}
	disclosure := strings.TrimSpace(m.Disclosure)
	if disclosure == "" {
		disclosure = DisclosureLine(m.Language)
	}
	lang := strings.TrimSpace(m.Language)
	return VideoResource{
		Snippet: &Snippet{
			Title:                cleanTitle(m.Title),
			Description:          BuildDescription(m.Description, disclosure),
			Tags:                 CleanTags(m.Tags),
			CategoryID:           category,
			DefaultLanguage:      lang,
			DefaultAudioLanguage: lang,
		},
		Status: status,
	}, nil
}

// cleanTitle makes a title acceptable: one line, no angle brackets, at most
// 100 characters.
func cleanTitle(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '<':
			return '‹'
		case r == '>':
			return '›'
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > MaxTitleRunes {
		s = strings.TrimSpace(string([]rune(s)[:MaxTitleRunes]))
	}
	return s
}

// BuildDescription cleans a description (no angle brackets, valid UTF-8),
// appends the disclosure line unless already present, and cuts the text
// (never the disclosure) so the whole stays within 5000 bytes.
func BuildDescription(desc, disclosure string) string {
	clean := func(s string) string {
		s = strings.ToValidUTF8(s, "")
		return strings.NewReplacer("<", "‹", ">", "›", "\r\n", "\n").Replace(s)
	}
	desc = strings.TrimSpace(clean(desc))
	disclosure = strings.TrimSpace(clean(disclosure))
	if disclosure == "" || strings.Contains(desc, disclosure) {
		return truncateBytes(desc, MaxDescriptionBytes)
	}
	if desc == "" {
		return truncateBytes(disclosure, MaxDescriptionBytes)
	}
	const sep = "\n\n"
	room := MaxDescriptionBytes - len(sep) - len(disclosure)
	if room <= 0 {
		return truncateBytes(disclosure, MaxDescriptionBytes)
	}
	if len(desc) > room {
		desc = strings.TrimSpace(truncateBytes(desc, room-len("…"))) + "…"
	}
	return desc + sep + disclosure
}

// truncateBytes cuts s to at most n bytes on a rune boundary.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// TagsLength counts tags as YouTube limits them: commas between tags count,
// and a tag containing a space counts the quotes around it.
func TagsLength(tags []string) int {
	n := 0
	for i, t := range tags {
		if i > 0 {
			n++
		}
		n += tagLength(t)
	}
	return n
}

func tagLength(t string) int {
	n := utf8.RuneCountInString(t)
	if strings.Contains(t, " ") {
		n += 2
	}
	return n
}

// CleanTags trims tags, removes characters YouTube refuses (<, >, commas,
// quotes, control characters), drops empty and duplicate tags (ignoring
// case), and keeps tags in order while they fit in 500 characters; a tag
// that does not fit is skipped and later shorter ones may still fit.
func CleanTags(tags []string) []string {
	var out []string
	seen := map[string]bool{}
	total := 0
	for _, t := range tags {
		t = strings.Map(func(r rune) rune {
			switch {
			case r == '<' || r == '>' || r == ',' || r == '"':
				return -1
			case unicode.IsSpace(r):
				return ' '
			case unicode.IsControl(r):
				return -1
			}
			return r
		}, strings.ToValidUTF8(t, ""))
		t = strings.Join(strings.Fields(t), " ")
		key := strings.ToLower(t)
		if t == "" || seen[key] {
			continue
		}
		add := tagLength(t)
		if len(out) > 0 {
			add++ // the comma
		}
		if total+add > MaxTagsLength {
			continue
		}
		seen[key] = true
		out = append(out, t)
		total += add
	}
	return out
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
