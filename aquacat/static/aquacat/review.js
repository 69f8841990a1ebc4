/* The review grid: crops of a set's annotations, loaded page by page from the API
   as the reviewer scrolls; selection with the mouse (click, Ctrl/Shift-click) and
   the keyboard (arrows, Shift+arrows, Space); validate, dubious, reject and
   relabel through POST /api/v1/annotations/review/, undo through .../undo/.

   The listbox keeps the keyboard focus and names the tile in focus with
   aria-activedescendant; what happened is said in the status line. */
import { call, problemText, labelIndex, typing } from "./api.js";

const config = JSON.parse(document.getElementById("review-config").textContent);
const grid = document.getElementById("review-grid");
const statusLine = document.getElementById("review-status");
const end = document.getElementById("grid-end");
const tools = document.getElementById("review-tools");
const selectedCount = document.getElementById("selected-count");
const undoButton = document.getElementById("undo-button");
const relabelInput = document.getElementById("relabel-input");
const editorLink = document.getElementById("open-editor");
const labels = labelIndex(config.labels);
const labelById = new Map(config.labels.map((label) => [label.id, label]));

const PAGE_SIZE = 300;
const ACTIONS = { v: "validate", d: "dubious", r: "reject" };
const DONE = { validate: "Validated", dubious: "Marked dubious", reject: "Rejected", relabel: "Relabelled" };
const STATUS_NAMES = { predicted: "predicted", validated: "validated", dubious: "dubious", rejected: "rejected" };

const tiles = []; // {item, element}, in the order shown
const byId = new Map();
const selected = new Set();
const undoStack = []; // [{events, before: [{id, status, label, revision}], what}]
let focusIndex = -1;
let anchor = -1;
let nextUrl = `${config.api.annotations}?${new URLSearchParams({ ...config.query, page_size: PAGE_SIZE })}`;
let loading = false;
let queue = Promise.resolve();
let pending = 0;
let reviewed = false; // once the reviewer acts, loading says nothing over their results

function say(message) {
  statusLine.textContent = message;
}

function report(message) {
  reviewed = true;
  say(message);
}

/* --- loading ------------------------------------------------------------------------ */

function percent(confidence) {
  return confidence === null || confidence === undefined ? "" : `${Math.round(confidence * 100)}%`;
}

function paint(tile) {
  const { item, element } = tile;
  element.className = `tile status-${item.status}`;
  element.querySelector(".tile-label").textContent = item.label.name;
  element.querySelector(".tile-label").style.borderColor = item.label.colour || "#1f77b4";
  element.querySelector(".tile-status").textContent = STATUS_NAMES[item.status] || item.status;
  element.setAttribute("aria-selected", selected.has(item.id) ? "true" : "false");
  if (tiles[focusIndex] === tile) element.classList.add("focused");
}

function addTile(item) {
  const element = document.createElement("li");
  element.id = `annotation-${item.id}`;
  element.setAttribute("role", "option");
  element.dataset.id = item.id;
  const image = document.createElement("img");
  image.alt = "";
  image.loading = "lazy";
  image.decoding = "async";
  image.src = item.crop;
  const caption = document.createElement("span");
  caption.className = "tile-caption";
  caption.innerHTML = '<span class="tile-label"></span> <span class="tile-confidence"></span> <span class="tile-status"></span>';
  caption.querySelector(".tile-confidence").textContent = percent(item.confidence);
  element.append(image, caption);
  const tile = { item, element };
  tiles.push(tile);
  byId.set(item.id, tile);
  paint(tile);
  grid.append(element);
}

async function loadMore() {
  if (loading || !nextUrl) return;
  loading = true;
  end.textContent = "Loading…";
  const answer = await call("GET", nextUrl);
  loading = false;
  if (!answer.ok) {
    nextUrl = null;
    end.textContent = "";
    say(`The annotations could not be loaded: ${problemText(answer.data)}`);
    return;
  }
  const fresh = answer.data.results.filter((item) => !byId.has(item.id));
  fresh.forEach(addTile);
  nextUrl = answer.data.next;
  end.textContent = nextUrl ? "More load as you scroll." : "";
  if (!tiles.length) say("No annotations match these filters.");
  else if (!reviewed) say(`${tiles.length} annotation(s) shown${nextUrl ? ", more as you scroll" : ""}.`);
  grid.dataset.loaded = String(tiles.length);
  // The end marker may still be in view after a short page: keep loading.
  if (nextUrl && inView(end)) loadMore();
}

function inView(element) {
  const box = element.getBoundingClientRect();
  return box.top < window.innerHeight + 400 && box.bottom > -400;
}

new IntersectionObserver(
  (entries) => {
    if (entries.some((entry) => entry.isIntersecting)) loadMore();
  },
  { rootMargin: "400px 0px" },
).observe(end);

/* --- focus and selection ------------------------------------------------------------ */

function setFocus(index) {
  if (!tiles.length) return;
  index = Math.max(0, Math.min(tiles.length - 1, index));
  if (tiles[focusIndex]) tiles[focusIndex].element.classList.remove("focused");
  focusIndex = index;
  const tile = tiles[index];
  tile.element.classList.add("focused");
  grid.setAttribute("aria-activedescendant", tile.element.id);
  tile.element.scrollIntoView({ block: "nearest" });
  if (editorLink) {
    editorLink.href = config.editor.replace("/0/", `/${tile.item.image}/`);
    editorLink.hidden = false;
  }
  // Near the end of what is loaded: fetch the next page before it is needed.
  if (index > tiles.length - 20) loadMore();
}

function showSelection() {
  for (const tile of tiles) {
    tile.element.setAttribute("aria-selected", selected.has(tile.item.id) ? "true" : "false");
  }
  if (selectedCount) selectedCount.textContent = String(selected.size);
}

function selectRange(from, to) {
  selected.clear();
  const [low, high] = from < to ? [from, to] : [to, from];
  for (let i = Math.max(low, 0); i <= high; i += 1) selected.add(tiles[i].item.id);
  showSelection();
}

function columns() {
  if (!tiles.length) return 1;
  const top = tiles[0].element.offsetTop;
  let count = 0;
  while (count < tiles.length && tiles[count].element.offsetTop === top) count += 1;
  return Math.max(1, count);
}

function move(step, extend) {
  if (!tiles.length) return;
  const from = focusIndex < 0 ? 0 : focusIndex;
  const to = focusIndex < 0 ? 0 : Math.max(0, Math.min(tiles.length - 1, from + step));
  if (extend) {
    if (anchor < 0) anchor = from;
    setFocus(to);
    selectRange(anchor, to);
  } else {
    anchor = to;
    setFocus(to);
  }
}

function toggle(index) {
  const id = tiles[index].item.id;
  if (selected.has(id)) selected.delete(id);
  else selected.add(id);
  anchor = index;
  showSelection();
}

grid.addEventListener("focus", () => {
  if (focusIndex < 0 && tiles.length) setFocus(0);
});

grid.addEventListener("click", (event) => {
  const element = event.target.closest("[role=option]");
  if (!element) return;
  const index = tiles.indexOf(byId.get(Number(element.dataset.id)));
  if (index < 0) return;
  grid.focus({ preventScroll: true });
  if (event.shiftKey && anchor >= 0) {
    selectRange(anchor, index);
  } else if (event.ctrlKey || event.metaKey) {
    toggle(index);
  } else {
    selected.clear();
    selected.add(tiles[index].item.id);
    anchor = index;
    showSelection();
  }
  setFocus(index);
});

grid.addEventListener("keydown", (event) => {
  const key = event.key;
  const steps = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -columns(), ArrowDown: columns() };
  if (key in steps) {
    event.preventDefault();
    move(steps[key], event.shiftKey);
  } else if (key === "Home" || key === "End") {
    event.preventDefault();
    move(key === "Home" ? -tiles.length : tiles.length, event.shiftKey);
  } else if (key === " ") {
    event.preventDefault();
    if (focusIndex >= 0) toggle(focusIndex);
  } else if (key.toLowerCase() === "a" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    tiles.forEach((tile) => selected.add(tile.item.id));
    showSelection();
    say(`${selected.size} selected.`);
  } else if (key === "Escape") {
    selected.clear();
    showSelection();
    say("None selected.");
  }
});

/* --- counts ------------------------------------------------------------------------- */

const counts = {};
document.querySelectorAll("#status-counts [data-status]").forEach((cell) => {
  counts[cell.dataset.status] = Number(cell.textContent);
});

function recount(from, to) {
  if (from === to) return;
  counts[from] = (counts[from] || 0) - 1;
  counts[to] = (counts[to] || 0) + 1;
}

function showCounts() {
  let total = 0;
  for (const [status, count] of Object.entries(counts)) {
    total += count;
    const cell = document.querySelector(`#status-counts [data-status=${status}]`);
    if (cell) cell.textContent = String(count);
  }
  const share = document.getElementById("validated-percent");
  if (share) share.textContent = total ? `${Math.floor((100 * (counts.validated || 0)) / total)}%` : "—";
}

/* --- review and undo ---------------------------------------------------------------- */

function targets() {
  if (selected.size) return { ids: [...selected], advance: false };
  if (focusIndex >= 0) return { ids: [tiles[focusIndex].item.id], advance: true };
  return { ids: [], advance: false };
}

function labelOf(id, name) {
  const known = labelById.get(id);
  return known ? { id, name: known.name, colour: known.colour } : { id, name: name || String(id), colour: "#1f77b4" };
}

/* Tiles of annotations that changed elsewhere show what they are now. */
function showCurrent(current) {
  for (const state of current || []) {
    const tile = byId.get(state.id);
    if (!tile) continue;
    recount(tile.item.status, state.status);
    Object.assign(tile.item, { status: state.status, revision: state.revision });
    if (state.label !== undefined) tile.item.label = labelOf(state.label, state.label_name);
    paint(tile);
  }
  showCounts();
}

/* Requests go one after the other, so fast keys are never lost and each request
   carries the revisions the one before left. */
function later(work) {
  pending += 1;
  grid.dataset.pending = String(pending);
  queue = queue.then(work, work).finally(() => {
    pending -= 1;
    grid.dataset.pending = String(pending);
  });
}

function act(action, label) {
  if (config.readonly) return;
  const { ids, advance } = targets();
  if (!ids.length) {
    report("Nothing selected: move to an annotation with the arrow keys, or click one.");
    return;
  }
  // The next key goes to the next tile at once, not once the server has answered.
  if (advance && focusIndex < tiles.length - 1) {
    anchor = focusIndex + 1;
    setFocus(focusIndex + 1);
  }
  later(() => send(action, ids, label));
}

async function send(action, ids, label) {
  const revisions = Object.fromEntries(ids.map((id) => [id, byId.get(id).item.revision]));
  const body = { ids, action, revisions };
  if (label) body.label = label.id;
  const answer = await call("POST", config.api.review, body);
  if (answer.status === 409 && answer.data && answer.data.current) {
    showCurrent(answer.data.current);
    report(`${problemText(answer.data)} They now show their current state; try again.`);
    return;
  }
  if (!answer.ok) {
    report(`Nothing was changed: ${problemText(answer.data)}`);
    return;
  }
  const status = action === "validate" || action === "relabel" ? "validated" : action === "dubious" ? "dubious" : "rejected";
  const before = [];
  for (const id of ids) {
    const tile = byId.get(id);
    const item = tile.item;
    const changes = item.status !== status || (label && item.label.id !== label.id);
    if (!changes) continue;
    before.push({ id, status: item.status, label: item.label, revision: item.revision });
    recount(item.status, status);
    item.status = status;
    item.revision += 1;
    if (label) item.label = { id: label.id, name: label.name, colour: label.colour };
    paint(tile);
  }
  showCounts();
  const what = `${DONE[action]}${label ? ` as ${label.name}` : ""}`;
  if (answer.data.events && answer.data.events.length) {
    undoStack.push({ events: answer.data.events, before, what });
    if (undoButton) undoButton.disabled = false;
  }
  const unchanged = answer.data.unchanged ? ` (${answer.data.unchanged} already were)` : "";
  report(`${what}: ${answer.data.changed} annotation(s)${unchanged}.`);
}

function undo() {
  if (!config.readonly) later(undoLast);
}

async function undoLast() {
  const last = undoStack.pop();
  if (undoButton) undoButton.disabled = !undoStack.length;
  if (!last) {
    report("Nothing to undo.");
    return;
  }
  const answer = await call("POST", config.api.undo, { events: last.events });
  if (answer.status === 409 && answer.data && answer.data.current) {
    showCurrent(answer.data.current);
    report(`Could not undo: ${problemText(answer.data)}`);
    return;
  }
  if (!answer.ok) {
    undoStack.push(last);
    if (undoButton) undoButton.disabled = false;
    report(`Could not undo: ${problemText(answer.data)}`);
    return;
  }
  for (const state of last.before) {
    const tile = byId.get(state.id);
    if (!tile) continue;
    recount(tile.item.status, state.status);
    Object.assign(tile.item, { status: state.status, label: state.label, revision: tile.item.revision + 1 });
    paint(tile);
  }
  showCounts();
  report(`Undone: ${last.what.toLowerCase()}, ${last.before.length} annotation(s).`);
}

function relabelFromInput() {
  const name = relabelInput.value.trim();
  const label = labels.byName.get(name.toLowerCase());
  if (!label) {
    say(name ? `No label named “${name}” in this set's label set.` : "Type a label first.");
    return;
  }
  act("relabel", label);
}

if (!config.readonly && tools) {
  tools.hidden = false;
  // The sticky tools must not hide the tile in focus when it scrolls into view.
  const keepClear = () => {
    const height = getComputedStyle(tools).position === "sticky" ? tools.offsetHeight : 0;
    document.documentElement.style.setProperty("--tools-height", `${height}px`);
  };
  keepClear();
  window.addEventListener("resize", keepClear);
  tools.querySelectorAll("[data-action]").forEach((button) => {
    button.addEventListener("click", () => act(button.dataset.action));
  });
  document.getElementById("relabel-button").addEventListener("click", relabelFromInput);
  relabelInput.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      relabelFromInput();
    }
  });
  undoButton.addEventListener("click", undo);
}

/* Command keys work anywhere on the page but in a text control. */
document.addEventListener("keydown", (event) => {
  if (typing(event) || event.defaultPrevented) return;
  const plain = !event.ctrlKey && !event.metaKey;
  const key = event.altKey && /^(Key|Digit)/.test(event.code) ? event.code.slice(-1).toLowerCase() : event.key.toLowerCase();
  if ((event.ctrlKey || event.metaKey) && key === "z") {
    event.preventDefault();
    undo();
  } else if (plain && !event.altKey && key in ACTIONS) {
    event.preventDefault();
    act(ACTIONS[key]);
  } else if (plain && !event.altKey && key === "u") {
    event.preventDefault();
    undo();
  } else if (plain && !event.altKey && key === "e" && focusIndex >= 0 && editorLink) {
    window.location.href = editorLink.href;
  } else if (plain && labels.byKey.has(key) && !event.shiftKey) {
    event.preventDefault();
    act("relabel", labels.byKey.get(key));
  }
});

loadMore();
