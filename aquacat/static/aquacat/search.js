/* AquaCat search pages: small enhancements over plain GET forms. Without this
   script every control still works (the form submits, links page and clear).

   - submits leave out empty fields, so shared URLs stay short;
   - facet checkboxes, radios and the sort select apply at once;
   - suggestions for the query box (a <datalist> fed by the suggestions API);
   - the map: result footprints, the current area, and "Draw area";
   - "Previous page" through the browser's history;
   - filters fold away on narrow screens. */
(function () {
  "use strict";

  const form = document.getElementById("search-form") || document.querySelector("form.home-search");

  function submitClean(target) {
    const data = new FormData(target);
    const params = new URLSearchParams();
    for (const [name, value] of data.entries()) {
      const control = target.elements.namedItem(name);
      const fallback = control && control.dataset ? control.dataset.default : undefined;
      if (typeof value !== "string" || value.trim() === "" || value === fallback) continue;
      params.append(name, value.trim());
    }
    const action = target.getAttribute("action") || window.location.pathname;
    const query = params.toString();
    window.location.assign(query ? `${action}?${query}` : action);
  }

  if (form) {
    /* Back and forward show a page as its URL says, not as it was left (a box
       ticked just before leaving stays ticked in the browser's page cache). */
    window.addEventListener("pageshow", (event) => {
      if (event.persisted) form.reset();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      submitClean(form);
    });
    form.addEventListener("change", (event) => {
      const control = event.target;
      if (
        (control.matches("[data-facet] input[type=checkbox], [data-facet] input[type=radio]")) ||
        control.matches("[data-autosubmit]")
      ) {
        submitClean(form);
      }
    });
  }

  /* Suggestions: fetch completions of what is typed, at most every 150 ms. */
  const box = document.getElementById("search-q");
  const list = document.getElementById("search-suggestions");
  if (box && list && box.dataset.suggestUrl) {
    let timer = null;
    let last = "";
    box.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const prefix = box.value.trim();
        if (!prefix || prefix === last) return;
        last = prefix;
        const url = `${box.dataset.suggestUrl}?q=${encodeURIComponent(prefix)}&limit=8`;
        fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
          .then((response) => (response.ok ? response.json() : { suggestions: [] }))
          .then((data) => {
            if (box.value.trim() !== prefix) return;
            list.replaceChildren(
              ...(data.suggestions || []).map((text) => {
                const option = document.createElement("option");
                option.value = text;
                return option;
              })
            );
          })
          .catch(() => {});
      }, 150);
    });
  }

  /* Paging back: the browser's history knows the previous page's token. */
  const back = document.querySelector("[data-history-back]");
  if (back && window.history.length > 1 && document.referrer.startsWith(window.location.origin)) {
    back.hidden = false;
    back.addEventListener("click", () => window.history.back());
  }

  /* Filters fold away above the results on narrow screens. */
  const filters = document.querySelector("[data-filters]");
  if (filters) {
    const narrow = window.matchMedia("(max-width: 52rem)");
    if (narrow.matches) filters.open = false;
    narrow.addEventListener("change", () => {
      filters.open = !narrow.matches;
    });
  }

  /* The map. */
  const element = document.getElementById("search-map");
  if (!element || !window.AquaCatMap || !window.L) return;
  const read = (id) => {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  };
  const footprints = read("search-footprints") || [];
  const bbox = read("search-area-data");
  const drawButton = document.querySelector("[data-draw-area]");
  const drawHelp = document.querySelector("[data-draw-help]");
  const bboxInput = document.getElementById("search-bbox");

  window.AquaCatMap.create(element).then((map) => {
    const bounds = L.latLngBounds([]);
    footprints.forEach((item) => {
      const layer = window.AquaCatMap.footprint(map, item);
      if (!layer) return;
      const link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.title || "Open";
      layer.bindPopup(link);
      if (layer.getBounds) {
        bounds.extend(layer.getBounds());
        /* A marker at the centre keeps a small area visible and clickable. */
        L.circleMarker(layer.getBounds().getCenter(), {
          radius: 5, color: "#0b4f6c", weight: 2, fillColor: "#fff", fillOpacity: 1,
        }).bindPopup(link.cloneNode(true)).addTo(map);
      } else if (layer.getLatLng) {
        bounds.extend(layer.getLatLng());
      }
    });
    if (bbox) {
      const [w, s, e, n] = bbox;
      const area = L.rectangle([[s, w], [n, e]], {
        color: "#c2410c", weight: 2, dashArray: "6 4", fill: false, interactive: false,
      }).addTo(map);
      bounds.extend(area.getBounds());
    }
    if (bounds.isValid()) {
      map.fitBounds(bounds.pad(0.25), { maxZoom: 7, animate: false });
    }
    window.AquaCatSearch = { map };
    element.dataset.mapReady = "true";

    const viewButton = document.querySelector("[data-use-view]");
    if (viewButton && form && bboxInput) {
      /* The keyboard way to an area: Leaflet pans with the arrow keys and zooms
         with + and -, then the visible extent becomes the filter. */
      viewButton.hidden = false;
      viewButton.addEventListener("click", () => {
        bboxInput.value = window.AquaCatMap.clampBox(map.getBounds()).join(",");
        submitClean(form);
      });
    }

    if (drawButton && form && bboxInput) {
      drawButton.hidden = false;
      if (drawHelp) drawHelp.hidden = false;
      drawButton.addEventListener("click", () => {
        drawButton.setAttribute("aria-pressed", "true");
        drawButton.textContent = "Drag on the map…";
        window.AquaCatMap.drawBox(map, (box) => {
          drawButton.removeAttribute("aria-pressed");
          drawButton.textContent = "Draw area";
          bboxInput.value = box.join(",");
          submitClean(form);
        });
      });
    }
  });
})();
