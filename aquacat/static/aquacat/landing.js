/* A set's landing page: citation format switch and copy, coverage map, and the
   gallery's keyboard lightbox. The page works without this file (formats are
   links to the downloads, thumbnails link to the medium image); everything
   here sets text with textContent, never markup. */
(function () {
  "use strict";

  function readJson(id) {
    const node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (error) {
      return null;
    }
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* --- Citation: switch formats, copy the one shown ------------------------------- */
  function citation() {
    const section = document.querySelector("[data-citation]");
    if (!section) return;
    const links = Array.from(section.querySelectorAll("[data-format]"));
    const panels = Array.from(section.querySelectorAll("[data-panel]"));
    const copy = section.querySelector("[data-copy]");
    const status = section.querySelector("[data-copy-status]");
    let current = links.length ? links[0].dataset.format : null;
    let clearStatus = null;

    // The links become toggle buttons; their download stays one click away below.
    links.forEach((link) => {
      link.setAttribute("role", "button");
      link.setAttribute("aria-pressed", link.dataset.format === current ? "true" : "false");
      link.removeAttribute("aria-current");
      link.addEventListener("click", (event) => {
        event.preventDefault();
        show(link.dataset.format);
      });
      link.addEventListener("keydown", (event) => {
        if (event.key === " ") {
          event.preventDefault();
          show(link.dataset.format);
        }
      });
    });

    function show(format) {
      current = format;
      links.forEach((link) =>
        link.setAttribute("aria-pressed", link.dataset.format === format ? "true" : "false"),
      );
      panels.forEach((panel) => {
        panel.hidden = panel.dataset.panel !== format;
      });
      if (status) status.textContent = "";
    }

    function say(text) {
      if (!status) return;
      status.textContent = text;
      clearTimeout(clearStatus);
      clearStatus = setTimeout(() => {
        status.textContent = "";
      }, 4000);
    }

    function fallbackCopy(text) {
      const area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      let ok = false;
      try {
        ok = document.execCommand("copy");
      } catch (error) {
        ok = false;
      }
      area.remove();
      return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
    }

    if (copy) {
      copy.hidden = false;
      copy.addEventListener("click", () => {
        const panel = panels.find((p) => p.dataset.panel === current);
        const source = panel && panel.querySelector("[data-citation-text]");
        const text = source ? source.textContent.trim() : "";
        const label = links.find((l) => l.dataset.format === current);
        const name = label ? label.textContent.trim() : "Citation";
        const write =
          navigator.clipboard && window.isSecureContext
            ? navigator.clipboard.writeText(text).catch(() => fallbackCopy(text))
            : fallbackCopy(text);
        write.then(
          () => say("Copied " + name + " citation to the clipboard."),
          () => say("Could not copy: select the citation and copy it by hand."),
        );
      });
    }
  }

  /* --- Coverage map ------------------------------------------------------------------- */
  function coverageMap() {
    const element = document.getElementById("landing-map");
    const data = readJson("landing-map-data");
    if (!element || !data || !window.AquaCatMap || !window.L) return;
    window.AquaCatMap.create(element)
      .then((map) => {
        const bounds = L.latLngBounds([]);
        const area = window.AquaCatMap.footprint(map, {
          polygon: data.polygon,
          bbox: data.bbox,
        });
        if (area) {
          const b = area.getBounds ? area.getBounds() : L.latLngBounds([area.getLatLng()]);
          bounds.extend(b);
        }
        (data.points || []).forEach((point) => {
          const marker = L.circleMarker([point[1], point[0]], {
            radius: 4,
            color: "#9a3412",
            weight: 1,
            fillColor: "#ea580c",
            fillOpacity: 0.85,
            interactive: false,
          }).addTo(map);
          marker.getElement && marker.getElement() && marker.getElement().classList.add("image-point");
          bounds.extend(marker.getLatLng());
        });
        if (bounds.isValid()) {
          // Zoomed out enough to show the coast the set lies off.
          map.fitBounds(bounds.pad(0.6), { maxZoom: 6 });
        }
        element.dataset.footprint = area ? "true" : "false";
      })
      .catch(() => {
        element.textContent = "The map could not be drawn.";
      });
  }

  /* --- Gallery lightbox ---------------------------------------------------------------- */
  function fmtNumber(value, digits) {
    return Number(value).toFixed(digits).replace(/\.?0+$/, "");
  }

  function fmtTime(iso) {
    if (!iso) return null;
    const date = new Date(iso);
    if (isNaN(date.getTime())) return iso;
    return date.toISOString().replace("T", " ").replace(/(\.000)?Z$/, " UTC");
  }

  function fmtPosition(item) {
    if (item.latitude === null || item.longitude === null) return null;
    const lat = item.latitude, lon = item.longitude;
    return (
      fmtNumber(Math.abs(lat), 5) + "° " + (lat >= 0 ? "N" : "S") + ", " +
      fmtNumber(Math.abs(lon), 5) + "° " + (lon >= 0 ? "E" : "W")
    );
  }

  function fmtSize(bytes) {
    if (!bytes && bytes !== 0) return null;
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return fmtNumber(bytes / 1024, 1) + " KiB";
    return fmtNumber(bytes / 1024 / 1024, 1) + " MiB";
  }

  function lightbox() {
    const dialog = document.getElementById("lightbox");
    const items = readJson("landing-gallery-data") || [];
    const thumbs = Array.from(document.querySelectorAll("[data-gallery] .thumb"));
    if (!dialog || !items.length || !thumbs.length || typeof dialog.showModal !== "function") return;
    const title = dialog.querySelector(".lb-title");
    const count = dialog.querySelector(".lb-count");
    const image = dialog.querySelector(".lb-image");
    const boxes = dialog.querySelector(".lb-boxes");
    const caption = dialog.querySelector(".lb-caption");
    const facts = dialog.querySelector(".lb-facts");
    const annotations = dialog.querySelector(".lb-annotations");
    const predictions = dialog.querySelector(".lb-predictions");
    const exif = dialog.querySelector(".lb-exif");
    const original = dialog.querySelector(".lb-original");
    const similar = dialog.querySelector(".lb-similar");
    const prev = dialog.querySelector("[data-lb-prev]");
    const next = dialog.querySelector("[data-lb-next]");
    let index = 0;

    function addFact(dl, term, value) {
      if (value === null || value === undefined || value === "") return;
      dl.append(el("dt", null, term), el("dd", null, value));
    }

    function drawBox(box, label, kind) {
      if (!box) return;
      const frame = el("div", "lb-box " + kind);
      frame.style.left = box[0] + "%";
      frame.style.top = box[1] + "%";
      frame.style.width = Math.max(box[2], 0.5) + "%";
      frame.style.height = Math.max(box[3], 0.5) + "%";
      frame.append(el("span", "lb-box-label", label));
      boxes.append(frame);
    }

    function render() {
      const item = items[index];
      title.textContent = item.name;
      count.textContent = "Image " + (index + 1) + " of " + items.length;
      image.src = item.medium || item.original;
      image.width = item.width;
      image.height = item.height;
      image.alt = item.annotations.length
        ? item.name + ": " + item.annotations.map((a) => a.label).join(", ")
        : item.name;
      original.href = item.original;
      similar.href = item.similar;
      original.textContent = "Original file (" + item.width + " × " + item.height + " px, " +
        (fmtSize(item.size) || item.media_type) + ")";
      boxes.replaceChildren();
      caption.replaceChildren();
      facts.replaceChildren();
      annotations.replaceChildren();
      predictions.replaceChildren();
      exif.replaceChildren();

      const whole = item.annotations.filter((a) => !a.box).map((a) => a.label);
      if (whole.length) {
        caption.append(el("span", "lb-caption-label", "Annotated: "), el("strong", null, whole.join(", ")));
      } else if (!item.annotations.length) {
        caption.append(el("span", "muted", "No curated annotation"));
      }
      item.annotations.forEach((a) => drawBox(a.box, a.label, "annotation"));
      item.predictions.forEach((p) =>
        drawBox(p.box, p.label + (p.confidence !== null ? " " + Math.round(p.confidence * 100) + "%" : ""), "prediction"),
      );

      addFact(facts, "File", item.path);
      addFact(facts, "Taken", fmtTime(item.time));
      addFact(facts, "Position", fmtPosition(item));
      addFact(facts, "Depth", item.depth !== null ? fmtNumber(item.depth, 2) + " m" : null);
      (item.raster || []).forEach((row) => addFact(facts, row[0], row[1]));

      if (item.annotations.length) {
        annotations.append(el("h3", null, "Annotations"));
        const list = el("ul", "lb-list");
        item.annotations.forEach((a) => {
          const li = el("li");
          li.append(el("strong", null, a.label));
          const bits = [];
          if (a.status) bits.push(a.status);
          if (a.by) bits.push("by " + a.by);
          if (a.confidence !== undefined) bits.push(Math.round(a.confidence * 100) + "%");
          bits.push(a.box ? "box" : "whole image");
          li.append(el("span", "muted", " · " + bits.join(" · ")));
          list.append(li);
        });
        annotations.append(list);
      }
      if (item.predictions.length) {
        predictions.append(el("h3", null, "Model predictions"));
        const list = el("ul", "lb-list");
        item.predictions.forEach((p) => {
          const li = el("li");
          li.append(el("strong", null, p.label));
          if (p.confidence !== null) li.append(el("span", null, " " + Math.round(p.confidence * 1000) / 10 + "%"));
          li.append(el("span", "muted", " · "));
          if (p.card) {
            const link = el("a", null, p.model + " " + p.version);
            link.href = p.card;
            li.append(link);
          } else {
            li.append(el("span", "muted", p.model + " " + p.version));
          }
          if (p.status) li.append(el("span", "muted", " · " + p.status));
          list.append(li);
        });
        predictions.append(list);
      }
      if (item.exif.length) {
        exif.append(el("h3", null, "EXIF"));
        const dl = el("dl", "facts");
        item.exif.forEach((row) => addFact(dl, row[0], row[1]));
        exif.append(dl);
      }
      prev.disabled = index === 0;
      next.disabled = index === items.length - 1;
    }

    /* Fit the image to the space it has: small FlowCam crops (50 px) are scaled up
       (at most 8x), big photographs down; the annotation boxes scale with it. */
    function fit() {
      const item = items[index];
      if (!dialog.open || !item || !item.width || !item.height) return;
      const figure = dialog.querySelector(".lb-figure");
      const room = figure.clientWidth || 600;
      const tall = window.innerWidth <= 512 ? 0.55 : 0.7;
      const scale = Math.min(room / item.width, (window.innerHeight * tall) / item.height, 8);
      image.style.width = Math.max(1, Math.floor(item.width * scale)) + "px";
    }

    function open(at) {
      index = at;
      if (!dialog.open) dialog.showModal();
      render();
      fit();
      dialog.querySelector("[data-lb-close]").focus();
    }

    function move(step) {
      const to = index + step;
      if (to < 0 || to >= items.length) return;
      index = to;
      render();
      fit();
    }

    thumbs.forEach((thumb) => {
      thumb.addEventListener("click", (event) => {
        event.preventDefault();
        open(Number(thumb.dataset.index));
      });
    });
    window.addEventListener("resize", fit);
    prev.addEventListener("click", () => move(-1));
    next.addEventListener("click", () => move(1));
    // Focus goes back to the thumbnail of the image last shown, so the keyboard
    // user carries on from where the lightbox left them. It is set right after
    // close(), which itself restores focus to the thumbnail that opened the dialog.
    function backToGallery() {
      const thumb = thumbs[index];
      if (thumb && document.activeElement !== thumb) thumb.focus();
    }

    function shut() {
      if (dialog.open) dialog.close();
      backToGallery();
    }

    dialog.querySelector("[data-lb-close]").addEventListener("click", shut);
    dialog.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        shut();
      } else if (event.key === "ArrowRight") {
        event.preventDefault();
        move(1);
      } else if (event.key === "ArrowLeft") {
        event.preventDefault();
        move(-1);
      }
    });
    // A click on the backdrop (the dialog itself, outside its content) closes it.
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) shut();
    });
    // A close by other means (the browser's own Escape handling) ends the same way.
    dialog.addEventListener("close", () => {
      image.removeAttribute("src");
      backToGallery();
    });
  }

  function start() {
    citation();
    coverageMap();
    lightbox();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
