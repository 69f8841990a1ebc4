/* AquaCat maps: Leaflet over an offline basemap of Natural Earth land polygons
   (world-atlas, vendored). No tiles are fetched from anywhere.

   AquaCatMap.create(element, options) -> Promise<L.Map>
     options.landUrl   URL of the world-atlas TopoJSON (data-land-url on the element)
   AquaCatMap.footprint(map, item) -> layer for {polygons:[ring, ...]} (an image's footprint,
     one ring a part), {polygon:[[lon,lat],...]}, {bbox:[w,s,e,n]} or {point:[lon,lat]}
   AquaCatMap.drawBox(map, onBox) -> starts drawing a rectangle with the mouse or
     keyboard-free shift-drag; calls onBox([w,s,e,n]) (rounded to 3 decimals). */
(function () {
  "use strict";
  let landPromise = null;

  function loadLand(url) {
    if (!landPromise) {
      landPromise = fetch(url)
        .then((response) => response.json())
        .then((topology) => topojson.feature(topology, topology.objects.land));
    }
    return landPromise;
  }

  function create(element, options) {
    options = options || {};
    const map = L.map(element, {
      worldCopyJump: false,
      maxBounds: [[-90, -360], [90, 360]],
      minZoom: 1,
      attributionControl: true,
      zoomSnap: 0.5,
    });
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Land: Natural Earth (public domain)");
    map.setView([20, 0], 1);
    element.style.background = "#cfe6f3";
    const landUrl = options.landUrl || element.dataset.landUrl;
    return loadLand(landUrl).then((land) => {
      // noClip: clipped land polygons would stroke the clip edge as a false coastline.
      L.geoJSON(land, {
        style: { color: "#8a9a7b", weight: 0.6, fillColor: "#eef0e6", fillOpacity: 1, noClip: true },
        interactive: false,
      }).addTo(map);
      // The container can change size after the map is made (fonts, layout, rotation).
      if (window.ResizeObserver) new ResizeObserver(() => map.invalidateSize()).observe(element);
      element.dataset.ready = "true";
      return map;
    });
  }

  function footprint(map, item, style) {
    style = Object.assign({ color: "#0b4f6c", weight: 2, fillOpacity: 0.15 }, style || {});
    let layer = null;
    if (item.polygons && item.polygons.length) {
      layer = L.polygon(joinedAtAntimeridian(item.polygons).map((ring) => [ring]), style);
    } else if (item.polygon && item.polygon.length > 3) {
      layer = L.polygon(item.polygon.map((p) => [p[1], p[0]]), style);
    } else if (item.bbox && item.bbox.every((v) => v !== null && v !== undefined)) {
      const [w, s, e, n] = item.bbox;
      if (w === e && s === n) {
        layer = L.circleMarker([s, w], Object.assign({ radius: 6 }, style));
      } else {
        layer = L.rectangle([[s, w], [n, e]], style);
      }
    } else if (item.point) {
      layer = L.circleMarker([item.point[1], item.point[0]], Object.assign({ radius: 5 }, style));
    }
    if (layer) layer.addTo(map);
    return layer;
  }

  /* A footprint split at the antimeridian has a part ending at 180 and one starting at
     -180: the western hemisphere's parts move by 360 degrees so the scene is drawn whole
     (the map spans -360 to 360) rather than at both edges of the world. */
  function joinedAtAntimeridian(rings) {
    const lons = (ring) => ring.map((p) => p[0]);
    const touches = (edge) => rings.some((ring) => lons(ring).includes(edge));
    const latLngs = (ring, shift) => ring.map((p) => [p[1], p[0] + shift]);
    if (rings.length < 2 || !touches(180) || !touches(-180)) {
      return rings.map((ring) => latLngs(ring, 0));
    }
    return rings.map((ring) => latLngs(ring, Math.max(...lons(ring)) <= 0 ? 360 : 0));
  }

  function round(value) {
    return Math.round(value * 1000) / 1000;
  }

  function clampBox(bounds) {
    const w = Math.max(-180, bounds.getWest());
    const e = Math.min(180, bounds.getEast());
    const s = Math.max(-90, bounds.getSouth());
    const n = Math.min(90, bounds.getNorth());
    return [round(w), round(s), round(e), round(n)];
  }

  /* One rectangle drawn by dragging; the map does not pan while drawing. */
  function drawBox(map, onBox) {
    const container = map.getContainer();
    container.classList.add("drawing");
    map.dragging.disable();
    let start = null;
    let rectangle = null;
    function down(event) {
      start = event.latlng;
      rectangle = L.rectangle([start, start], { color: "#d9480f", weight: 2 }).addTo(map);
    }
    function move(event) {
      if (start && rectangle) rectangle.setBounds(L.latLngBounds(start, event.latlng));
    }
    function up(event) {
      if (!start) return;
      const bounds = L.latLngBounds(start, event.latlng);
      map.off("mousedown", down).off("mousemove", move).off("mouseup", up);
      map.dragging.enable();
      container.classList.remove("drawing");
      if (rectangle) map.removeLayer(rectangle);
      start = null;
      onBox(clampBox(bounds));
    }
    map.on("mousedown", down).on("mousemove", move).on("mouseup", up);
  }

  window.AquaCatMap = { create, footprint, drawBox, clampBox };
})();
