package api

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/brand"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/script"
	"github.com/ytmaker/ytmaker/procman"
	"github.com/ytmaker/ytmaker/progress"
)

// openAPISchemaTypes maps each object schema of openapi.json to the Go
// type the server encodes or decodes for it.
var openAPISchemaTypes = map[string]reflect.Type{
	"Error":               reflect.TypeFor[wire.Error](),
	"CodedError":          reflect.TypeFor[errcode.Error](),
	"YouTubeSettings":     reflect.TypeFor[project.YouTube](),
	"Providers":           reflect.TypeFor[project.Providers](),
	"Settings":            reflect.TypeFor[project.Settings](),
	"Stage":               reflect.TypeFor[wire.Stage](),
	"Run":                 reflect.TypeFor[wire.Run](),
	"Outputs":             reflect.TypeFor[wire.Outputs](),
	"Project":             reflect.TypeFor[wire.Project](),
	"ProjectSummary":      reflect.TypeFor[wire.ProjectSummary](),
	"ProjectList":         reflect.TypeFor[wire.ProjectList](),
	"ProjectPatch":        reflect.TypeFor[wire.ProjectPatch](),
	"PatchResult":         reflect.TypeFor[wire.PatchResult](),
	"GenerateRequest":     reflect.TypeFor[wire.GenerateRequest](),
	"RunRef":              reflect.TypeFor[wire.RunRef](),
	"File":                reflect.TypeFor[wire.File](),
	"YouTubeResult":       reflect.TypeFor[wire.YouTubeResult](),
	"Result":              reflect.TypeFor[wire.Result](),
	"BatchCounts":         reflect.TypeFor[wire.BatchCounts](),
	"BatchProject":        reflect.TypeFor[wire.BatchProject](),
	"BatchRun":            reflect.TypeFor[wire.BatchRun](),
	"Batch":               reflect.TypeFor[wire.Batch](),
	"BatchSummary":        reflect.TypeFor[wire.BatchSummary](),
	"BatchList":           reflect.TypeFor[wire.BatchList](),
	"BatchRunRef":         reflect.TypeFor[wire.BatchRunRef](),
	"Task":                reflect.TypeFor[wire.Task](),
	"DebugRequest":        reflect.TypeFor[wire.DebugRequest](),
	"TaskRef":             reflect.TypeFor[wire.TaskRef](),
	"Deleted":             reflect.TypeFor[wire.Deleted](),
	"ProgressMessage":     reflect.TypeFor[progress.Message](),
	"PromptTemplate":      reflect.TypeFor[wire.PromptTemplate](),
	"Provider":            reflect.TypeFor[wire.Provider](),
	"ProviderList":        reflect.TypeFor[wire.ProviderList](),
	"ProviderTest":        reflect.TypeFor[wire.ProviderTest](),
	"PromptTemplateInput": reflect.TypeFor[wire.PromptTemplateInput](),
	"PromptTemplateList":  reflect.TypeFor[wire.PromptTemplateList](),
	"Script":              reflect.TypeFor[script.Script](),
	"Brand":               reflect.TypeFor[brand.Brand](),
	"BrandWatermark":      reflect.TypeFor[brand.Watermark](),
	"BrandList":           reflect.TypeFor[wire.BrandList](),
	"ScriptUpdate":        reflect.TypeFor[wire.ScriptUpdate](),
	"SegmentMedia":        reflect.TypeFor[wire.SegmentMedia](),
	"MediaUpdate":         reflect.TypeFor[wire.MediaUpdate](),
	"Limits":              reflect.TypeFor[procman.Limits](),
	"ProviderLimit":       reflect.TypeFor[procman.ProviderLimit](),
	"WorkerRenders":       reflect.TypeFor[procman.WorkerRenders](),
}

// jsonField is one key of a struct's JSON encoding.
type jsonField struct {
	name     string
	optional bool // omitempty or omitzero: the key may be absent
}

// jsonFields lists the keys encoding/json writes for struct type t,
// following embedded structs the way encoding/json promotes them.
func jsonFields(t reflect.Type) []jsonField {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			out = append(out, jsonFields(ft)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		optional := false
		for _, o := range strings.Split(opts, ",") {
			if o == "omitempty" || o == "omitzero" {
				optional = true
			}
		}
		out = append(out, jsonField{name: name, optional: optional})
	}
	return out
}

// difference returns the keys of a that are not in b, sorted.
func difference(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPISchemasMatchWireTypes fails when an object schema and the Go
// type behind it disagree on property names, or, where the schema lists
// required properties, on which keys are always present.
func TestOpenAPISchemasMatchWireTypes(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	for name, typ := range openAPISchemaTypes {
		t.Run(name, func(t *testing.T) {
			raw, ok := doc.Components.Schemas[name]
			if !ok {
				t.Fatalf("schema %s is not in openapi.json", name)
			}
			var schema struct {
				Properties map[string]json.RawMessage `json:"properties"`
				Required   []string                   `json:"required"`
			}
			if err := json.Unmarshal(raw, &schema); err != nil {
				t.Fatalf("schema %s: %v", name, err)
			}
			props, fields, always := map[string]bool{}, map[string]bool{}, map[string]bool{}
			for p := range schema.Properties {
				props[p] = true
			}
			for _, f := range jsonFields(typ) {
				fields[f.name] = true
				if !f.optional {
					always[f.name] = true
				}
			}
			if m := difference(fields, props); len(m) > 0 {
				t.Errorf("%s: fields of %v missing from the schema: %v", name, typ, m)
			}
			if m := difference(props, fields); len(m) > 0 {
				t.Errorf("%s: schema properties with no field in %v: %v", name, typ, m)
			}
			if schema.Required == nil {
				return
			}
			required := map[string]bool{}
			for _, r := range schema.Required {
				required[r] = true
			}
			if m := difference(always, required); len(m) > 0 {
				t.Errorf("%s: fields of %v always encoded but not required: %v", name, typ, m)
			}
			if m := difference(required, always); len(m) > 0 {
				t.Errorf("%s: required properties that %v may omit: %v", name, typ, m)
			}
		})
	}
}
