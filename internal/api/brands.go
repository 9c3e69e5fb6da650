package api

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"

	"github.com/ytmaker/ytmaker/errcode"
	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/brand"
	"github.com/ytmaker/ytmaker/internal/project"
)

// CodeBrandNotFound answers a brand preset (or its logo) that does not
// exist.
const CodeBrandNotFound = "BRAND_NOT_FOUND"

// brandError gives the brand store's errors their HTTP status: a missing
// preset or logo 404, a logo of the wrong type 415, one that does not
// decode 422, one too big 413.
func brandError(name string, err error) error {
	e, ok := errcode.As(err)
	if !ok {
		return err
	}
	status := 0
	code := e.Code
	switch e.Code {
	case errcode.NotFound:
		status, code = http.StatusNotFound, CodeBrandNotFound
	case errcode.MediaUnsupported:
		status = http.StatusUnsupportedMediaType
	case errcode.MediaUndecodable:
		status = http.StatusUnprocessableEntity
	case errcode.MediaTooLarge:
		status = http.StatusRequestEntityTooLarge
	default:
		return err
	}
	out := newError(status, code, "%s", e.Message)
	for k, v := range e.Details {
		out.with(k, v)
	}
	if e.Code == errcode.NotFound {
		out.with("name", name)
	}
	return out
}

func (s *Server) listBrands(w http.ResponseWriter, r *http.Request) {
	list, err := s.store.Brands().List()
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if list == nil {
		list = []brand.Brand{}
	}
	writeData(w, http.StatusOK, wire.BrandList{Brands: list})
}

func (s *Server) getBrand(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	b, err := s.store.Brands().Get(name)
	if err != nil {
		s.fail(w, r, brandError(name, err))
		return
	}
	writeData(w, http.StatusOK, b)
}

// createBrand stores a new preset; an existing name is 409.
func (s *Server) createBrand(w http.ResponseWriter, r *http.Request) {
	var in brand.Brand
	if err := s.decodeBody(w, r, &in, false); err != nil {
		s.fail(w, r, err)
		return
	}
	if in.Name == "" {
		s.fail(w, r, invalid("name", "is required"))
		return
	}
	if _, err := s.store.Brands().Get(in.Name); err == nil {
		s.fail(w, r, newError(http.StatusConflict, errcode.Conflict, "brand %q already exists; PUT /api/v1/brands/%s replaces it", in.Name, in.Name).with("field", "name"))
		return
	} else if errcode.Code(err) != errcode.NotFound {
		s.fail(w, r, err)
		return
	}
	s.saveBrand(w, r, in, true)
}

// putBrand creates or replaces the preset named in the path. A body
// without "logo" keeps the preset's logo; "logo": "" is not a way to
// remove it (send the preset with another file name, or delete it).
func (s *Server) putBrand(w http.ResponseWriter, r *http.Request) {
	var in brand.Brand
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
	old, err := s.store.Brands().Get(name)
	created := errcode.Code(err) == errcode.NotFound
	if err != nil && !created {
		s.fail(w, r, err)
		return
	}
	if !created && in.Logo == "" {
		in.Logo = old.Logo
	}
	s.saveBrand(w, r, in, created)
}

func (s *Server) saveBrand(w http.ResponseWriter, r *http.Request, in brand.Brand, created bool) {
	b, err := s.store.Brands().Save(in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", Prefix+"/brands/"+b.Name)
	}
	writeData(w, status, b)
}

// deleteBrand removes a preset (and its logo, when no other preset uses
// it). While unfinished projects name it, it is refused with 409 IN_USE
// unless ?force=true; projects that name a deleted preset are refused on
// their next render, and on any change, until they name another.
func (s *Server) deleteBrand(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := s.store.Brands().Get(name); err != nil {
		s.fail(w, r, brandError(name, err))
		return
	}
	if s.refuseInUse(w, r, "brand", name, "ytmaker brands rm", func(st project.Settings) bool { return st.Brand == name }) {
		return
	}
	if err := s.store.Brands().Delete(name); err != nil {
		s.fail(w, r, brandError(name, err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// putBrandLogo receives a preset's logo: the raw body (any Content-Type
// but JSON) or a multipart form with the file in field "file". The type
// is told from the bytes; the size is bounded while the upload streams.
func (s *Server) putBrandLogo(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if _, err := s.store.Brands().Get(name); err != nil {
		s.fail(w, r, brandError(name, err))
		return
	}
	const formOverhead = 64 << 10 // boundaries and part headers
	limit := int64(brand.MaxLogoBytes)
	r.Body = http.MaxBytesReader(w, r.Body, limit+formOverhead)
	mt, _, err := mediaType(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var body io.Reader = r.Body
	if mt == "multipart/form-data" {
		part, err := logoPart(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		defer part.Close()
		body = part
	} else if isJSONType(mt) && mt != "" {
		s.fail(w, r, newError(http.StatusUnsupportedMediaType, errcode.MediaUnsupported,
			"send the logo as the body (image/png or image/jpeg) or as multipart/form-data field \"file\", not JSON").with("field", "logo"))
		return
	}
	b, err := s.store.Brands().SaveLogo(name, body, limit)
	if err != nil {
		s.fail(w, r, brandError(name, err))
		return
	}
	writeData(w, http.StatusOK, b)
}

// logoPart finds the form's "file" part; other fields are refused.
func logoPart(r *http.Request) (*multipart.Part, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, newError(http.StatusBadRequest, CodeInvalidForm, "cannot read the multipart form: %v", err)
	}
	part, err := mr.NextPart()
	if errors.Is(err, io.EOF) {
		return nil, invalid("file", "is required: the logo, a PNG or JPEG file")
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, brandError("", brand.TooLarge(brand.MaxLogoBytes))
		}
		return nil, newError(http.StatusBadRequest, CodeInvalidForm, "cannot read the multipart form: %v", err)
	}
	if part.FormName() != "file" {
		part.Close()
		return nil, newError(http.StatusBadRequest, CodeUnknownField, "unknown form field %q; send the logo in field \"file\"", part.FormName()).
			with("field", part.FormName())
	}
	return part, nil
}

// getBrandLogo serves a preset's logo file.
func (s *Server) getBrandLogo(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	f, b, err := s.store.Brands().OpenLogo(name)
	if err != nil {
		s.fail(w, r, brandError(name, err))
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.fail(w, r, errcode.Wrap(err, errcode.FileSystemError, true, ""))
		return
	}
	h := w.Header()
	h.Set("Content-Type", brand.LogoMIME(b.Logo))
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", strconv.Quote(b.Logo)) // the name holds the content's hash
	http.ServeContent(w, r, b.Logo, fi.ModTime(), f)
}
