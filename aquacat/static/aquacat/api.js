/* Calls to AquaCat's REST API from a page, with the session and its CSRF token.
   Errors come back as RFC 9457 problems: `problemText` makes one line of them. */

export function csrfToken() {
  const input = document.querySelector("[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

/* -> {ok, status, data}; data is the parsed JSON body (null when there is none). */
export async function call(method, url, body) {
  const options = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  };
  if (method !== "GET") options.headers["X-CSRFToken"] = csrfToken();
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch (error) {
    return { ok: false, status: 0, data: { detail: "The server could not be reached." } };
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (error) {
      data = { detail: text.slice(0, 200) };
    }
  }
  return { ok: response.ok, status: response.status, data };
}

/* One readable line from a problem: its detail and every field message. */
export function problemText(data, fallback = "The request failed.") {
  if (!data) return fallback;
  const parts = [];
  if (data.errors && typeof data.errors === "object") {
    for (const [field, messages] of Object.entries(data.errors)) {
      const list = Array.isArray(messages) ? messages : [messages];
      parts.push(`${field}: ${list.join(" ")}`);
    }
  }
  if (!parts.length && data.detail) parts.push(String(data.detail));
  return parts.length ? parts.join("; ") : fallback;
}

/* The set's labels by lower-case name, and by shortcut key. */
export function labelIndex(labels) {
  const byName = new Map();
  const byKey = new Map();
  for (const label of labels) {
    if (label.retired) continue;
    byName.set(label.name.toLowerCase(), label);
    if (label.shortcut) byKey.set(label.shortcut.toLowerCase(), label);
  }
  return { byName, byKey };
}

/* Whether a key press belongs to a text control (typing, not a command). */
export function typing(event) {
  const target = event.target;
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}
