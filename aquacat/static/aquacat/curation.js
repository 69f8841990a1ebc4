/* AquaCat curator pages: repeatable form rows, and uploads with progress per file.
   Everything here enhances a page that works without it. */
(function () {
  "use strict";

  /* --- Repeatable rows (Django formsets) ------------------------------------------ */
  function initRows(fieldset) {
    var prefix = fieldset.getAttribute("data-rows");
    var total = fieldset.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var template = fieldset.querySelector("template");
    var list = fieldset.querySelector(".row-list");
    var add = fieldset.querySelector(".add-row");
    if (!total || !template || !list || !add) return;

    function wireRemove(row) {
      var button = row.querySelector(".remove-row");
      if (!button) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        // Empty rows are dropped by the server, so removing is clearing and hiding.
        row.querySelectorAll("input, select, textarea").forEach(function (control) {
          if (control.type === "checkbox" || control.type === "radio") control.checked = false;
          else control.value = "";
        });
        row.hidden = true;
        add.focus();
      });
    }

    list.querySelectorAll(".row").forEach(wireRemove);
    add.hidden = false;
    add.addEventListener("click", function () {
      var index = parseInt(total.value, 10) || 0;
      var html = template.innerHTML
        .replace(/__prefix__/g, String(index))
        .replace(/__number__/g, String(index + 1));
      list.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var row = list.lastElementChild;
      wireRemove(row);
      var first = row.querySelector("input, select, textarea");
      if (first) first.focus();
    });
  }

  document.querySelectorAll("[data-rows]").forEach(initRows);

  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    // A link in the summary moves focus to its control, not just the view.
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) return;
      event.preventDefault();
      var control = target.matches("input, select, textarea") ? target
        : target.querySelector("input:not([type=hidden]), select, textarea");
      target.scrollIntoView({ block: "center" });
      (control || target).focus();
    });
  }

  /* --- Copy a token's secret -------------------------------------------------------- */
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".copy-status");
    if (!source) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var text = source.textContent.trim();
      function done(message) { if (status) status.textContent = message; }
      function select() {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { done("Copied."); }, function () {
          select();
          done("Selected: press Ctrl+C (or ⌘C) to copy.");
        });
      } else {
        select();
        done("Selected: press Ctrl+C (or ⌘C) to copy.");
      }
    });
  });

  /* --- Uploads ----------------------------------------------------------------------- */
  var form = document.getElementById("upload-form");
  if (!form || !form.getAttribute("data-api")) return;

  var LIMIT = 3; // uploads at a time
  var api = form.getAttribute("data-api");
  // Files this large go in resumable pieces (uploads.js) and are ingested by a worker.
  var resumableFrom = parseInt(form.getAttribute("data-resumable-from"), 10) || 0;
  var uploadsApi = form.getAttribute("data-uploads");
  var csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
  var input = form.querySelector("input[type=file]");
  var zone = document.getElementById("dropzone");
  var queueSection = document.getElementById("queue");
  var tbody = queueSection.querySelector("tbody");
  var statusLine = document.getElementById("queue-status");
  var slot = document.getElementById("report-slot");
  var submit = document.getElementById("upload-submit");
  var waiting = [];
  var active = 0;
  var finished = 0;
  var count = 0;
  var report = { total: 0, added: 0, updated: [], duplicates: [], rejected: [], warnings: [] };

  submit.hidden = true; // files start uploading as soon as they are chosen or dropped
  zone.classList.add("enhanced");

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function size(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return (bytes / 1024).toFixed(1) + " kB";
    return (bytes / 1024 / 1024).toFixed(1) + " MB";
  }

  function addFiles(files) {
    if (!files || !files.length) return;
    queueSection.hidden = false;
    Array.prototype.forEach.call(files, function (file) {
      count += 1;
      var row = el("tr", "file-row");
      row.setAttribute("data-state", "waiting");
      var name = el("td", "file", file.name);
      var bar = el("progress");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", "Upload of " + file.name);
      var prog = el("td", "prog");
      prog.appendChild(bar);
      var state = el("td", "state", "Waiting");
      row.appendChild(name);
      row.appendChild(el("td", "size", size(file.size)));
      row.appendChild(prog);
      row.appendChild(state);
      tbody.appendChild(row);
      waiting.push({ file: file, row: row, bar: bar, state: state, tries: 0 });
    });
    updateStatus();
    pump();
  }

  function updateStatus() {
    statusLine.textContent = finished + " of " + count + " file" + (count === 1 ? "" : "s") +
      " done" + (active ? ", " + active + " uploading" : "") + ".";
  }

  function pump() {
    while (active < LIMIT && waiting.length) {
      active += 1;
      send(waiting.shift());
    }
    updateStatus();
    if (!active && !waiting.length && count) showReport();
  }

  function settle(job, state, text) {
    job.row.setAttribute("data-state", state);
    job.state.textContent = text;
    job.bar.max = 100;
    job.bar.value = 100;
    finished += 1;
    active -= 1;
    pump();
  }

  function describe(answer, fileName) {
    var parts = [];
    if (answer.added) parts.push(answer.added + " added");
    (answer.duplicates || []).forEach(function (d) {
      parts.push((d.name !== fileName ? d.name + ": " : "") + "duplicate of " + (d.same_as || "an image in the set"));
    });
    (answer.rejected || []).forEach(function (r) {
      parts.push((r.name !== fileName ? r.name + ": " : "") + "rejected: " + r.reason);
    });
    if (!parts.length) parts.push("nothing to add");
    return parts.join("; ");
  }

  // The frame sampling chosen for videos (frame_rate or scene_threshold), as numbers.
  function sampling() {
    var chosen = {};
    ["frame_rate", "scene_threshold"].forEach(function (name) {
      var field = form.querySelector("[name=" + name + "]");
      if (field && field.value.trim() !== "") chosen[name] = Number(field.value);
    });
    return chosen;
  }

  function sendResumable(job) {
    job.row.setAttribute("data-state", "uploading");
    window.AquaCatUploads.send(job.file, {
      start: uploadsApi,
      csrf: csrf,
      completion: sampling(),
      withoutMetadata: Boolean((form.querySelector("[name=without_metadata]") || {}).checked),
      progress: function (loaded, text) {
        if (loaded !== null) {
          job.bar.max = job.file.size;
          job.bar.value = loaded;
          text += " " + Math.floor((100 * loaded) / job.file.size) + "%";
        }
        job.state.textContent = text;
      },
      ingest: function (done, total, text) {
        job.row.setAttribute("data-state", "processing");
        if (total) {
          job.bar.max = total;
          job.bar.value = done;
        } else {
          job.bar.removeAttribute("value"); // how many files an archive holds is not known
        }
        job.state.textContent = text;
      },
      done: function (answer) {
        merge(answer);
        var rejected = (answer.rejected || []).length && !answer.added;
        settle(job, rejected ? "rejected" : "done", describe(answer, job.file.name));
      },
      failed: function (reason) {
        report.total += 1;
        report.rejected.push({ name: job.file.name, reason: reason });
        settle(job, "error", "Failed: " + reason);
      }
    });
  }

  function send(job) {
    if (resumableFrom && uploadsApi && window.AquaCatUploads && job.file.size >= resumableFrom) {
      sendResumable(job);
      return;
    }
    var xhr = new XMLHttpRequest();
    var data = new FormData();
    data.append("files", job.file, job.file.name);
    var chosen = sampling();
    Object.keys(chosen).forEach(function (name) { data.append(name, String(chosen[name])); });
    xhr.open("POST", api);
    xhr.setRequestHeader("X-CSRFToken", csrf);
    xhr.setRequestHeader("Accept", "application/json");
    job.row.setAttribute("data-state", "uploading");
    job.state.textContent = "Uploading";
    xhr.upload.onprogress = function (event) {
      if (!event.lengthComputable) return;
      job.bar.max = event.total;
      job.bar.value = event.loaded;
      job.state.textContent = "Uploading " + Math.round((100 * event.loaded) / event.total) + "%";
    };
    xhr.upload.onload = function () {
      job.row.setAttribute("data-state", "processing");
      job.state.textContent = "Processing…";
    };
    xhr.onload = function () {
      var answer = null;
      try {
        answer = JSON.parse(xhr.responseText);
      } catch (error) {
        answer = null;
      }
      if ((xhr.status === 201 || xhr.status === 207) && answer) {
        merge(answer);
        var rejected = (answer.rejected || []).length && !answer.added;
        settle(job, rejected ? "rejected" : "done", describe(answer, job.file.name));
        return;
      }
      if (xhr.status === 429 && job.tries < 3) {
        job.tries += 1;
        var wait = parseInt(xhr.getResponseHeader("Retry-After"), 10) || 2;
        job.state.textContent = "Waiting to retry";
        setTimeout(function () { send(job); }, wait * 1000);
        return;
      }
      var reason = (answer && (answer.detail || answer.title)) || ("the server answered " + xhr.status);
      if (answer && answer.errors) reason = JSON.stringify(answer.errors);
      report.total += 1;
      report.rejected.push({ name: job.file.name, reason: reason });
      settle(job, "error", "Failed: " + reason);
    };
    xhr.onerror = function () {
      report.total += 1;
      report.rejected.push({ name: job.file.name, reason: "the upload was interrupted (network error)" });
      settle(job, "error", "Failed: network error");
    };
    xhr.send(data);
  }

  function merge(answer) {
    report.total += answer.total || 0;
    report.added += answer.added || 0;
    report.updated = report.updated.concat(answer.updated || []);
    report.duplicates = report.duplicates.concat(answer.duplicates || []);
    report.rejected = report.rejected.concat(answer.rejected || []);
    report.warnings = report.warnings.concat(answer.warnings || []);
  }

  function table(className, headings, rows) {
    var t = el("table", "report-table " + className);
    var head = el("thead");
    var tr = el("tr");
    headings.forEach(function (h) {
      var th = el("th", "", h);
      th.scope = "col";
      tr.appendChild(th);
    });
    head.appendChild(tr);
    t.appendChild(head);
    var body = el("tbody");
    rows.forEach(function (cells) {
      var row = el("tr");
      cells.forEach(function (c, i) {
        row.appendChild(el("td", i === 0 && className !== "problems" ? "file" : (className === "problems" && i === 2 ? "value" : ""), c));
      });
      body.appendChild(row);
    });
    t.appendChild(body);
    return t;
  }

  function problemCount(rejected) {
    return rejected.problems && rejected.problems.length ? rejected.problems.length + (rejected.more || 0) : 0;
  }

  function showReport() {
    var section = el("section", "report card");
    section.id = "report";
    section.setAttribute("aria-labelledby", "report-heading");
    var heading = el("h2", "", "Ingest report");
    heading.id = "report-heading";
    heading.tabIndex = -1;
    section.appendChild(heading);
    var line = el("p", "report-summary");
    [
      [report.added, "added", " added · "],
      [report.updated.length, "updated", " updated · "],
      [report.duplicates.length, "duplicates", report.duplicates.length === 1 ? " duplicate · " : " duplicates · "],
      [report.rejected.length, "rejected", " rejected "]
    ].forEach(function (part) {
      var strong = el("strong", "", String(part[0]));
      strong.setAttribute("data-count", part[1]);
      line.appendChild(strong);
      line.appendChild(document.createTextNode(part[2]));
    });
    line.appendChild(el("span", "muted", "(" + report.total + " file" + (report.total === 1 ? "" : "s") + " seen)"));
    section.appendChild(line);
    if (report.rejected.length) {
      section.appendChild(el("h3", "", "Rejected"));
      section.appendChild(table("rejected", ["File", "Reason"], report.rejected.map(function (r) {
        return [r.name, problemCount(r) ? problemCount(r) + " problem" + (problemCount(r) === 1 ? "" : "s") +
          ": nothing of this file, nor of the images it describes, was imported" : r.reason];
      })));
      // A refused sidecar: every problem, with its line, column and value.
      report.rejected.forEach(function (r, index) {
        if (!problemCount(r)) return;
        var title = el("h4", "", "Problems in ");
        title.id = "problems-" + (index + 1);
        title.appendChild(el("span", "file", r.name));
        section.appendChild(title);
        var scroll = el("div", "table-scroll");
        var problems = table("problems", ["Line", "Column", "Value", "Problem"], r.problems.map(function (p) {
          return [p.line === null || p.line === undefined ? "" : String(p.line), p.column || "",
            p.value === null || p.value === undefined ? "" : String(p.value), p.reason];
        }));
        problems.setAttribute("aria-labelledby", title.id);
        scroll.appendChild(problems);
        section.appendChild(scroll);
        if (r.more) {
          section.appendChild(el("p", "muted", "and " + r.more + " more problem" + (r.more === 1 ? "" : "s") + "."));
        }
      });
    }
    if (report.updated.length) {
      section.appendChild(el("h3", "", "Updated (already in the set, corrected by a sidecar)"));
      var updated = el("ul", "updated");
      report.updated.forEach(function (u) { updated.appendChild(el("li", "file", u.name)); });
      section.appendChild(updated);
    }
    if (report.duplicates.length) {
      section.appendChild(el("h3", "", "Duplicates (not added again)"));
      section.appendChild(table("duplicates", ["File", "Same content as"], report.duplicates.map(function (d) {
        return [d.name, d.same_as || "an image already in the set"];
      })));
    }
    if (report.warnings.length) {
      section.appendChild(el("h3", "", "Warnings"));
      var list = el("ul", "warnings");
      report.warnings.forEach(function (w) { list.appendChild(el("li", "", w)); });
      section.appendChild(list);
    }
    var links = document.getElementById("report-links");
    if (links) section.appendChild(links.content.cloneNode(true));
    slot.textContent = "";
    slot.appendChild(section);
    statusLine.textContent = "All " + count + " file" + (count === 1 ? "" : "s") + " done: " +
      report.added + " added, " + report.updated.length + " updated, " + report.duplicates.length + " duplicate" +
      (report.duplicates.length === 1 ? "" : "s") + ", " + report.rejected.length + " rejected.";
    form.setAttribute("data-done", String(count));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    addFiles(input.files);
    input.value = "";
  });
  input.addEventListener("change", function () {
    var files = Array.prototype.slice.call(input.files);
    input.value = "";
    addFiles(files);
  });
  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      zone.classList.add("over");
    });
  });
  ["dragleave", "dragend"].forEach(function (type) {
    zone.addEventListener(type, function () { zone.classList.remove("over"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer) addFiles(event.dataTransfer.files);
  });
})();
