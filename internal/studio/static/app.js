// YTMaker Studio: live updates over Server-Sent Events and calls to the
// JSON API (/api/v1). No dependencies; the server renders the pages.
"use strict";
(function () {
  const msgs = JSON.parse(document.getElementById("messages").textContent || "{}");

  // T formats a message: each %s or %d takes the next argument.
  function T(key) {
    const args = Array.prototype.slice.call(arguments, 1);
    let s = msgs[key] || key;
    return s.replace(/%[sd]/g, function () { return args.length ? String(args.shift()) : ""; });
  }

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  function flash(text, bad) {
    const el = $("#flash");
    if (!el) return;
    el.textContent = text || "";
    el.classList.toggle("bad", !!bad);
  }

  // api calls the JSON API and resolves with its envelope; a network
  // failure resolves with a synthetic error envelope.
  function api(method, path, body) {
    const opts = { method: method, headers: {}, credentials: "same-origin" };
    if (body instanceof FormData) {
      opts.body = body;
    } else if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.json().then(function (j) { j.httpStatus = r.status; return j; },
        function () { return { success: false, httpStatus: r.status, error: { code: "HTTP_" + r.status, message: r.statusText } }; });
    }, function () {
      return { success: false, httpStatus: 0, error: { code: "NETWORK", message: T("js.network") } };
    });
  }

  function statusClass(s) {
    switch (s) {
      case "COMPLETED": return "ok";
      case "FAILED": return "bad";
      case "CANCELLED": return "off";
      case "PAUSED": case "SCRIPT_REVIEW": return "warn";
      case "INITIALIZED": case "SCRIPT_GENERATED": case "ASSETS_GENERATED": case "RENDERED": case "THUMBNAIL_GENERATED": return "idle";
    }
    return "busy";
  }

  function setBadge(el, status) {
    if (!el || !status || el.dataset.status === status) return;
    el.dataset.status = status;
    el.className = "badge " + statusClass(status);
    el.textContent = T("status." + status);
  }

  function formatETA(sec) {
    sec = Math.max(0, Math.round(sec));
    const m = Math.floor(sec / 60), s = sec % 60;
    return T("js.eta", m > 0 ? T("js.eta.minutes", m, s) : s + " s");
  }

  // updateRow applies a progress message to a list row.
  function updateRow(row, m) {
    const bar = $("progress", row), pct = $(".pct", row);
    if (typeof m.progress === "number" && bar) {
      bar.value = m.progress;
      bar.textContent = m.progress + "%";
      pct.textContent = m.progress + "%";
    }
    if (m.status) setBadge($(".badge", row), m.status);
  }

  // allEvents follows every project's progress (the list pages).
  function allEvents(onMessage) {
    if (!window.EventSource) return;
    const es = new EventSource("/events");
    es.onmessage = function (e) {
      let m;
      try { m = JSON.parse(e.data); } catch (err) { return; }
      onMessage(m);
    };
    window.addEventListener("pagehide", function () { es.close(); });
  }

  // throttle runs fn at most once per ms, and once more after the last call.
  function throttle(fn, ms) {
    let last = 0, timer = null;
    return function () {
      const now = Date.now();
      if (timer) return;
      const wait = Math.max(0, last + ms - now);
      timer = setTimeout(function () { timer = null; last = Date.now(); fn(); }, wait);
    };
  }

  // swapParts replaces the parts of a page whose HTML changed.
  const partHTML = {};
  function swapParts(parts) {
    Object.keys(parts).forEach(function (name) {
      const el = $('[data-part="' + name + '"]');
      if (!el || partHTML[name] === parts[name]) return;
      if ($("form[data-dirty]", el)) return; // never throw away what the user is typing
      if (partHTML[name] === undefined && el.innerHTML.trim() === parts[name].trim()) { partHTML[name] = parts[name]; return; }
      const hadFocus = el.contains(document.activeElement) && document.activeElement.dataset;
      const focusKey = hadFocus ? (document.activeElement.dataset.action || document.activeElement.dataset.batchAction) : null;
      el.innerHTML = parts[name];
      partHTML[name] = parts[name];
      if (focusKey) {
        const again = $('[data-action="' + focusKey + '"],[data-batch-action="' + focusKey + '"]', el);
        (again || $("#main")).focus();
      }
    });
  }

  // ---- Projects list ----
  function projectsPage() {
    const list = $("#projects");
    if (list) {
      list.addEventListener("click", function (e) {
        const btn = e.target.closest("[data-delete]");
        if (!btn) return;
        const row = btn.closest(".project-row");
        if (!window.confirm(T("js.confirm.delete", row.dataset.name))) return;
        btn.disabled = true;
        api("DELETE", "/api/v1/projects/" + btn.dataset.delete + "?delete_files=true").then(function (j) {
          btn.disabled = false;
          if (!j.success) { flash(T("js.failed", j.error.message), true); return; }
          const next = row.nextElementSibling || row.previousElementSibling;
          row.remove();
          flash("");
          const focusTo = next ? $("a", next) : $("#q");
          if (focusTo) focusTo.focus();
        });
      });
    }
    allEvents(function (m) {
      const row = $('.project-row[data-id="' + m.project_id + '"]');
      if (row) updateRow(row, m);
    });
  }

  // ---- Field errors (the API's details.field) ----
  function clearErrors(form) {
    $all(".field-error", form).forEach(function (el) { el.remove(); });
    $all('[aria-invalid="true"]', form).forEach(function (el) {
      el.removeAttribute("aria-invalid");
      const ids = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (x) { return x && !/-error$/.test(x); });
      if (ids.length) el.setAttribute("aria-describedby", ids.join(" ")); else el.removeAttribute("aria-describedby");
    });
    const fe = $(".form-error", form);
    if (fe) { fe.hidden = true; fe.textContent = ""; }
  }

  // showError puts the API's message beside its field, or on top.
  function showError(form, err) {
    let field = err && err.details && err.details.field;
    if (field) field = String(field).replace(/\[\d+\]$/, "");
    const el = field && $('[data-field="' + field + '"]', form);
    if (!el) {
      const fe = $(".form-error", form);
      fe.textContent = (err && err.message) || T("js.network");
      fe.hidden = false;
      fe.focus && fe.setAttribute("tabindex", "-1");
      fe.focus();
      return;
    }
    const id = (el.id || field.replace(/\W/g, "-")) + "-error";
    const p = document.createElement("p");
    p.className = "field-error";
    p.id = id;
    p.textContent = err.message;
    el.closest(".field").appendChild(p);
    el.setAttribute("aria-invalid", "true");
    el.setAttribute("aria-describedby", ((el.getAttribute("aria-describedby") || "") + " " + id).trim());
    const focusable = el.matches("input,select,textarea") ? el : $("input", el);
    if (focusable) focusable.focus();
  }

  // ---- New project ----
  function newPage() {
    const form = $("#new-project");
    const content = $("#f-content"), name = $("#f-name"), lang = $("#f-language"), help = $("#f-language-help");
    const busy = $("#f-busy"), submit = $("#f-submit");
    const detect = throttle(function () {
      const text = content.value.trim();
      if (!text) { help.textContent = ""; return; }
      fetch("/detect-language", { method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text: text.slice(0, 4000) }) })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) { if (j && j.language) { help.textContent = T("js.detected", j.language); help.dataset.detected = j.language; } })
        .catch(function () {});
    }, 600);
    content.addEventListener("input", detect);
    $("#f-file").addEventListener("change", function (e) {
      const f = e.target.files && e.target.files[0];
      if (!f) return;
      if (!/\.(txt|md|markdown)$/i.test(f.name)) { showError(form, { message: T("js.file.type"), details: { field: "content" } }); return; }
      busy.textContent = T("js.reading");
      f.text().then(function (text) {
        content.value = text;
        if (!name.value.trim()) name.value = f.name.replace(/\.[^.]+$/, "");
        busy.textContent = "";
        detect();
      });
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      clearErrors(form);
      const fd = new FormData(form);
      const tags = String(fd.get("tags") || "").split(",").map(function (t) { return t.trim(); }).filter(Boolean);
      const publish = String(fd.get("publish_at") || "");
      const body = {
        name: String(fd.get("name") || ""),
        content: String(fd.get("content") || ""),
        language: String(fd.get("language") || ""),
        settings: {
          format: String(fd.get("format") || ""),
          voice: String(fd.get("voice") || ""),
          motion: String(fd.get("motion") || ""),
          visuals: String(fd.get("visuals") || ""),
          captions: String(fd.get("captions") || ""),
          music: String(fd.get("music") || ""),
          prompt_template: String(fd.get("prompt_template") || ""),
          theme: String(fd.get("theme") || ""),
          brand: String(fd.get("brand") || ""),
          providers: { script: fd.get("provider-script"), tts: fd.get("provider-tts"), images: fd.get("provider-images"), stock: fd.get("provider-stock"), avatar: fd.get("provider-avatar") },
          youtube: { upload: $("#f-upload").checked, title: String(fd.get("title") || ""), description: String(fd.get("description") || ""),
            tags: tags, privacy: String(fd.get("privacy") || "") }
        }
      };
      if ($("#f-review").checked) body.settings.review_script = true;
      if (body.settings.music) body.settings.music_volume = Number(fd.get("music_volume"));
      if (publish) {
        const d = new Date(publish);
        if (!isNaN(d.getTime())) body.settings.youtube.publish_at = d.toISOString();
      }
      submit.disabled = true;
      busy.textContent = T("js.creating");
      api("POST", "/api/v1/projects", body).then(function (j) {
        if (!j.success) { submit.disabled = false; busy.textContent = ""; showError(form, j.error); return; }
        const id = j.data.id;
        return api("POST", "/api/v1/projects/" + id + "/generate").then(function (g) {
          location.assign("/projects/" + id + (g.success ? "" : "?start=failed"));
        });
      });
    });
  }

  // ---- Project page ----
  function projectPage() {
    const box = $("#overview");
    const id = box.dataset.project;
    const bar = $("#progress"), pct = $("#pct"), message = $("#message"), eta = $("#eta"), badge = $("#status");
    let lastStage = "", lastStatus = badge.dataset.status;
    const refresh = throttle(function () {
      fetch("/projects/" + id + "/live", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) return;
          swapParts(j.parts);
          setBadge(badge, j.status);
          if (j.status !== lastStatus) { lastStatus = j.status; }
          if (typeof j.progress === "number" && j.progress > bar.value) setProgress(j.progress);
        }).catch(function () {});
    }, 1000);
    function setProgress(p) {
      bar.value = p;
      bar.textContent = p + "%";
      pct.textContent = p + "%";
    }
    if (window.EventSource) {
      const es = new EventSource("/api/v1/projects/" + id + "/events");
      es.onmessage = function (e) {
        let m;
        try { m = JSON.parse(e.data); } catch (err) { return; }
        if (m.status === "NOT_STARTED") return; // no run yet: the page shows the project as it is
        if (typeof m.progress === "number") setProgress(m.progress);
        // A run of some stages ends on its last stage: say what the project now is.
        const partEnd = m.final && m.stage !== "completed" && m.stage !== "error" && m.status;
        if (m.status === "PAUSED" || m.status === "SCRIPT_REVIEW" || partEnd) message.textContent = T("status." + m.status);
        else if (m.stage) message.textContent = T("stage." + m.stage);
        eta.textContent = (m.eta_seconds != null && !m.final && m.progress < 100) ? formatETA(m.eta_seconds) : "";
        if (m.status) setBadge(badge, m.status);
        if (m.stage !== lastStage || m.final || m.status || m.error) { lastStage = m.stage; refresh(); }
      };
      es.onerror = function () { if (es.readyState === EventSource.CONNECTING) eta.textContent = T("js.live.lost"); };
      window.addEventListener("pagehide", function () { es.close(); });
    }
    scriptEditor(id, refresh);
    mediaTools(id, refresh);
    box.addEventListener("click", function (e) {
      const btn = e.target.closest("[data-action]");
      if (!btn) return;
      const action = btn.dataset.action;
      if (action === "cancel" && !window.confirm(T("js.confirm.cancel"))) return;
      btn.disabled = true;
      api("POST", "/api/v1/projects/" + id + "/" + action).then(function (j) {
        btn.disabled = false;
        if (!j.success) { flash(T("js.failed", j.error.message), true); } else { flash(""); }
        refresh();
      });
    });
  }

  // mediaType recognises the accepted files from their first bytes, as the
  // server does: PNG, JPEG, WebP, MP4/MOV (ISO boxes) and WebM.
  function mediaType(b) {
    function str(from, to) { return String.fromCharCode.apply(null, Array.prototype.slice.call(b, from, to)); }
    if (b.length >= 8 && str(0, 8) === "\x89PNG\r\n\x1a\n") return "png";
    if (b.length >= 3 && b[0] === 0xFF && b[1] === 0xD8 && b[2] === 0xFF) return "jpeg";
    if (b.length >= 12 && str(0, 4) === "RIFF" && str(8, 12) === "WEBP") return "webp";
    if (b.length >= 8 && ["ftyp", "moov", "mdat", "wide", "free"].indexOf(str(4, 8)) >= 0) return "mp4";
    if (b.length >= 4 && b[0] === 0x1A && b[1] === 0x45 && b[2] === 0xDF && b[3] === 0xA3 && str(0, b.length).indexOf("webm") >= 0) return "webm";
    return "";
  }

  // mediaTools uploads a segment's own picture or clip, or removes it, from
  // the gallery; the server checks the file and the gallery is redrawn.
  function mediaTools(id, refresh) {
    const part = $('[data-part="assets"]');
    if (!part) return;
    function status(n, text, bad) {
      const el = $("#media-" + n + "-status");
      if (!el) return;
      el.textContent = text || "";
      el.classList.toggle("bad", !!bad);
    }
    function done(n, j, ok) {
      if (!j.success) {
        status(n, T("js.failed", (j.error.code ? j.error.code + ": " : "") + j.error.message), true);
        return;
      }
      flash(T(ok));
      refresh();
    }
    part.addEventListener("change", function (e) {
      const input = e.target.closest("[data-media-upload]");
      if (!input || !input.files || !input.files.length) return;
      const n = input.dataset.mediaUpload, file = input.files[0];
      input.disabled = true;
      // The server decides from the bytes; a file that is plainly not a
      // picture or a clip is told at once instead of after its upload.
      file.slice(0, 64).arrayBuffer().then(function (buf) {
        if (!mediaType(new Uint8Array(buf))) {
          input.disabled = false;
          input.value = "";
          status(n, T("js.media.type"), true);
          return;
        }
        const fd = new FormData();
        fd.append("file", file, file.name);
        status(n, T("js.media.uploading", file.name));
        api("PUT", "/api/v1/projects/" + id + "/segments/" + n + "/media", fd).then(function (j) {
          input.disabled = false;
          input.value = "";
          if (j.success) status(n, "");
          done(n, j, "js.media.saved");
        });
      });
    });
    part.addEventListener("click", function (e) {
      const btn = e.target.closest("[data-media-remove]");
      if (!btn) return;
      const n = btn.dataset.mediaRemove;
      btn.disabled = true;
      api("DELETE", "/api/v1/projects/" + id + "/segments/" + n + "/media").then(function (j) {
        btn.disabled = false;
        done(n, j, "js.media.removed");
      });
    });
  }

  // scriptEditor edits the script while the project waits for review:
  // segments can be changed, moved, removed and added; saving sends the
  // whole script to the API, approving saves first.
  function scriptEditor(id, refresh) {
    const part = $('[data-part="script"]');
    if (!part) return;
    function renumber(form) {
      $all("li.seg", form).forEach(function (li, i) {
        const ta = $("textarea", li), label = $("label", li);
        ta.id = "s-seg-" + i;
        ta.dataset.field = "segments[" + i + "].text";
        label.htmlFor = ta.id;
        const n = label.lastChild;
        if (n && n.nodeType === 3) n.textContent = " " + T("project.segment", i + 1);
      });
    }
    function read(form) {
      const orig = JSON.parse($("#script-json", form).textContent || "{}");
      const segs = $all("li.seg", form);
      orig.title = $("#s-title", form).value;
      orig.description = $("#s-description", form).value;
      orig.segments = segs.map(function (li, i) {
        let type = li.dataset.type || "content";
        if (i === 0) type = "intro"; else if (i === segs.length - 1) type = "outro"; else type = "content";
        const seg = { type: type, text: $("textarea", li).value };
        if (li.dataset.prompt && $("textarea", li).defaultValue === seg.text) seg.image_prompt = li.dataset.prompt;
        return seg;
      });
      return orig;
    }
    function save(form, then) {
      clearErrors(form);
      const busy = $("#s-busy", form);
      busy.textContent = T("js.creating");
      return api("PUT", "/api/v1/projects/" + id + "/script", read(form)).then(function (j) {
        busy.textContent = "";
        if (!j.success) {
          const f = j.error && j.error.details && j.error.details.field;
          if (f && !$('[data-field="' + f + '"]', form) && /^segments\[\d+\]/.test(f)) j.error.details.field = f.replace(/\.[a-z_]+$/, "") + ".text";
          showError(form, j.error);
          return false;
        }
        delete form.dataset.dirty;
        busy.textContent = T("review.saved");
        return then ? then() : true;
      });
    }
    part.addEventListener("input", function (e) {
      const form = e.target.closest("#script-editor");
      if (form) form.dataset.dirty = "1";
    });
    part.addEventListener("click", function (e) {
      const btn = e.target.closest("[data-seg]");
      if (btn) {
        const form = btn.closest("#script-editor");
        form.dataset.dirty = "1";
        const li = btn.closest("li.seg"), list = $("#s-segments", form);
        switch (btn.dataset.seg) {
          case "up": if (li.previousElementSibling) list.insertBefore(li, li.previousElementSibling); break;
          case "down": if (li.nextElementSibling) list.insertBefore(li.nextElementSibling, li); break;
          case "remove": li.remove(); break;
          case "add": {
            const items = $all("li.seg", form);
            const tpl = items[items.length - 1].cloneNode(true);
            $("textarea", tpl).value = "";
            $("textarea", tpl).defaultValue = "";
            tpl.dataset.prompt = "";
            tpl.dataset.type = "content";
            $(".seg-type", tpl).textContent = "content";
            list.insertBefore(tpl, items[items.length - 1]);
            renumber(form);
            $("textarea", tpl).focus();
            return;
          }
        }
        renumber(form);
        btn.focus();
        return;
      }
      if (e.target.id === "s-save") save(e.target.form);
    });
    part.addEventListener("submit", function (e) {
      if (e.target.id !== "script-editor") return;
      e.preventDefault();
      const form = e.target;
      $("#s-approve", form).disabled = true;
      save(form, function () {
        return api("POST", "/api/v1/projects/" + id + "/approve").then(function (j) {
          $("#s-approve", form).disabled = false;
          if (!j.success) { showError(form, j.error); return; }
          refresh();
        });
      }).then(function (ok) { if (ok === false) $("#s-approve", form).disabled = false; });
    });
  }

  // ---- Batches ----
  function batchesPage() {
    const form = $("#batch-upload");
    const busy = $("#f-busy");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      clearErrors(form);
      const file = $("#b-file").files[0];
      if (!file) { showError(form, { message: T("js.file.type").replace(".txt", ".csv").replace(".md", ".jsonl"), details: { field: "file" } }); return; }
      const fd = new FormData();
      fd.append("file", file, file.name);
      const name = $("#b-name").value.trim();
      if (name) fd.append("name", name);
      fd.append("start", $("#b-start").checked ? "true" : "false");
      busy.textContent = T("js.uploading");
      api("POST", "/api/v1/batches", fd).then(function (j) {
        busy.textContent = "";
        if (!j.success) { showError(form, j.error); return; }
        location.assign("/batches/" + j.data.id);
      });
    });
  }

  function batchPage() {
    const box = $("#batch");
    const id = box.dataset.batch;
    const refresh = throttle(function () {
      fetch("/batches/" + id + "/live", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) { if (j) swapParts({ batch: j.html }); })
        .catch(function () {});
    }, 1000);
    allEvents(function (m) {
      const row = $('.project-row[data-id="' + m.project_id + '"]', box);
      if (!row) return;
      updateRow(row, m);
      if (m.final || m.status) refresh();
    });
    box.addEventListener("click", function (e) {
      const btn = e.target.closest("[data-batch-action]");
      if (!btn) return;
      btn.disabled = true;
      api("POST", "/api/v1/batches/" + id + "/" + btn.dataset.batchAction).then(function (j) {
        btn.disabled = false;
        if (!j.success) flash(T("js.failed", j.error.message), true); else flash("");
        refresh();
      });
    });
    refresh();
  }

  // systemPage: each configured service's Test button makes the service's
  // cheapest real call through the API and shows the outcome beside it.
  function systemPage() {
    const table = $("table.providers");
    if (!table) return;
    table.addEventListener("click", function (e) {
      const btn = e.target.closest("[data-test-provider]");
      if (!btn || btn.disabled) return;
      const name = btn.dataset.testProvider;
      const out = document.getElementById("test-" + name);
      // The server takes one test of a service per interval; the button
      // rests that long so a second press never hits the limit.
      const ready = Date.now() + (parseFloat(table.dataset.interval) || 5) * 1000;
      btn.disabled = true;
      btn.setAttribute("aria-busy", "true");
      out.className = "provider-result";
      delete out.dataset.code;
      out.textContent = T("js.test.running");
      api("POST", "/api/v1/providers/" + encodeURIComponent(name) + "/test").then(function (j) {
        btn.removeAttribute("aria-busy");
        setTimeout(function () { btn.disabled = false; }, Math.max(0, ready - Date.now()));
        let text, cls;
        if (j.success && j.data.ok) {
          text = T("js.test.ok", j.data.latency_ms, j.data.message || "");
          cls = "ok-text";
        } else if (j.success) {
          const err = j.data.error || { code: "ERROR", message: "" };
          text = T("js.test.failed", err.code, err.message) + (err.retryable ? " " + T("js.test.retry") : "");
          cls = "bad-text";
        } else if (j.httpStatus === 429) {
          text = T("js.test.wait", (j.error.details && j.error.details.retry_after_seconds) || 5);
          cls = "warn-text";
        } else {
          text = T("js.test.failed", j.error.code, j.error.message);
          cls = "bad-text";
        }
        out.className = "provider-result " + cls;
        out.dataset.code = j.success ? (j.data.ok ? "OK" : (j.data.error || {}).code || "") : j.error.code;
        out.textContent = text;
      });
    });
  }

  // ---- Brands ----
  function brandsPage() {
    const list = $("#brands");
    if (!list) return;
    list.addEventListener("click", function (e) {
      const btn = e.target.closest("[data-delete-brand]");
      if (!btn) return;
      const name = btn.dataset.deleteBrand;
      if (!window.confirm(T("js.confirm.brand", name))) return;
      btn.disabled = true;
      const del = function (force) {
        return fetch("/api/v1/brands/" + encodeURIComponent(name) + (force ? "?force=true" : ""),
          { method: "DELETE", credentials: "same-origin" }).then(function (r) {
          if (r.status === 204) return { success: true };
          return r.json().catch(function () { return { success: false, error: { message: r.statusText } }; });
        }, function () { return { success: false, error: { message: T("js.network") } }; });
      };
      del(false).then(function (j) {
        // Unfinished projects use it: say how many, and delete only if
        // asked again.
        if (!j.success && j.error.code === "IN_USE") {
          const n = (j.error.details && j.error.details.count) || 0;
          if (window.confirm(T("js.confirm.brand_in_use", name, n))) return del(true);
        }
        return j;
      }).then(function (j) {
        btn.disabled = false;
        if (!j.success) { flash(T("js.failed", j.error.message), true); return; }
        const row = btn.closest(".brand-row");
        const next = row.nextElementSibling || row.previousElementSibling;
        row.remove();
        flash(T("js.brand.deleted", name));
        const focusTo = next ? $("a", next) : $("#brand-new");
        if (focusTo) focusTo.focus();
      });
    });
  }

  // brandPage saves a preset (POST when new, PUT when editing), then
  // sends the chosen logo file; errors go beside their fields.
  function brandPage() {
    const form = $("#brand-form");
    const busy = $("#b-busy"), submit = $("#b-submit");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      clearErrors(form);
      const isNew = form.dataset.new === "1";
      const name = isNew ? $("#b-name").value.trim() : form.dataset.name;
      const pct = function (id) { const n = Number($(id).value); return isFinite(n) ? n / 100 : 0; };
      const body = {
        name: name,
        channel: $("#b-channel").value,
        intro: $("#b-intro").checked,
        outro: $("#b-outro").checked,
        theme: $("#b-theme").value,
        watermark: { enabled: $("#b-wm").checked, position: $("#b-position").value, size: pct("#b-size"), opacity: pct("#b-opacity") }
      };
      // The rules the API applies too, checked here first so a slip is
      // shown at once.
      if (isNew && !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)) { showError(form, { message: T("js.brand.name"), details: { field: "name" } }); return; }
      if (!body.channel.trim()) { showError(form, { message: T("js.brand.channel"), details: { field: "channel" } }); return; }
      if (!body.watermark.size) { showError(form, { message: T("js.brand.size"), details: { field: "watermark.size" } }); return; }
      if (!body.watermark.opacity) { showError(form, { message: T("js.brand.opacity"), details: { field: "watermark.opacity" } }); return; }
      const file = $("#b-logo").files[0];
      submit.disabled = true;
      busy.textContent = T("js.saving");
      const done = function (j) {
        submit.disabled = false;
        busy.textContent = "";
        if (!j.success) { showError(form, j.error); return false; }
        return true;
      };
      const path = "/api/v1/brands" + (isNew ? "" : "/" + encodeURIComponent(name));
      api(isNew ? "POST" : "PUT", path, body).then(function (j) {
        if (!done(j)) return;
        if (isNew) {
          // From now on the form edits the preset it made (a failed logo
          // upload is sent again with PUT, never a second POST).
          form.dataset.new = "";
          form.dataset.name = j.data.name;
          $("#b-name").readOnly = true;
        }
        if (!file) { location.assign("/brands"); return; }
        const fd = new FormData();
        fd.append("file", file, file.name);
        submit.disabled = true;
        busy.textContent = T("js.uploading");
        return api("PUT", "/api/v1/brands/" + encodeURIComponent(j.data.name) + "/logo", fd).then(function (u) {
          if (!done(u)) return;
          location.assign("/brands");
        });
      });
    });
  }

  const pages = { projects: projectsPage, "new": newPage, project: projectPage, batches: batchesPage, batch: batchPage, system: systemPage,
    brands: brandsPage, brand: brandPage };
  const init = pages[document.body.dataset.page];
  if (init) init();
})();
