// Building blocks shared by answers and summaries: cited text, citation chips, the guard's
// report and the source viewer that highlights a quote inside the full article.

import { getJSON } from "./api.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function day(value) {
  return value ? String(value).slice(0, 10) : "undated";
}

function citationLabel(c) {
  return `Source ${c.n}: ${c.title}, ${c.source}, ${day(c.published_at)}`;
}

export function chip(citation) {
  return el("button", {
    type: "button", class: "chip", "data-n": citation.n, "data-article": citation.article_id,
    "aria-label": citationLabel(citation), title: citationLabel(citation),
    onclick: () => openSource(citation),
  }, `[${citation.n}]`);
}

// Only the markers Citewire added become chips, so they come from the structure, never from the text:
// each sentence's own text (which may hold the article's footnote "[2]"), then its `citations` numbers.
// Returns strings and citation objects, in order (no DOM, so Node can test it). `uncited` follows a sentence that
// cites nothing, as the text has it: an answer's "[unsupported]" (app/answer/guard.py), nothing in a summary.
export function sentencePieces(sentences, citations, uncited = "") {
  const byN = new Map(citations.map((c) => [c.n, c]));
  const out = [];
  sentences.forEach((s, i) => {
    if (i) out.push(" ");
    if (s.status === "conflict") out.push(...notePieces(s.text, s.citations, byN));
    else if (!s.citations.length) out.push(uncited ? `${s.text} ${uncited}` : s.text);
    else {
      out.push(`${s.text} `);
      for (const n of s.citations) out.push(byN.get(n) || `[${n}]`);
    }
  });
  return out;
}

// A conflict note ("Sources disagree: A reports 40 [1]; B reports 50 [2].") carries its markers inside its text,
// after the quoted values: Citewire's are the last occurrence of each number, in order; earlier ones are text.
export function notePieces(text, numbers, byN) {
  const cuts = [];
  let end = text.length;
  for (const n of [...numbers].reverse()) {
    const marker = `[${n}]`;
    const from = end - marker.length;
    const at = from < 0 ? -1 : text.lastIndexOf(marker, from);
    if (at < 0 || !byN.has(n)) break;
    cuts.unshift({ at, marker, citation: byN.get(n) });
    end = at;
  }
  const out = [];
  let last = 0;
  for (const { at, marker, citation } of cuts) {
    out.push(text.slice(last, at), citation);
    last = at + marker.length;
  }
  out.push(text.slice(last));
  return out.filter((p) => p !== "");
}

// Fallback for a response without sentences (none the API sends today has text and no sentences):
// "text [1] more [2]" -> pieces, every [n] with a citation becoming one.
export function markedPieces(text, citations) {
  const byN = new Map(citations.map((c) => [c.n, c]));
  const out = [];
  let last = 0;
  for (const match of text.matchAll(/\[(\d+)\]/g)) {
    const citation = byN.get(Number(match[1]));
    if (!citation) continue;
    out.push(text.slice(last, match.index), citation);
    last = match.index + match[0].length;
  }
  out.push(text.slice(last));
  return out;
}

const asNodes = (pieces) => pieces.map((p) => (typeof p === "string" ? p : chip(p)));

// An answer's or summary's text with its chips, built from `sentences`.
export function citedText(text, sentences, citations, uncited = "") {
  return asNodes(sentences && sentences.length ? sentencePieces(sentences, citations, uncited)
    : markedPieces(text, citations));
}

// A conflict note of `conflicts[]`: its own two citations, as in the summary.
export function conflictText(conflict, citations) {
  return asNodes(notePieces(conflict.note, conflict.citations || [],
    new Map(citations.map((c) => [c.n, c]))));
}

export function citationList(citations) {
  if (!citations.length) return null;
  return el("ol", { class: "citations", "aria-label": "Sources" },
    citations.map((c) => el("li", {},
      chip(c), " ",
      el("span", { class: "cite-title" }, c.title),
      el("span", { class: "meta" }, ` — ${c.source}, ${day(c.published_at)}`))));
}

const STATUS_TEXT = {
  kept: "kept: supported by the passage it cites",
  fixed: "fixed: re-attributed to the passage that supports it",
  unsupported: "marked: not supported by any passage",
  dropped: "dropped: unsupported",
};

// The LLM failed (or was cooling down after a failure) and the extractive answerer answered instead
// (CITEWIRE_LLM_OUTAGE_FALLBACK=extractive): a visible note with the server's reason; null otherwise.
export function fallbackNote(result, what = "Answered") {
  const fallback = result && result.fallback;
  if (!fallback) return null;
  const reason = String(fallback.reason || "the LLM failed").replace(/\.$/, "");
  return el("p", { class: "fallback note", role: "note" },
    el("strong", {}, `${what} without the LLM: `),
    `${reason}.${result.answerable === false ? "" : " The text above quotes the articles verbatim."}`);
}

// What the faithfulness guard did. LLM answers carry guard counts; extractive answers are
// verbatim quotes with guard null, so show each sentence's status and support instead.
export function guardReport(result) {
  const sentences = result.sentences || [];
  const counts = { kept: 0, fixed: 0, dropped: 0, marked: 0 };
  if (result.guard) Object.assign(counts, result.guard);
  else for (const s of sentences) counts[s.status === "unsupported" ? "marked" : s.status] += 1;
  const parts = [`${counts.kept} kept`, `${counts.fixed} fixed`, `${counts.dropped} dropped`];
  if (counts.marked) parts.push(`${counts.marked} marked`);
  const who = result.guard ? "Guard (LLM answer checked against its passages)"
    : `Checked (${result.mode || "extractive"}: sentences quoted verbatim, no guard needed)`;
  const details = el("details", { class: "guard" },
    el("summary", {}, `${who}: ${parts.join(", ")}`));
  if (sentences.length) {
    details.append(el("ol", { class: "sentences" }, sentences.map((s) => el("li", { class: `status-${s.status}` },
      el("span", { class: `badge ${s.status}` }, s.status === "unsupported" ? "marked" : s.status), " ",
      el("span", { class: "sentence-text" }, s.text), " ",
      el("span", { class: "meta" },
        `${s.citations.length ? "cites " + s.citations.map((n) => `[${n}]`).join(" ") : "cites nothing"}` +
        `${s.support === null || s.support === undefined ? "" : `, support ${Number(s.support).toFixed(2)}`}` +
        ` — ${STATUS_TEXT[s.status] || s.status}`)))));
  }
  if (counts.dropped) {
    details.append(el("p", { class: "meta" },
      `${counts.dropped} sentence(s) of the model's draft were dropped: no passage supported them.`));
  }
  if (result.guard && result.guard.fallback) {
    details.append(el("p", { class: "meta" },
      "Nothing of the model's answer survived the guard, so the answer above quotes the articles verbatim instead."));
  }
  return details;
}

// ---- source viewer ---------------------------------------------------------------------

const articles = new Map();

export function fetchArticle(id) {
  if (!articles.has(id)) {
    const pending = getJSON(`/v1/articles/${encodeURIComponent(id)}`);
    pending.catch(() => articles.delete(id));
    articles.set(id, pending);
  }
  return articles.get(id);
}

export function forgetArticles() {
  articles.clear();
}

let opener = null;

// The UTF-16 index of the code point at `codePoints` (an emoji before it is two units in JavaScript, one in Python).
export function utf16Offset(text, codePoints) {
  let index = 0;
  for (let n = 0; n < codePoints && index < text.length; n += 1) {
    index += text.codePointAt(index) > 0xffff ? 2 : 1;
  }
  return index;
}

export async function openSource(citation) {
  const dialog = document.getElementById("source");
  const title = document.getElementById("source-title");
  const meta = document.getElementById("source-meta");
  const note = document.getElementById("source-note");
  const body = document.getElementById("source-text");
  opener = document.activeElement;
  title.textContent = citation.title || citation.article_id;
  meta.textContent = "Loading…";
  note.hidden = true;
  body.replaceChildren();
  if (!dialog.open) dialog.showModal();
  let article;
  try {
    article = await fetchArticle(citation.article_id);
  } catch (err) {
    meta.textContent = `Could not load the article: ${err.message}`;
    return;
  }
  title.textContent = article.title;
  meta.replaceChildren(`${article.source} · ${day(article.published_at)} · `,
    el("span", { class: "url" }, article.url || article.id));
  const text = article.text;
  const hasSpan = Number.isInteger(citation.char_start) && Number.isInteger(citation.char_end);
  if (!hasSpan) {
    body.textContent = text;
    body.focus();
    return;
  }
  // char_start/char_end count Unicode code points (Python's str); JavaScript strings index UTF-16 units
  const start = utf16Offset(text, citation.char_start);
  const end = utf16Offset(text, citation.char_end);
  const mark = el("mark", { id: "quote", tabindex: "-1", "aria-label": `Quoted passage [${citation.n}]` },
    text.slice(start, end));
  body.replaceChildren(text.slice(0, start), mark, text.slice(end));
  if (citation.quote && text.slice(start, end) !== citation.quote) {
    note.textContent = "The article has changed since this answer: the highlighted span no longer matches the quote.";
    note.hidden = false;
  }
  mark.scrollIntoView({ block: "center" });
  mark.focus({ preventScroll: true });
}

export function installSourceDialog() {
  const dialog = document.getElementById("source");
  document.getElementById("source-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) dialog.close(); // a click on the backdrop
  });
  dialog.addEventListener("close", () => {
    if (opener && opener.isConnected) opener.focus();
  });
}
