/* The annotation editor: one image in an SVG whose viewBox is the image's pixel
   grid, so a shape's coordinates are its SVG coordinates. Zoom and pan change the
   viewBox; points, boxes and polygons are drawn, moved and resized with the
   mouse, and every change is saved at once through the API (POST, PATCH with the
   revision seen, DELETE), one request after the other. */
import { call, problemText, labelIndex, typing } from "./api.js";

const config = JSON.parse(document.getElementById("annotate-config").textContent);
const svg = document.getElementById("stage");
const layers = {
  shapes: document.getElementById("shapes"),
  handles: document.getElementById("handles"),
  draft: document.getElementById("draft"),
};
const list = document.getElementById("annotation-list");
const statusLine = document.getElementById("editor-status");
const labelInput = document.getElementById("label-input");
const labels = labelIndex(config.labels);
const SVG_NS = "http://www.w3.org/2000/svg";
const W = config.width;
const H = config.height;
const EDITABLE = new Set(["point", "box", "polygon"]);
const TOOL_KEYS = { s: "select", p: "point", b: "box", o: "polygon" };
const SHAPE_NAMES = { whole: "whole image", point: "point", circle: "circle", box: "box", rotated_box: "rotated box", polygon: "polygon", line: "line" };

let annotations = [];
let selectedId = null;
let tool = "select";
let view = { x: 0, y: 0, w: W, h: H };
let gesture = null; // the drag in progress: {kind, ...}
let polygon = []; // the corners of the polygon being drawn
let spaceHeld = false;
let queue = Promise.resolve();

function say(message) {
  statusLine.textContent = message;
}

/* --- coordinates and view ----------------------------------------------------------- */

function toImage(event) {
  const point = svg.createSVGPoint();
  point.x = event.clientX;
  point.y = event.clientY;
  return point.matrixTransform(svg.getScreenCTM().inverse());
}

/* Image pixels per screen pixel (the viewBox is fitted whole: "meet"). */
function unit() {
  const box = svg.getBoundingClientRect();
  return Math.max(view.w / (box.width || 1), view.h / (box.height || 1));
}

function clampX(x) {
  return Math.round(Math.min(W, Math.max(0, x)) * 10) / 10;
}

function clampY(y) {
  return Math.round(Math.min(H, Math.max(0, y)) * 10) / 10;
}

function setView(next) {
  const w = Math.min(W * 4, Math.max(Math.min(W, H) / 64, next.w));
  const h = (w / view.w) * view.h;
  view = { x: next.x, y: next.y, w, h };
  svg.setAttribute("viewBox", `${view.x} ${view.y} ${view.w} ${view.h}`);
  render();
}

function zoom(factor, centre) {
  const c = centre || { x: view.x + view.w / 2, y: view.y + view.h / 2 };
  const w = view.w * factor;
  const real = Math.min(W * 4, Math.max(Math.min(W, H) / 64, w)) / view.w;
  setView({ x: c.x - (c.x - view.x) * real, y: c.y - (c.y - view.y) * real, w: view.w * real });
}

function fit() {
  view = { x: 0, y: 0, w: W, h: H };
  setView(view);
}

/* --- drawing the annotations -------------------------------------------------------- */

function element(name, attributes, parent) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  parent.append(node);
  return node;
}

function colourOf(item) {
  return (item.label && item.label.colour) || "#1f77b4";
}

function drawShape(item) {
  const { type, coordinates: c } = item.geometry;
  const colour = colourOf(item);
  const common = { "data-id": item.id, stroke: colour, fill: colour, class: `shape${item.id === selectedId ? " selected" : ""}` };
  if (type === "box") {
    return element("rect", { ...common, x: c[0], y: c[1], width: c[2] - c[0], height: c[3] - c[1] }, layers.shapes);
  }
  if (type === "polygon" || type === "line") {
    const points = c.map((p) => p.join(",")).join(" ");
    return element(type === "polygon" ? "polygon" : "polyline", { ...common, points }, layers.shapes);
  }
  if (type === "circle") return element("circle", { ...common, cx: c[0], cy: c[1], r: c[2] }, layers.shapes);
  if (type === "rotated_box") {
    return element("rect", { ...common, x: c[0] - c[2] / 2, y: c[1] - c[3] / 2, width: c[2], height: c[3], transform: `rotate(${c[4]} ${c[0]} ${c[1]})` }, layers.shapes);
  }
  if (type === "point") {
    const r = 6 * unit();
    return element("circle", { ...common, class: `point${item.id === selectedId ? " selected" : ""}`, cx: c[0], cy: c[1], r, "fill-opacity": 1 }, layers.shapes);
  }
  return null; // the whole image: listed, not drawn
}

function handlesOf(item) {
  const c = item.geometry.coordinates;
  if (item.geometry.type === "box") {
    const [x0, y0, x1, y1] = c;
    const mx = (x0 + x1) / 2;
    const my = (y0 + y1) / 2;
    return [["nw", x0, y0], ["n", mx, y0], ["ne", x1, y0], ["e", x1, my], ["se", x1, y1], ["s", mx, y1], ["sw", x0, y1], ["w", x0, my]];
  }
  if (item.geometry.type === "polygon") return c.map((p, i) => [`v${i}`, p[0], p[1]]);
  return [];
}

function render() {
  for (const layer of Object.values(layers)) layer.replaceChildren();
  for (const item of annotations) drawShape(item);
  const chosen = selected();
  if (chosen && !config.readonly) {
    const size = 9 * unit();
    for (const [name, x, y] of handlesOf(chosen)) {
      element("rect", { class: "handle", "data-handle": name, x: x - size / 2, y: y - size / 2, width: size, height: size }, layers.handles);
    }
  }
  if (polygon.length) {
    const points = polygon.map((p) => `${p.x},${p.y}`).join(" ");
    element("polyline", { class: "draft", points }, layers.draft);
  }
  if (gesture && gesture.kind === "box-draw") {
    const [x0, y0, x1, y1] = ordered(gesture.start, gesture.now);
    element("rect", { class: "draft", x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, layers.draft);
  }
}

function describe(item) {
  const kind = SHAPE_NAMES[item.geometry.type] || item.geometry.type;
  const confidence = item.confidence === null || item.confidence === undefined ? "" : `, ${Math.round(item.confidence * 100)}%`;
  return `${item.label.name}: ${kind}, ${item.status}${confidence}`;
}

function renderList() {
  list.replaceChildren();
  if (!annotations.length) {
    const empty = document.createElement("li");
    empty.className = "muted";
    empty.textContent = "None yet.";
    list.append(empty);
  }
  for (const item of annotations) {
    const row = document.createElement("li");
    row.className = item.id === selectedId ? "selected" : "";
    row.dataset.id = item.id;
    const pick = document.createElement("button");
    pick.type = "button";
    pick.className = "pick";
    pick.setAttribute("aria-pressed", item.id === selectedId ? "true" : "false");
    pick.innerHTML = '<span class="swatch" aria-hidden="true"></span><span class="what"></span>';
    pick.querySelector(".swatch").style.background = colourOf(item);
    pick.querySelector(".what").textContent = describe(item);
    pick.addEventListener("click", () => select(item.id));
    row.append(pick);
    if (!config.readonly) {
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "danger small";
      remove.textContent = "Delete";
      remove.setAttribute("aria-label", `Delete ${describe(item)}`);
      remove.addEventListener("click", () => destroy(item));
      row.append(remove);
    }
    list.append(row);
  }
}

function refresh() {
  render();
  renderList();
}

function selected() {
  return annotations.find((item) => item.id === selectedId) || null;
}

function select(id) {
  selectedId = id;
  refresh();
  const item = selected();
  if (item) say(`Selected ${describe(item)}.`);
}

/* --- saving (one request at a time, so each carries the revision the last one left) -- */

function later(work) {
  queue = queue.then(work, work);
  return queue;
}

async function load() {
  const found = [];
  let url = `${config.api.annotations}?${new URLSearchParams({ image: config.image, page_size: 200 })}`;
  while (url) {
    const answer = await call("GET", url);
    if (!answer.ok) {
      say(`The annotations could not be loaded: ${problemText(answer.data)}`);
      return;
    }
    found.push(...answer.data.results);
    url = answer.data.next;
  }
  annotations = found;
  if (!annotations.some((item) => item.id === selectedId)) selectedId = null;
  refresh();
  svg.dataset.loaded = String(annotations.length);
}

function replace(item) {
  annotations = annotations.map((old) => (old.id === item.id ? item : old));
  refresh();
}

async function refused(answer, what) {
  const reason = problemText(answer.data);
  await load();
  say(answer.status === 409 ? `${what} refused: it changed meanwhile; showing it as it is now. ${reason}` : `${what} refused: ${reason}`);
}

function currentLabel() {
  const name = labelInput ? labelInput.value.trim().toLowerCase() : "";
  return labels.byName.get(name) || null;
}

function create(type, coordinates) {
  const label = currentLabel();
  if (!label) {
    say("Choose a label first: type its name in Label, or press its key.");
    return;
  }
  later(async () => {
    const body = { image: config.image, label: label.id, geometry: { type, coordinates } };
    const answer = await call("POST", config.api.annotations, body);
    if (!answer.ok) return refused(answer, `The new ${type}`);
    annotations.push(answer.data);
    selectedId = answer.data.id;
    refresh();
    svg.dataset.saved = String(Number(svg.dataset.saved || 0) + 1);
    say(`Saved a ${SHAPE_NAMES[type]} labelled ${label.name}.`);
  });
}

function change(item, changes, what) {
  later(async () => {
    const current = annotations.find((old) => old.id === item.id) || item;
    const answer = await call("PATCH", `${config.api.annotations}${item.id}/`, { ...changes, revision: current.revision });
    if (!answer.ok) return refused(answer, what);
    replace(answer.data);
    svg.dataset.saved = String(Number(svg.dataset.saved || 0) + 1);
    say(`${what}: saved.`);
  });
}

function destroy(item) {
  later(async () => {
    const current = annotations.find((old) => old.id === item.id);
    if (!current) return;
    const answer = await call("DELETE", `${config.api.annotations}${item.id}/?revision=${current.revision}`);
    if (!answer.ok) return refused(answer, "Deleting");
    annotations = annotations.filter((old) => old.id !== item.id);
    if (selectedId === item.id) selectedId = null;
    refresh();
    say(`Deleted ${describe(current)}.`);
    svg.focus();
  });
}

/* --- geometry edits ----------------------------------------------------------------- */

function ordered(a, b) {
  return [clampX(Math.min(a.x, b.x)), clampY(Math.min(a.y, b.y)), clampX(Math.max(a.x, b.x)), clampY(Math.max(a.y, b.y))];
}

function moved(geometry, dx, dy) {
  const c = geometry.coordinates;
  if (geometry.type === "point") return [clampX(c[0] + dx), clampY(c[1] + dy)];
  if (geometry.type === "box") {
    // The whole box moves, stopped at the image's edges.
    const ddx = Math.min(W - c[2], Math.max(-c[0], dx));
    const ddy = Math.min(H - c[3], Math.max(-c[1], dy));
    return [c[0] + ddx, c[1] + ddy, c[2] + ddx, c[3] + ddy].map((v) => Math.round(v * 10) / 10);
  }
  const xs = c.map((p) => p[0]);
  const ys = c.map((p) => p[1]);
  const ddx = Math.min(W - Math.max(...xs), Math.max(-Math.min(...xs), dx));
  const ddy = Math.min(H - Math.max(...ys), Math.max(-Math.min(...ys), dy));
  return c.map((p) => [Math.round((p[0] + ddx) * 10) / 10, Math.round((p[1] + ddy) * 10) / 10]);
}

function resized(geometry, handle, to) {
  const c = geometry.coordinates;
  if (geometry.type === "polygon") {
    const index = Number(handle.slice(1));
    return c.map((p, i) => (i === index ? [clampX(to.x), clampY(to.y)] : p));
  }
  let [x0, y0, x1, y1] = c;
  if (handle.includes("w")) x0 = to.x;
  if (handle.includes("e")) x1 = to.x;
  if (handle.includes("n")) y0 = to.y;
  if (handle.includes("s")) y1 = to.y;
  return ordered({ x: x0, y: y0 }, { x: x1, y: y1 });
}

/* --- the mouse ---------------------------------------------------------------------- */

function setTool(name) {
  tool = name;
  const radio = document.getElementById(`tool-${name}`);
  if (radio) radio.checked = true;
  polygon = [];
  svg.classList.toggle("drawing", name !== "select");
  render();
}

document.querySelectorAll("input[name=tool]").forEach((radio) => {
  radio.addEventListener("change", () => setTool(radio.value));
});

svg.addEventListener("pointerdown", (event) => {
  svg.focus({ preventScroll: true });
  const at = toImage(event);
  if (event.button === 1 || (event.button === 0 && spaceHeld)) {
    event.preventDefault();
    gesture = { kind: "pan", start: at };
    svg.classList.add("panning");
    svg.setPointerCapture(event.pointerId);
    return;
  }
  if (event.button !== 0) return;
  if (config.readonly || tool === "select") {
    const handle = event.target.dataset && event.target.dataset.handle;
    const id = event.target.dataset && event.target.dataset.id;
    if (handle && selected()) {
      gesture = { kind: "resize", handle, item: selected(), original: selected().geometry };
    } else if (id) {
      select(Number(id));
      const item = selected();
      gesture = config.readonly || !EDITABLE.has(item.geometry.type) ? { kind: "pan", start: at } : { kind: "move", start: at, item, original: item.geometry };
    } else {
      if (selectedId !== null) select(null);
      gesture = { kind: "pan", start: at };
    }
    svg.setPointerCapture(event.pointerId);
    return;
  }
  if (tool === "point") {
    create("point", [clampX(at.x), clampY(at.y)]);
  } else if (tool === "box") {
    gesture = { kind: "box-draw", start: at, now: at };
    svg.setPointerCapture(event.pointerId);
  } else if (tool === "polygon") {
    const last = polygon[polygon.length - 1];
    // A double-click's second press lands on the corner just added: one corner.
    if (!last || Math.hypot(last.x - at.x, last.y - at.y) > 3 * unit()) polygon.push({ x: clampX(at.x), y: clampY(at.y) });
    render();
  }
});

svg.addEventListener("pointermove", (event) => {
  if (!gesture) {
    if (polygon.length) {
      render();
      const at = toImage(event);
      const last = polygon[polygon.length - 1];
      element("line", { class: "draft", x1: last.x, y1: last.y, x2: at.x, y2: at.y }, layers.draft);
    }
    return;
  }
  const at = toImage(event);
  if (gesture.kind === "pan") {
    setView({ x: view.x - (at.x - gesture.start.x), y: view.y - (at.y - gesture.start.y), w: view.w });
  } else if (gesture.kind === "box-draw") {
    gesture.now = at;
    render();
  } else if (gesture.kind === "move") {
    const geometry = { ...gesture.original, coordinates: moved(gesture.original, at.x - gesture.start.x, at.y - gesture.start.y) };
    gesture.changed = true;
    annotations = annotations.map((item) => (item.id === gesture.item.id ? { ...item, geometry } : item));
    render();
  } else if (gesture.kind === "resize") {
    const geometry = { ...gesture.original, coordinates: resized(gesture.original, gesture.handle, at) };
    gesture.changed = true;
    annotations = annotations.map((item) => (item.id === gesture.item.id ? { ...item, geometry } : item));
    render();
  }
});

function finish(event) {
  const done = gesture;
  gesture = null;
  svg.classList.remove("panning");
  if (!done) return;
  if (svg.hasPointerCapture(event.pointerId)) svg.releasePointerCapture(event.pointerId);
  if (done.kind === "box-draw") {
    const [x0, y0, x1, y1] = ordered(done.start, toImage(event));
    render();
    if (x1 - x0 < 2 * unit() || y1 - y0 < 2 * unit()) {
      say("Drag to draw a box.");
      return;
    }
    create("box", [x0, y0, x1, y1]);
  } else if ((done.kind === "move" || done.kind === "resize") && done.changed) {
    const item = selected();
    const box = item.geometry;
    if (box.type === "box" && (box.coordinates[2] - box.coordinates[0] <= 0 || box.coordinates[3] - box.coordinates[1] <= 0)) {
      load();
      say("A box needs a width and a height.");
      return;
    }
    change(item, { geometry: item.geometry }, done.kind === "move" ? "Moved" : "Resized");
  }
}

svg.addEventListener("pointerup", finish);
svg.addEventListener("pointercancel", finish);
svg.addEventListener("dblclick", (event) => {
  event.preventDefault();
  if (tool === "polygon") closePolygon();
});
svg.addEventListener("auxclick", (event) => event.preventDefault());
svg.addEventListener(
  "wheel",
  (event) => {
    event.preventDefault();
    zoom(event.deltaY < 0 ? 1 / 1.2 : 1.2, toImage(event));
  },
  { passive: false },
);

function closePolygon() {
  if (polygon.length < 3) {
    say("A polygon needs three corners or more.");
    return;
  }
  const coordinates = polygon.map((p) => [p.x, p.y]);
  polygon = [];
  render();
  create("polygon", coordinates);
}

/* --- keys --------------------------------------------------------------------------- */

function nudge(dx, dy) {
  const item = selected();
  if (!item || config.readonly || !EDITABLE.has(item.geometry.type)) return;
  const geometry = { ...item.geometry, coordinates: moved(item.geometry, dx, dy) };
  replace({ ...item, geometry });
  change(item, { geometry }, "Moved");
}

function relabel(label) {
  if (labelInput) labelInput.value = label.name;
  const item = selected();
  if (item && !config.readonly && item.label.id !== label.id) {
    change(item, { label: label.id }, `Relabelled as ${label.name}`);
  } else {
    say(`New shapes are labelled ${label.name}.`);
  }
}

if (labelInput) {
  labelInput.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const label = currentLabel();
    if (!label) say(`No label named “${labelInput.value.trim()}” in this set's label set.`);
    else relabel(label);
  });
}

document.addEventListener("keyup", (event) => {
  if (event.key === " ") spaceHeld = false;
});

document.addEventListener("keydown", (event) => {
  if (typing(event)) return;
  if (event.key === " ") {
    if (document.activeElement === svg) event.preventDefault();
    spaceHeld = true;
    return;
  }
  if (event.ctrlKey || event.metaKey) return;
  const key = event.altKey && /^(Key|Digit)/.test(event.code) ? event.code.slice(-1).toLowerCase() : event.key.toLowerCase();
  const steps = { arrowleft: [-1, 0], arrowright: [1, 0], arrowup: [0, -1], arrowdown: [0, 1] };
  if (key === "escape") {
    if (polygon.length) {
      polygon = [];
      render();
      say("Polygon dropped.");
    } else {
      setTool("select");
      select(null);
    }
  } else if (key === "enter" && polygon.length) {
    event.preventDefault();
    closePolygon();
  } else if ((key === "delete" || key === "backspace") && selected() && !config.readonly) {
    event.preventDefault();
    destroy(selected());
  } else if (key in steps && document.activeElement === svg && selected()) {
    event.preventDefault();
    const step = (event.shiftKey ? 10 : 1) * Math.max(1, unit());
    nudge(steps[key][0] * step, steps[key][1] * step);
  } else if (key === "+" || key === "=") {
    zoom(1 / 1.25);
  } else if (key === "-") {
    zoom(1.25);
  } else if (key === "0") {
    fit();
  } else if (!event.altKey && key in TOOL_KEYS && !config.readonly) {
    setTool(TOOL_KEYS[key]);
  } else if (labels.byKey.has(key)) {
    event.preventDefault();
    relabel(labels.byKey.get(key));
  }
});

document.getElementById("zoom-in").addEventListener("click", () => zoom(1 / 1.25));
document.getElementById("zoom-out").addEventListener("click", () => zoom(1.25));
document.getElementById("zoom-fit").addEventListener("click", fit);
window.addEventListener("resize", render);

load();
