package api

import (
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/ytmaker/ytmaker/internal/api/wire"
	"github.com/ytmaker/ytmaker/internal/engine"
	"github.com/ytmaker/ytmaker/internal/project"
)

// Media types of batch files.
var (
	csvTypes   = []string{"text/csv", "application/csv"}
	jsonlTypes = []string{"application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines"}
)

func batchURL(id int64) string { return Prefix + "/batches/" + strconv.FormatInt(id, 10) }

// createBatch makes a batch from JSON (project.BatchInput), from a CSV or
// JSONL body, or from a multipart upload (field "file"). ?start=true also
// starts it; for files, ?name= and ?concurrency= (or form fields of the
// same names) set the batch's name and concurrency.
func (s *Server) createBatch(w http.ResponseWriter, r *http.Request) {
	req, err := s.readBatchRequest(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := s.orch.CreateBatch(r.Context(), req.input)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if req.start {
		if _, err := s.orch.StartBatch(r.Context(), id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	b, err := s.store.Batch(id)
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeBatchNotFound))
		return
	}
	w.Header().Set("Location", batchURL(id))
	writeData(w, http.StatusCreated, s.batchView(r.Context(), b))
}

// batchRequest is a batch read from a request, before validation.
type batchRequest struct {
	input project.BatchInput
	start bool
}

func (s *Server) readBatchRequest(w http.ResponseWriter, r *http.Request) (*batchRequest, error) {
	mt, _, err := mediaType(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	req := &batchRequest{}
	if req.start, err = queryBool(q, "start", false); err != nil {
		return nil, err
	}
	switch {
	case isJSONType(mt):
		return req, s.decodeBody(w, r, &req.input, false)
	case contains(csvTypes, mt):
		req.input.Projects, err = parseCSV(http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes))
	case contains(jsonlTypes, mt):
		req.input.Projects, err = parseJSONL(http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes))
	case mt == "multipart/form-data":
		err = s.readBatchForm(w, r, req)
	default:
		err = newError(http.StatusUnsupportedMediaType, CodeUnsupportedMedia,
			"send application/json, text/csv, application/x-ndjson or multipart/form-data (field \"file\"), not %s", mt)
	}
	if err != nil {
		return nil, err
	}
	if v := strings.TrimSpace(q.Get("name")); v != "" {
		req.input.Name = v
	}
	if q.Has("concurrency") {
		if req.input.Concurrency, err = queryInt(q, "concurrency", 0, 1, 32); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// readBatchForm reads a multipart upload: the file in field "file"
// (.csv, .jsonl or .ndjson, or told by the part's Content-Type), and the
// optional fields name, concurrency and start.
func (s *Server) readBatchForm(w http.ResponseWriter, r *http.Request, req *batchRequest) error {
	r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return newError(http.StatusBadRequest, CodeInvalidForm, "cannot read the multipart form: %v", err)
	}
	sawFile := false
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return jsonError(mbe)
			}
			return newError(http.StatusBadRequest, CodeInvalidForm, "cannot read the multipart form: %v", err)
		}
		switch part.FormName() {
		case "file":
			if sawFile {
				return invalid("file", "send one file")
			}
			sawFile = true
			projects, err := readBatchFile(part)
			if err != nil {
				return err
			}
			req.input.Projects = projects
			if req.input.Name == "" {
				base := filepath.Base(part.FileName())
				req.input.Name = strings.TrimSuffix(base, filepath.Ext(base))
				if req.input.Name == "." || req.input.Name == "/" {
					req.input.Name = ""
				}
			}
		case "name", "concurrency", "start":
			b, err := io.ReadAll(io.LimitReader(part, 1024))
			if err != nil {
				return jsonError(err)
			}
			v := strings.TrimSpace(string(b))
			switch part.FormName() {
			case "name":
				req.input.Name = v
			case "concurrency":
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > 32 {
					return invalid("concurrency", "must be an integer from 1 to 32")
				}
				req.input.Concurrency = n
			case "start":
				b, ok := parseBool(v)
				if !ok {
					return invalid("start", "must be true or false")
				}
				req.start = b
			}
		default:
			return newError(http.StatusBadRequest, CodeUnknownField, "unknown form field %q; send file, name, concurrency or start", part.FormName()).
				with("field", part.FormName())
		}
		part.Close()
	}
	if !sawFile {
		return invalid("file", "is required: a .csv or .jsonl file of projects")
	}
	return nil
}

// readBatchFile parses one uploaded file by its extension or type.
func readBatchFile(part *multipart.Part) ([]project.Input, error) {
	ext := strings.ToLower(filepath.Ext(part.FileName()))
	ct := strings.ToLower(part.Header.Get("Content-Type"))
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = strings.TrimSpace(ct[:i])
	}
	switch {
	case ext == ".csv" || contains(csvTypes, ct):
		return parseCSV(part)
	case ext == ".jsonl" || ext == ".ndjson" || contains(jsonlTypes, ct):
		return parseJSONL(part)
	}
	return nil, newError(http.StatusUnsupportedMediaType, CodeUnsupportedMedia,
		"the file must be .csv or .jsonl (got %q, %q)", part.FileName(), ct).with("field", "file")
}

func (s *Server) batchView(ctx context.Context, b *project.Batch) *wire.Batch {
	v := &wire.Batch{ID: b.ID, Name: b.Name, Status: b.Status, Concurrency: b.Concurrency, Projects: []wire.BatchProject{},
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
	sum := 0
	for _, pid := range b.ProjectIDs {
		bp := wire.BatchProject{ID: pid}
		v.Counts.Total++
		p, st, err := s.load(pid)
		if err != nil {
			bp.Status = "DELETED"
			bp.Error = "the project was deleted"
			v.Projects = append(v.Projects, bp)
			continue
		}
		bp.Name, bp.Status, bp.Progress = p.Name, st.Status, s.liveProgress(ctx, st)
		if st.Error != nil {
			bp.ErrorCode, bp.Error = st.Error.Code, st.Error.Message
		}
		if up := parseUpload(st); up.URL != "" {
			bp.YouTubeURL = up.URL
		}
		switch {
		case st.Status == project.Completed:
			v.Counts.Completed++
			bp.Progress = 100
		case st.Status == project.Failed:
			v.Counts.Failed++
		case st.Status == project.Cancelled:
			v.Counts.Cancelled++
		case st.Status == project.Paused:
			v.Counts.Paused++
		case st.ActiveRun() != nil:
			v.Counts.Running++
		default:
			v.Counts.Pending++
		}
		sum += bp.Progress
		v.Projects = append(v.Projects, bp)
	}
	if v.Counts.Total > 0 {
		v.Progress = sum / v.Counts.Total
	}
	if run := b.Run; run != nil {
		v.Run = &wire.BatchRun{ID: run.ID, TaskID: run.HandleID, Paused: run.Paused, StartedAt: run.StartedAt,
			FinishedAt: run.FinishedAt, Result: run.Result}
	}
	return v
}

func (s *Server) getBatch(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeBatchNotFound, "batch")
	if !ok {
		return
	}
	b, err := s.store.Batch(id)
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeBatchNotFound))
		return
	}
	writeData(w, http.StatusOK, s.batchView(r.Context(), b))
}

func (s *Server) listBatches(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, err := queryInt(q, "limit", 20, 1, 100)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	offset, err := queryInt(q, "offset", 0, 0, 1<<30)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	all, err := s.store.ListBatches(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := wire.BatchList{Batches: []wire.BatchSummary{}, Total: len(all), Limit: limit, Offset: offset}
	if offset < len(all) {
		all = all[offset:]
	} else {
		all = nil
	}
	if len(all) > limit {
		all = all[:limit]
	}
	for _, b := range all {
		v := s.batchView(r.Context(), b)
		sum := wire.BatchSummary{ID: v.ID, Name: v.Name, Status: v.Status, Counts: v.Counts, Progress: v.Progress,
			CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
		if v.Run != nil {
			sum.TaskID = v.Run.TaskID
		}
		out.Batches = append(out.Batches, sum)
	}
	writeData(w, http.StatusOK, out)
}

// startBatch starts the batch (or joins its current run). resume is the
// same call: a paused run goes on, a finished batch runs its unfinished
// projects again.
func (s *Server) startBatch(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeBatchNotFound, "batch")
	if !ok {
		return
	}
	run, err := s.orch.StartBatch(r.Context(), id)
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeBatchNotFound))
		return
	}
	ref := wire.BatchRunRef{BatchID: id, TaskID: run.HandleID, Run: run.ID, Status: project.BatchRunning}
	if b, err := s.store.Batch(id); err == nil {
		ref.Status = b.Status
	}
	w.Header().Set("Location", Prefix+"/tasks/"+run.HandleID)
	writeData(w, http.StatusAccepted, ref)
}

func (s *Server) resumeBatch(w http.ResponseWriter, r *http.Request) { s.startBatch(w, r) }

func (s *Server) pauseBatch(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, CodeBatchNotFound, "batch")
	if !ok {
		return
	}
	b, err := s.orch.PauseBatch(r.Context(), id)
	if errorIs(err, engine.CodeNotRunning) {
		err = newError(http.StatusConflict, CodeBatchNotRunning, "batch %d is not running", id)
	}
	if err != nil {
		s.fail(w, r, asNotFound(err, CodeBatchNotFound))
		return
	}
	ref := wire.BatchRunRef{BatchID: id, Status: b.Status}
	if b.Run != nil {
		ref.TaskID, ref.Run = b.Run.HandleID, b.Run.ID
	}
	writeData(w, http.StatusAccepted, ref)
}
