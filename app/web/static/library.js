// The article side: list with source and date filters, per-article and topic summaries, uploads.

import { getJSON, KEY_ACCEPTED, postJSON, uploadFile } from "./api.js";
import {
  citationList, citedText, conflictText, day, el, fallbackNote, forgetArticles, guardReport, openSource,
} from "./render.js";

const PAGE = 100;
const state = { loaded: [], total: 0, sources: new Set(), failed: false };

function filters() {
  return {
    source: document.getElementById("filter-source").value,
    from: document.getElementById("filter-from").value,
    to: document.getElementById("filter-to").value,
  };
}

// The API filters the list by source; dates are filtered here, on the articles loaded so far.
function inDateRange(article, { from, to }) {
  if (!from && !to) return true;
  if (!article.published_at) return false;
  const d = day(article.published_at);
  return (!from || d >= from) && (!to || d <= to);
}

function summaryBlock(result) {
  const parts = [el("p", { class: "summary-text" }, citedText(result.summary, result.sentences, result.citations)),
    citationList(result.citations)];
  if (result.conflicts && result.conflicts.length) {
    parts.push(el("div", { class: "conflicts" }, el("p", { class: "refusal-label" }, "Sources disagree"),
      el("ul", {}, result.conflicts.map((c) => el("li", {}, conflictText(c, result.citations))))));
  }
  parts.push(fallbackNote(result, "Summarised"));
  parts.push(guardReport(result));
  return parts.filter(Boolean);
}

// An LLM summary whose every sentence the faithfulness guard dropped comes back with no text: say so,
// with the guard's report, instead of showing an empty summary (or a refusal with "no reason given").
function guardDroppedAll(result) {
  return !(result.summary || "").trim() && Boolean(result.guard && result.guard.dropped);
}

function droppedBlock(result) {
  return [el("div", { class: "refusal", role: "note" },
    el("p", { class: "refusal-label" }, "Nothing verified"),
    el("p", {}, `None of the ${result.guard.dropped} sentence(s) the model wrote was supported by the articles, ` +
      "so the faithfulness guard dropped them all and there is no summary to show.")),
  guardReport(result)];
}

// A refused topic summary carries its reason, as a refused answer does (the text alone is not a summary).
function topicRefusal(result) {
  return el("div", { class: "refusal", role: "note" },
    el("p", { class: "refusal-label" }, "Refused"),
    el("p", {}, result.summary || "Nothing in the selected articles covers this topic."),
    el("p", { class: "reason" }, el("strong", {}, "Reason: "), result.refusal_reason || "no reason given"));
}

function articleItem(article) {
  const result = el("div", { class: "result", "aria-live": "polite" });
  const summarise = el("button", { type: "button", class: "secondary", "aria-label": `Summarise “${article.title}”` },
    "Summarise");
  summarise.addEventListener("click", async () => {
    summarise.disabled = true;
    result.replaceChildren(el("p", { class: "meta" }, "Summarising…"));
    try {
      const summary = await postJSON("/v1/summarize", { article_id: article.id, max_words: 80 });
      result.replaceChildren(...(guardDroppedAll(summary) ? droppedBlock(summary)
        : summary.answerable === false ? [topicRefusal(summary)] : summaryBlock(summary)));
    } catch (err) {
      result.replaceChildren(el("p", { class: "error", role: "alert" }, `Error: ${err.message}`));
    } finally {
      summarise.disabled = false;
    }
  });
  const read = el("button", { type: "button", class: "secondary", "aria-label": `Read “${article.title}”`,
    onclick: () => openSource({ article_id: article.id, title: article.title }) }, "Read");
  return el("li", { class: "article", "data-id": article.id },
    el("h3", {}, article.title || article.id),
    el("p", { class: "meta" }, `${article.source} · ${day(article.published_at)} · ${article.chunks} passage${article.chunks === 1 ? "" : "s"}`),
    el("div", { class: "row" }, read, summarise),
    result);
}

function renderArticles() {
  const list = document.getElementById("articles");
  const f = filters();
  const shown = state.loaded.filter((a) => inDateRange(a, f));
  list.replaceChildren(...shown.map(articleItem));
  const more = state.loaded.length < state.total;
  document.getElementById("more-articles").hidden = !more;
  const scope = f.source ? ` from ${f.source}` : "";
  document.getElementById("articles-count").textContent = state.total === 0
    ? `No articles${scope} yet: add some below.`
    : `${shown.length} shown of ${state.total} article${state.total === 1 ? "" : "s"}${scope}` +
      (more ? ` (${state.loaded.length} loaded)` : "");

  const select = document.getElementById("filter-source");
  const known = new Set([...select.options].map((o) => o.value));
  for (const source of [...state.sources].sort()) {
    if (!known.has(source)) select.append(el("option", { value: source }, source));
  }
}

export async function loadArticles({ append = false } = {}) {
  const { source } = filters();
  const params = new URLSearchParams({ limit: PAGE, offset: append ? state.loaded.length : 0 });
  if (source) params.set("source", source);
  try {
    const page = await getJSON(`/v1/articles?${params}`);
    state.loaded = append ? state.loaded.concat(page.articles) : page.articles;
    state.total = page.total;
    for (const a of page.articles) state.sources.add(a.source);
    state.failed = false;
    renderArticles();
  } catch (err) {
    state.failed = true;
    document.getElementById("articles-count").textContent = `Could not list articles: ${err.message}`;
  }
}

function installTopicSummary() {
  const form = document.getElementById("topic-form");
  const button = document.getElementById("topic-button");
  const out = document.getElementById("topic-result");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const topic = document.getElementById("topic").value.trim();
    if (!topic) return;
    const f = filters();
    const payload = { topic, max_words: 150 };
    if (f.source || f.from || f.to) {
      payload.filters = { sources: f.source ? [f.source] : null, published_from: f.from || null, published_to: f.to || null };
    }
    button.disabled = true;
    out.replaceChildren(el("p", { class: "meta" }, "Summarising…"));
    try {
      const result = await postJSON("/v1/summarize", payload);
      out.replaceChildren(...(guardDroppedAll(result) ? droppedBlock(result)
        : result.answerable === false || !result.summary ? [topicRefusal(result)] : summaryBlock(result)));
    } catch (err) {
      out.replaceChildren(el("p", { class: "error", role: "alert" }, `Error: ${err.message}`));
    } finally {
      button.disabled = false;
    }
  });
}

function outcomeText(response) {
  const counts = ["added", "updated", "unchanged", "failed"].filter((k) => response[k]).map((k) => `${response[k]} ${k}`);
  return `${counts.join(", ") || "nothing"} · ${response.chunks_written} passage(s) written`;
}

async function uploadAll(files) {
  const list = document.getElementById("uploads");
  const jobs = [...files].map((file) => {
    const bar = el("progress", { max: "1", value: "0", "aria-label": `Upload progress of ${file.name}` });
    const status = el("span", { class: "upload-status" }, "waiting");
    const details = el("ul", { class: "upload-details" });
    const item = el("li", { class: "upload", "data-file": file.name },
      el("span", { class: "file-name" }, file.name), bar, status, details);
    list.prepend(item);
    return { file, bar, status, details, item };
  });
  for (const job of jobs) { // one at a time: ingest is CPU-bound on the server anyway
    job.status.textContent = "uploading";
    try {
      const response = await uploadFile(job.file, (fraction) => { job.bar.value = fraction; });
      job.bar.value = 1;
      job.item.classList.add(response.failed ? "partial" : "ok");
      job.status.textContent = outcomeText(response);
      job.details.replaceChildren(...response.results.map((r) => el("li", {},
        `${r.article_id || r.origin}: ${r.status}${r.error ? ` (${r.error})` : ""}`)));
    } catch (err) {
      job.item.classList.add("failed");
      job.status.textContent = `failed: ${err.message}`;
      job.status.setAttribute("role", "alert");
    }
  }
  forgetArticles();
  await loadArticles();
}

function installUpload() {
  const input = document.getElementById("files");
  const zone = document.getElementById("dropzone");
  input.addEventListener("change", () => {
    if (input.files.length) uploadAll(input.files).finally(() => { input.value = ""; });
  });
  for (const name of ["dragenter", "dragover"]) {
    zone.addEventListener(name, (e) => {
      e.preventDefault();
      zone.classList.add("over");
    });
  }
  for (const name of ["dragleave", "drop"]) {
    zone.addEventListener(name, () => zone.classList.remove("over"));
  }
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) uploadAll(e.dataTransfer.files);
  });
}

export function installLibrary() {
  document.getElementById("filter-source").addEventListener("change", () => loadArticles());
  for (const id of ["filter-from", "filter-to"]) {
    document.getElementById(id).addEventListener("change", renderArticles);
  }
  document.getElementById("filters").addEventListener("submit", (e) => e.preventDefault());
  document.getElementById("more-articles").addEventListener("click", () => loadArticles({ append: true }));
  installTopicSummary();
  installUpload();
  // A wrong key typed at load left the list "unauthorized": list again once a later call stores one that works.
  window.addEventListener(KEY_ACCEPTED, () => { if (state.failed) loadArticles(); });
  loadArticles();
}
