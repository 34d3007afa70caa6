// The chat box. The first question goes to /v1/ask, follow-ups to /v1/chat with the conversation
// (state lives with the client). Both stream: delta events, then citations, then final.

import { postStream } from "./api.js";
import { citationList, citedText, el, fallbackNote, guardReport } from "./render.js";

const STORE_KEY = "citewire.history.v1";
const MAX_TURNS = 30;

let turns = loadTurns(); // [{question, response}]
let controller = null;

function loadTurns() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORE_KEY) || "[]");
    return Array.isArray(saved) ? saved.filter((t) => t && t.question && t.response) : [];
  } catch {
    return [];
  }
}

function saveTurns() {
  try {
    localStorage.setItem(STORE_KEY, JSON.stringify(turns.slice(-MAX_TURNS)));
  } catch {
    // storage full or disabled: the conversation still works for this page view
  }
}

function messagesFor(question) {
  const messages = [];
  for (const t of turns.slice(-10)) {
    messages.push({ role: "user", content: t.question });
    messages.push({ role: "assistant", content: t.response.answer.slice(0, 8000) });
  }
  messages.push({ role: "user", content: question });
  return messages;
}

function turnElement(question) {
  const answer = el("div", { class: "answer streaming", "aria-busy": "true" },
    el("p", { class: "answer-text" }, el("span", { class: "live" }), el("span", { class: "cursor", "aria-hidden": "true" })));
  const item = el("li", { class: "turn" },
    el("div", { class: "question" }, el("span", { class: "who" }, "You"), el("p", {}, question)),
    answer);
  return { item, answer };
}

export function renderResponse(container, question, response, draft = "") {
  container.classList.remove("streaming");
  container.removeAttribute("aria-busy");
  const parts = [];
  if (response.standalone_question && response.standalone_question !== question) {
    parts.push(el("p", { class: "meta understood" }, `Understood as: ${response.standalone_question}`));
  }
  if (!response.answerable) {
    container.classList.add("refused");
    parts.push(el("div", { class: "refusal", role: "note" },
      el("p", { class: "refusal-label" }, "Refused"),
      el("p", { class: "answer-text" }, response.answer),
      el("p", { class: "reason" }, el("strong", {}, "Reason: "), response.refusal_reason || "no reason given")));
  } else {
    parts.push(el("p", { class: "answer-text" }, citedText(response.answer, response.sentences, response.citations, "[unsupported]")));
    parts.push(citationList(response.citations));
  }
  parts.push(fallbackNote(response));
  if (response.guard || (response.sentences && response.sentences.length)) { // a plain refusal has nothing to check
    const guard = guardReport(response);
    if (response.mode === "llm" && draft.trim()) { // what the model wrote, before the guard checked it
      guard.append(el("details", { class: "draft" }, el("summary", {}, "The model's draft, as streamed"),
        el("p", { class: "meta draft-text" }, draft.trim())));
    }
    parts.push(guard);
  }
  parts.push(el("p", { class: "meta" }, `mode: ${response.mode}` +
    (response.usage && response.usage.prompt ? ` · prompt ${response.usage.prompt}` : "")));
  container.replaceChildren(...parts.filter(Boolean));
}

function renderError(container, message) {
  container.classList.remove("streaming");
  container.removeAttribute("aria-busy");
  container.classList.add("failed");
  container.replaceChildren(el("p", { class: "error", role: "alert" }, `Error: ${message}`));
}

export function installChat() {
  const form = document.getElementById("ask-form");
  const box = document.getElementById("question");
  const history = document.getElementById("history");
  const empty = document.getElementById("history-empty");
  const askButton = document.getElementById("ask-button");
  const stopButton = document.getElementById("stop-button");

  const refreshEmpty = () => { empty.hidden = history.children.length > 0; };
  for (const t of turns) {
    const { item, answer } = turnElement(t.question);
    renderResponse(answer, t.question, t.response, t.draft);
    history.append(item);
  }
  refreshEmpty();

  box.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      form.requestSubmit();
    }
  });

  stopButton.addEventListener("click", () => controller && controller.abort());

  document.getElementById("clear-history").addEventListener("click", () => {
    if (controller) controller.abort();
    turns = [];
    saveTurns();
    history.replaceChildren();
    refreshEmpty();
    box.focus();
  });

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const question = box.value.trim();
    if (!question || controller) return;
    box.value = "";
    const { item, answer } = turnElement(question);
    history.append(item);
    refreshEmpty();
    item.scrollIntoView({ block: "end" });
    const live = answer.querySelector(".live");

    const followUp = turns.length > 0;
    const url = followUp ? "/v1/chat" : "/v1/ask";
    const payload = followUp ? { messages: messagesFor(question) } : { question };
    controller = new AbortController();
    askButton.disabled = true;
    stopButton.hidden = false;
    let final = null;
    let failure = null;
    try {
      await postStream(url, payload, (name, data) => {
        if (name === "delta") live.textContent += data.text;
        else if (name === "citations") answer.append(citationList(data) || "");
        else if (name === "final") final = data;
        else if (name === "error") failure = data;  // the server's reason when the answer broke off mid-stream
      }, controller.signal);
      if (failure) throw new Error(failure.detail || failure.error || "the answer failed");
      if (!final) throw new Error("the answer stream ended early");
      const draft = live.textContent;
      renderResponse(answer, question, final, draft);
      turns.push({ question, response: final, draft });
      saveTurns();
    } catch (err) {
      renderError(answer, err.name === "AbortError" ? "stopped" : err.message);
    } finally {
      controller = null;
      askButton.disabled = false;
      stopButton.hidden = true;
      item.scrollIntoView({ block: "nearest" });
      box.focus();
    }
  });
}
