package api

import (
	"net/http"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/project"
	"github.com/ytmaker/ytmaker/internal/prompts"
)

// promptError gives a missing template its 404.
func promptError(err error) error {
	if e, ok := errcode.As(err); ok && e.Code == prompts.CodeNotFound {
		return newError(http.StatusNotFound, prompts.CodeNotFound, "%s", e.Message).with("name", e.Details["name"])
	}
	return err
}

func templateView(t prompts.Template) wire.PromptTemplate {
	return wire.PromptTemplate{Name: t.Name, Description: t.Description, Text: t.Text, BuiltIn: t.BuiltIn, UpdatedAt: t.UpdatedAt}
}

func (s *Server) listPromptTemplates(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.Prompts().List()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.PromptTemplateList{Templates: []wire.PromptTemplate{}}
	for _, t := range list {
		out.Templates = append(out.Templates, templateView(t))
	}
	for _, p := range prompts.Placeholders {
		out.Placeholders = append(out.Placeholders, wire.Placeholder{Name: p.Name, Description: p.Description})
	}
	writeData(w, http.StatusOK, out)
}

func (s *Server) getPromptTemplate(w http.ResponseWriter, r *http.Request) {
	t, err := s.store.Prompts().Get(r.PathValue("name"))
	if err != nil {
		s.fail(w, r, promptError(err))
		return
	}
	writeData(w, http.StatusOK, templateView(t))
}

// createPromptTemplate stores a new template; an existing name is 409.
func (s *Server) createPromptTemplate(w http.ResponseWriter, r *http.Request) {
	var in wire.PromptTemplateInput
	if err := s.decodeBody(w, r, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Name == "" {
		s.fail(w, r, invalid("name", "is required"))
		return
	}
	if _, err := s.store.Prompts().Get(in.Name); err == nil {
		s.fail(w, r, newError(http.StatusConflict, errcode.Conflict, "prompt template %q already exists; PUT /api/v1/prompt-templates/%s replaces it", in.Name, in.Name).with("field", "name"))
		return
	} else if errcode.Code(err) != prompts.CodeNotFound {
		s.fail(w, r, err)
		return
	}
	s.savePromptTemplate(w, r, in)
}

// putPromptTemplate creates or replaces the template named in the path.
func (s *Server) putPromptTemplate(w http.ResponseWriter, r *http.Request) {
	var in wire.PromptTemplateInput
	if err := s.decodeBody(w, r, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	name := r.PathValue("name")
	if in.Name != "" && in.Name != name {
		s.fail(w, r, invalid("name", "%q differs from the name in the path, %q", in.Name, name))
		return
	}
	in.Name = name
	s.savePromptTemplate(w, r, in)
}

func (s *Server) savePromptTemplate(w http.ResponseWriter, r *http.Request, in wire.PromptTemplateInput) {
	t, created, err := s.store.Prompts().Put(prompts.Template{Name: in.Name, Description: in.Description, Text: in.Text})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", Prefix+"/prompt-templates/"+t.Name)
	}
	writeData(w, status, templateView(t))
}

// deletePromptTemplate removes a template. While unfinished projects
// name it, it is refused with 409 IN_USE unless ?force=true.
func (s *Server) deletePromptTemplate(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := s.store.Prompts().Get(name); err != nil || name == prompts.DefaultName {
		if err == nil { // the built-in one: Delete says why not
			err = s.store.Prompts().Delete(name)
		}
		s.fail(w, r, promptError(err))
		return
	}
	if s.refuseInUse(w, r, "prompt template", name, "ytmaker prompts delete", func(st project.Settings) bool { return st.PromptTemplate == name }) {
		return
	}
	if err := s.store.Prompts().Delete(name); err != nil {
		s.fail(w, r, promptError(err))
		return
	}
	writeData(w, http.StatusOK, wire.PromptTemplateDeleted{Name: name, Deleted: true})
}
