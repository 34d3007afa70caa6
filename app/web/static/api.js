// Talks to the public JSON API. Errors arrive as {error, detail}; they become ApiError.

// The API's root is the folder above this script's (/web/api.js, or /citewire/web/api.js behind a proxy that
// serves the app under /citewire): "/v1/ask" is asked there, so a path prefix (uvicorn --root-path) is kept.
const ROOT = new URL("../", import.meta.url);
export const apiUrl = (path) => new URL(String(path).replace(/^\//, ""), ROOT).href;

export class ApiError extends Error {
  constructor(status, body) {
    super(describeError(body, status));
    this.status = status;
    this.body = body;
  }
}

export function describeError(body, status) {
  if (!body || typeof body !== "object") return `HTTP ${status}`;
  let text = body.error || `HTTP ${status}`;
  const detail = body.detail;
  if (Array.isArray(detail)) {
    const parts = detail.map((d) => (d && d.msg) || (d && d.error) || JSON.stringify(d)).filter(Boolean);
    if (parts.length) text += `: ${parts.join("; ")}`;
  } else if (detail) {
    const said = typeof detail === "string" ? detail : JSON.stringify(detail);
    // a detail that already opens with the error ("unsupported file type: 'doc.pdf' …") is said once
    text = said === text || said.startsWith(`${text}:`) ? said : `${text}: ${said}`;
  }
  return text;
}

async function errorFrom(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  return new ApiError(response.status, body);
}

// When the server requires API keys (CITEWIRE_API_KEYS), a 401 asks the user for a key once; it
// is kept for this browser tab only (sessionStorage) and sent as X-API-Key on every call.
const KEY_SLOT = "citewire.apiKey";
export const KEY_ACCEPTED = "citewire:key-accepted"; // on window, when a newly stored key was accepted

function withKey(headers) {
  const key = sessionStorage.getItem(KEY_SLOT);
  return key ? { ...headers, "x-api-key": key } : headers;
}

async function keyed(doFetch) {
  const used = sessionStorage.getItem(KEY_SLOT);
  let response = await doFetch();
  if (response.status === 401) {
    // Another request may have asked for the key meanwhile: then just retry with it.
    let key = sessionStorage.getItem(KEY_SLOT);
    if (key === used) key = (window.prompt("This Citewire server needs an API key:") || "").trim();
    if (key && key !== used) {
      sessionStorage.setItem(KEY_SLOT, key);
      response = await doFetch();
      // a call that failed for want of a key earlier (the article list at load) can now be made again
      if (response.status !== 401) window.dispatchEvent(new Event(KEY_ACCEPTED));
    }
  }
  return response;
}

export async function getJSON(url) {
  const response = await keyed(() => fetch(apiUrl(url), { headers: withKey({ accept: "application/json" }) }));
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

export async function postJSON(url, payload) {
  const response = await keyed(() => fetch(apiUrl(url), {
    method: "POST",
    headers: withKey({ "content-type": "application/json", accept: "application/json" }),
    body: JSON.stringify(payload),
  }));
  if (!response.ok) throw await errorFrom(response);
  return response.json();
}

// POST with stream:true answers as Server-Sent Events. EventSource cannot POST, so read the
// body with fetch + ReadableStream and parse the "event:"/"data:" blocks ourselves.
export async function postStream(url, payload, onEvent, signal) {
  const response = await keyed(() => fetch(apiUrl(url), {
    method: "POST",
    headers: withKey({ "content-type": "application/json", accept: "text/event-stream" }),
    body: JSON.stringify({ ...payload, stream: true }),
    signal,
  }));
  if (!response.ok) throw await errorFrom(response);
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let match;
    while ((match = /\r?\n\r?\n/.exec(buffer))) {
      const block = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      const event = parseEvent(block);
      if (event) onEvent(event.name, event.data);
    }
    if (done) break;
  }
}

function parseEvent(block) {
  let name = "message";
  const data = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith("event:")) name = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (!data.length) return null;
  return { name, data: JSON.parse(data.join("\n")) };
}

// fetch() cannot report upload progress; XMLHttpRequest can. The upload goes through keyed() like
// every other call, so a 401 asks for the key and sends the file again.
function sendUpload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("files", file, file.name);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", apiUrl("/v1/articles"));
    xhr.responseType = "json";
    for (const [name, value] of Object.entries(withKey({ accept: "application/json" }))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => resolve({ status: xhr.status, body: xhr.response });
    xhr.onerror = () => reject(new Error("the upload failed: is the server running?"));
    xhr.send(form);
  });
}

export async function uploadFile(file, onProgress) {
  const { status, body } = await keyed(() => sendUpload(file, onProgress));
  if (status >= 200 && status < 300) return body;
  throw new ApiError(status, body);
}
