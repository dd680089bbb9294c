// Revisionsfrågor: the chat page. Plain JS, no build step: streams /v1/ask, opens cited passages, keeps the
// conversation history, feedback and uploads of this key.
(() => {
  "use strict";

  // Bidi embeddings, overrides and isolates in a report or an answer could show a quote mirrored or reordered;
  // every text the page shows goes through `shown`.
  const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
  const shown = (text) => String(text).replace(BIDI_CONTROLS, "");

  const $ = (selector, root = document) => root.querySelector(selector);
  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = shown(value);
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value);
    }
    node.append(...children.map((child) => (typeof child === "string" ? shown(child) : child)));
    return node;
  };

  const log = $("#log");
  const welcome = $("#welcome");
  const form = $("#composer");
  const input = $("#question");
  const send = $("#send");
  const municipality = $("#municipality");
  const newConversation = $("#new-conversation");
  const corpusStatus = $("#corpus-status");
  const reader = $("#reader");
  const readerKicker = $("#reader-kicker");
  const readerTitle = $("#reader-title");
  const readerWhere = $("#reader-where");
  const readerBody = $("#reader-body");
  const readerClose = $("#reader-close");
  const turnTemplate = $("#turn-template");
  const keyGate = $("#key-gate");
  const keyForm = $("#key-form");
  const keyInput = $("#api-key");
  const keyError = $("#key-error");
  const forgetKey = $("#forget-key");
  const stop = $("#stop");
  const exportButton = $("#export");
  const welcomeText = $("#welcome-text");
  const examples = $("#examples");
  const examplesLabel = $("#examples-label");
  const historyList = $("#history-list");
  const historyEmpty = $("#history-empty");
  const openUpload = $("#open-upload");
  const upload = $("#upload");
  const dropzone = $("#dropzone");
  const uploadFile = $("#upload-file");
  const uploadStatus = $("#upload-status");
  const uploadProgress = $("#upload-progress");
  const uploadReplace = $("#upload-replace");

  // The API key lives in this tab only and travels as an Authorization header, never as a cookie: a page of
  // another site cannot make the browser send it.
  const KEY_STORE = "auditqa-api-key";
  const state = {
    key: sessionStorage.getItem(KEY_STORE),
    conversationId: null,
    busy: false,
    controller: null,
    documents: new Map(),   // document_id -> DocumentOut
    texts: new Map(),       // document_id -> Promise<string>
    opener: null,           // the chip that opened the reader
    turns: [],              // {question, text, citations, done} of the conversation shown, for export
  };

  // ---- the API key: asked for when the server answers 401 ----
  class KeyNeeded extends Error {}

  async function api(url, options = {}) {
    const headers = { ...(options.headers || {}) };
    if (state.key) headers.Authorization = `Bearer ${state.key}`;
    const response = await fetch(url, { ...options, headers });
    if (response.status === 401) {
      let detail = "En API-nyckel krävs.";
      try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
      askForKey(state.key ? "Nyckeln godtogs inte. Kontrollera den och försök igen." : null);
      throw new KeyNeeded(detail);
    }
    return response;
  }

  function askForKey(problem) {
    keyError.textContent = problem || "";
    keyError.hidden = !problem;
    keyGate.hidden = false;
    keyInput.focus();
  }

  function useKey(key) {
    state.key = key;
    if (key) sessionStorage.setItem(KEY_STORE, key);
    else sessionStorage.removeItem(KEY_STORE);
    forgetKey.hidden = !key;
  }

  keyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const key = keyInput.value.trim();
    if (!key) return;
    useKey(key);
    keyInput.value = "";
    keyGate.hidden = true;
    loadDocuments();
    loadHistory();
    input.focus();
  });

  forgetKey.addEventListener("click", () => {
    useKey(null);
    askForKey(null);
  });

  // ---- the corpus: municipality filter and the status line ----
  async function loadDocuments() {
    try {
      const response = await api("/v1/documents", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      // The first page of the list (up to 1,000 reports); the count and the municipalities are over every page.
      const { documents, total, municipalities } = await response.json();
      state.documents.clear();
      municipality.replaceChildren(new Option("Alla kommuner", ""));
      for (const d of documents) state.documents.set(d.document_id, d);
      const names = Object.keys(municipalities).sort((a, b) => a.localeCompare(b, "sv"));
      for (const name of names) {
        const count = municipalities[name];
        municipality.append(new Option(count > 1 ? `${name} (${count} rapporter)` : name, name));
      }
      // Page numbers are promised only where a loaded report has pages.
      const paged = documents.some((d) => d.pages);
      welcomeText.textContent = total
        ? `Varje svar är hämtat ordagrant ur rapporterna och pekar ut dokument, avsnitt${paged ? ", sida" : ""} och exakt textställe. Finns inget stöd i rapporterna får du veta det.`
        : "Inga rapporter är inlästa ännu. Ladda upp en rapport för att börja.";
      loadExamples();
      corpusStatus.textContent = total
        ? `${total} ${total === 1 ? "rapport" : "rapporter"} från ${names.length} ${names.length === 1 ? "kommun" : "kommuner"} · svar med exakta källhänvisningar`
        : "Inga rapporter är inlästa ännu";
    } catch (error) {
      corpusStatus.textContent = error instanceof KeyNeeded ? "Ange en API-nyckel för att använda tjänsten" : "Kunde inte hämta listan över rapporter";
    }
  }

  // Example questions drawn from what the loaded reports hold (their findings), never fixed text: a question
  // offered here is one the reports can answer.
  async function loadExamples() {
    let findings = [];
    try {
      const response = await api("/v1/findings", { headers: { Accept: "application/json" } });
      if (response.ok) ({ findings } = await response.json());
    } catch { /* no examples then */ }
    const byPlace = new Map();
    for (const f of findings) {
      if (!f.municipality) continue;
      if (!byPlace.has(f.municipality)) byPlace.set(f.municipality, new Set());
      const kinds = byPlace.get(f.municipality);
      kinds.add(f.kind);
      if (f.kind === "kontrollmal" && f.verdict === "ej uppfyllt") kinds.add("ej uppfyllt");
    }
    const questions = [];
    for (const [m, kinds] of [...byPlace].sort((a, b) => a[0].localeCompare(b[0], "sv"))) {
      if (kinds.has("ej uppfyllt")) questions.push(`Vilka kontrollmål bedömdes ej uppfyllda i ${m}?`);
      else if (kinds.has("revisionell_bedomning")) questions.push(`Vad var den revisionella bedömningen i ${m}?`);
      else if (kinds.has("rekommendation")) questions.push(`Vilka rekommendationer gavs i ${m}?`);
      else if (kinds.has("kontrollmal")) questions.push(`Vilka kontrollmål hade granskningen i ${m}?`);
    }
    const chosen = questions.slice(0, 4);
    examples.replaceChildren(...chosen.map((q) => el("li", {}, el("button", { type: "button", class: "example", onclick: () => ask(q) }, q))));
    examplesLabel.hidden = chosen.length === 0;
  }

  // ---- Server-Sent Events over fetch ----
  async function streamAsk(payload, handlers, signal) {
    const response = await api("/v1/ask", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ ...payload, stream: true }),
      signal,
    });
    if (!response.ok) {
      let detail = `Servern svarade ${response.status}.`;
      try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
      throw new Error(detail);
    }
    const source = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await source.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const raw = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data = [];
        for (const line of raw.split("\n")) {
          if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
        }
        if (data.length && handlers[event]) handlers[event](JSON.parse(data.join("\n")));
      }
    }
  }

  // ---- rendering an answer ----
  // The answer's own words are Swedish, or English for an English question ("section", "The reports cover").
  const ORIGIN = /^(.+?, (?:avsnitt|section) [^:]+): ([\s\S]*)$/;

  // Where a passage stands: "avsnitt 2.6.4", else the report part ("missiv"); never an empty "avsnitt".
  function place(c) {
    return c.section ? `avsnitt ${c.section}` : c.part || null;
  }

  // A chip's accessible name starts with the number it shows ("1: Källa …"), so a user who says or sees "1" finds it
  // (WCAG 2.5.3, axe's label-content-name-mismatch).
  function citationLabel(c) {
    const where = [c.municipality, c.year].filter(Boolean).join(" ");
    return [`${c.n}: Källa ${c.title || c.document_id}${where ? ` (${where})` : ""}`, place(c), c.page != null ? `sida ${c.page}` : null].filter(Boolean).join(", ");
  }

  function chip(n, citation) {
    if (!citation) return el("span", { class: "chip", "aria-hidden": "true", text: String(n) });
    return el("button", {
      type: "button", class: "chip", "data-n": String(n), "aria-label": citationLabel(citation),
      "aria-controls": "reader", "aria-expanded": "false", title: citationLabel(citation),
      onclick: (event) => openCitation([citation], event.currentTarget),
    }, String(n));
  }

  // Inline text: citation markers become chips, **bold** becomes <strong>; every piece is a text node, so
  // nothing in an answer is ever parsed as HTML.
  function withMarkers(parent, text, citations) {
    for (const part of text.split(/(\[\d+\]|\((?:avsnitt|section) [^()]+\)|\*\*[^*\n]+\*\*)/)) {
      const marker = part.match(/^\[(\d+)\]$/);
      if (marker) {
        const n = Number(marker[1]);
        parent.append(chip(n, citations && citations.find((c) => c.n === n)));
      } else if (/^\((?:avsnitt|section) [^()]+\)$/.test(part)) {
        parent.append(el("span", { class: "where", text: part }));
      } else if (/^\*\*[^*\n]+\*\*$/.test(part)) {
        parent.append(el("strong", { text: part.slice(2, -2) }));
      } else if (part) {
        parent.append(document.createTextNode(shown(part)));
      }
    }
  }

  const TABLE_ROW = /^\s*\|.*\|\s*$/;
  const TABLE_RULE = /^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$/;

  function tableOf(rows, inline) {
    const cells = (row) => row.trim().replace(/^\||\|$/g, "").split("|").map((c) => c.trim());
    const table = el("table");
    const [head, ...body] = rows;
    const hasHead = body.length && TABLE_RULE.test(body[0]);
    if (hasHead) {
      table.append(el("thead", {}, el("tr", {}, ...cells(head).map((c) => { const th = el("th", { scope: "col" }); inline(th, c); return th; }))));
      body.shift();
    } else {
      body.unshift(head);
    }
    table.append(el("tbody", {}, ...body.map((row) => el("tr", {}, ...cells(row).map((c) => { const td = el("td"); inline(td, c); return td; })))));
    return el("div", { class: "table-wrap" }, table);
  }

  // Answer lines: "Origin, avsnitt X: sentence [n]", list items "- item [n]" or "1. item", Markdown tables
  // "| a | b |", and lead lines ending in ":".
  function renderAnswer(container, text, citations) {
    container.replaceChildren();
    const inline = (node, t) => withMarkers(node, t, citations);
    const lines = text.split("\n");
    let list = null;
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i];
      if (!line.trim()) { list = null; continue; }
      if (TABLE_ROW.test(line)) {
        const rows = [];
        while (i < lines.length && (TABLE_ROW.test(lines[i]) || TABLE_RULE.test(lines[i]))) rows.push(lines[i++]);
        i--;
        container.append(tableOf(rows, inline));
        list = null;
        continue;
      }
      const item = line.match(/^\s*(?:[-•*]|(\d+)[.)])\s+(.*)$/);
      if (item) {
        const kind = item[1] ? "ol" : "ul";
        if (!list || list.tagName.toLowerCase() !== kind) { list = el(kind); container.append(list); }
        const li = el("li");
        inline(li, item[2]);
        list.append(li);
        continue;
      }
      list = null;
      // A refusal names what the reports cover: a note of its own.
      const refusal = line.match(/^(.*?[.:]) ((?:Rapporterna gäller|The reports cover) .*)$/);
      if (refusal) {
        const p = el("p");
        inline(p, refusal[1]);
        container.append(p, el("p", { class: "note", text: refusal[2] }));
        continue;
      }
      const p = el("p");
      const origin = line.match(ORIGIN);
      if (origin) {
        p.append(el("span", { class: "origin", text: origin[1] }));
        inline(p, origin[2]);
      } else {
        if (/:\s*$/.test(line)) p.className = "lead";
        inline(p, line);
      }
      container.append(p);
    }
  }

  // Sources grouped by report, then by place: the title once, one button per section (and page), however many
  // of its passages the answer cites. The button's name is its visible text, so what a screen reader says and
  // what a voice user reads out are the same.
  function renderSources(turn, citations) {
    const list = $(".source-list", turn);
    list.replaceChildren();
    const groups = new Map();
    for (const c of citations) {
      if (!groups.has(c.document_id)) groups.set(c.document_id, new Map());
      const places = groups.get(c.document_id);
      const key = `${place(c) || ""}|${c.page ?? ""}`;
      if (!places.has(key)) places.set(key, []);
      places.get(key).push(c);
    }
    for (const places of groups.values()) {
      const first = places.values().next().value[0];
      const where = [first.municipality, first.year].filter(Boolean).join(" ");
      const refs = el("ul", { class: "source-refs" });
      for (const group of places.values()) {
        const c = group[0];
        const label = [place(c), c.page != null ? `s. ${c.page}` : null].filter(Boolean).join(", ") || "rapporten";
        const numbers = group.map((g) => g.n).join(", ");
        refs.append(el("li", {}, el("button", {
          type: "button", class: "source", "data-n": String(c.n), "aria-controls": "reader", "aria-expanded": "false",
          onclick: (event) => openCitation(group, event.currentTarget),
        }, el("span", { class: "source-numbers", text: `[${numbers}]` }), el("span", { text: label }))));
      }
      list.append(el("li", { class: "source-doc" },
        el("p", { class: "source-head" }, el("span", { class: "source-title", text: first.title || first.document_id }), where ? el("span", { class: "source-where", text: where }) : ""),
        refs));
    }
    $(".sources", turn).hidden = citations.length === 0;
  }

  function plainAnswer(text, citations) {
    if (!citations.length) return text;
    const lines = citations.map((c) => {
      const where = [c.municipality, c.year].filter(Boolean).join(" ");
      return [`[${c.n}] ${c.title || c.document_id}${where ? ` (${where})` : ""}`, place(c), c.page != null ? `s. ${c.page}` : null].filter(Boolean).join(", ");
    });
    return `${text}\n\nKällor:\n${lines.join("\n")}`;
  }

  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return;
    }
    const area = el("textarea", { readonly: "", "aria-hidden": "true" });
    area.value = text;
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }

  // ---- scrolling the log ----
  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 120;
  }
  function scrollToEnd(force = false) {
    if (force || nearBottom()) log.scrollTop = log.scrollHeight;
  }
  // Re-render a turn; a reader following along at the end keeps following, and sees the question of a
  // long answer rather than only its last lines.
  function follow(turn, render) {
    const stick = nearBottom();
    render();
    if (!stick) return;
    if (turn.offsetHeight > log.clientHeight) log.scrollTop = turn.offsetTop - 16;
    else log.scrollTop = log.scrollHeight;
  }

  // ---- asking ----
  function newTurn(question) {
    welcome.hidden = true;
    const turn = turnTemplate.content.firstElementChild.cloneNode(true);
    $(".question-bubble", turn).textContent = shown(question);
    return turn;
  }

  function setBusy(busy) {
    state.busy = busy;
    send.hidden = busy;
    stop.hidden = !busy;
  }

  // `replacing`: the turn "Svara igen" asks anew; the new answer takes its place.
  async function ask(question, replacing = null) {
    question = question.trim();
    if (!question || state.busy) return;
    const turn = newTurn(question);
    if (replacing) replacing.replaceWith(turn);
    else log.append(turn);
    const answer = $(".answer", turn);
    const textBox = $(".answer-text", turn);
    scrollToEnd(true);

    if (!replacing) { input.value = ""; autosize(); }
    setBusy(true);
    state.controller = new AbortController();

    // The first question starts a conversation; the server names it, and later questions continue it.
    const payload = { question };
    if (state.conversationId) payload.conversation_id = state.conversationId;
    else payload.conversation = true;
    if (municipality.value) payload.filters = { municipality: [municipality.value] };

    let text = "";
    let citations = [];
    let done = null;
    try {
      await streamAsk(payload, {
        answer: (data) => {
          text += data.text;
          follow(turn, () => renderAnswer(textBox, text, null));
        },
        citations: (data) => { citations = data.citations; },
        done: (data) => { done = data; },
      }, state.controller.signal);
      if (!done) throw new Error("Svaret avbröts innan det var klart.");
      state.conversationId = done.conversation_id;
      follow(turn, () => finishTurn(turn, { question, text, citations, ...done }));
      loadHistory();
    } catch (error) {
      answer.setAttribute("aria-busy", "false");
      if (error.name === "AbortError") {
        // What came before the stop stays readable; the answer says it is incomplete.
        const status = $(".answer-status", turn);
        status.textContent = "Svaret stoppades";
        status.hidden = false;
        answer.classList.add("stopped");
      } else {
        answer.classList.add("error");
        textBox.replaceChildren(el("p", { text: `Något gick fel: ${error.message}` }));
      }
    } finally {
      setBusy(false);
      state.controller = null;
      input.focus({ preventScroll: true });
    }
  }

  stop.addEventListener("click", () => { if (state.controller) state.controller.abort(); });

  // A finished turn, streamed now or reopened from the history: `t` has question, text, citations, grounded,
  // answerer, resolved_question and turn (its number in the conversation).
  function finishTurn(turn, t) {
    const answer = $(".answer", turn);
    state.turns = state.turns.filter((x) => x.node !== turn);
    state.turns.push({ ...t, node: turn });
    exportButton.disabled = false;
    if (t.resolved_question && t.resolved_question !== t.question) {
      const resolved = $(".resolved", turn);
      resolved.replaceChildren("Tolkad som: ", el("strong", { text: t.resolved_question }));
      resolved.hidden = false;
    }
    if (!t.grounded) {
      answer.classList.add("ungrounded");
      const status = $(".answer-status", turn);
      status.textContent = t.answerer === "clarification" ? "Förtydliga frågan" : "Inget stöd i rapporterna";
      status.hidden = false;
    }
    renderAnswer($(".answer-text", turn), t.text, t.citations);
    renderSources(turn, t.citations);
    $(".answer-actions", turn).hidden = false;
    const copy = $(".copy", turn);
    copy.addEventListener("click", async () => {
      const label = $("span", copy);
      try {
        await copyText(plainAnswer(t.text, t.citations));
        label.textContent = "Kopierat";
        copy.classList.add("done");
      } catch {
        label.textContent = "Kunde inte kopiera";
      }
      setTimeout(() => { label.textContent = "Kopiera svar"; copy.classList.remove("done"); }, 1800);
    });
    $(".regenerate", turn).addEventListener("click", () => ask(t.question, turn));
    wireFeedback(turn, t);
    answer.setAttribute("aria-busy", "false");
  }

  // ---- feedback: 👍/👎 on a kept turn, then an optional comment ----
  function wireFeedback(turn, t) {
    const form = $(".feedback-form", turn);
    const comment = $(".feedback-comment", turn);
    const status = $(".feedback-status", turn);
    const buttons = turn.querySelectorAll(".rate");
    let rating = null;
    async function send(withComment) {
      status.textContent = "Skickar …";
      try {
        const response = await api("/v1/feedback", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ conversation_id: state.conversationId, turn: t.turn, rating, comment: withComment ? comment.value.trim() || null : null }),
        });
        if (!response.ok) throw new Error(String(response.status));
        status.textContent = withComment ? "Tack! Kommentaren är sparad." : "Tack för återkopplingen.";
      } catch {
        status.textContent = "Återkopplingen kunde inte sparas.";
      }
    }
    for (const button of buttons) {
      button.disabled = t.turn == null;  // only a kept turn can be rated
      button.addEventListener("click", () => {
        rating = button.dataset.rating;
        for (const b of buttons) b.setAttribute("aria-pressed", String(b === button));
        form.hidden = false;
        send(false);
      });
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      send(true);
    });
  }

  // ---- the conversation history of this key ----
  async function loadHistory() {
    let conversations = [];
    try {
      const response = await api("/v1/conversations", { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      ({ conversations } = await response.json());
    } catch { return; }
    historyList.replaceChildren(...conversations.map(historyItem));
    historyEmpty.hidden = conversations.length > 0;
  }

  function historyItem(c) {
    const open = el("button", { type: "button", class: "history-open", "aria-current": String(c.conversation_id === state.conversationId), onclick: () => reopen(c.conversation_id) }, c.title);
    const rename = el("button", { type: "button", class: "icon-button small", "aria-label": `Byt namn på ${c.title}`, title: "Byt namn", onclick: () => startRename(item, c) }, "✎");
    const remove = el("button", { type: "button", class: "icon-button small", "aria-label": `Ta bort ${c.title}`, title: "Ta bort", onclick: () => removeConversation(c, remove) }, "✕");
    const item = el("li", { class: "history-item", "data-id": c.conversation_id }, open, rename, remove);
    return item;
  }

  function startRename(item, c) {
    const field = el("input", { type: "text", class: "history-rename", "aria-label": "Nytt namn på samtalet", maxlength: "200" });
    field.value = c.title;
    const form = el("form", { class: "history-rename-form" }, field);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const title = field.value.trim();
      if (title) {
        await api(`/v1/conversations/${encodeURIComponent(c.conversation_id)}`, {
          method: "PATCH", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ title }),
        });
      }
      await loadHistory();
    });
    field.addEventListener("keydown", (event) => { if (event.key === "Escape") { event.stopPropagation(); loadHistory(); } });
    item.replaceChildren(form);
    field.focus();
    field.select();
  }

  // Deleting asks once more on the same button: a slip of the mouse should not lose a conversation.
  async function removeConversation(c, button) {
    if (!button.classList.contains("confirm")) {
      button.classList.add("confirm");
      button.textContent = "Ta bort?";
      button.setAttribute("aria-label", `Bekräfta: ta bort ${c.title}`);
      setTimeout(() => { if (document.contains(button)) { button.classList.remove("confirm"); button.textContent = "✕"; button.setAttribute("aria-label", `Ta bort ${c.title}`); } }, 4000);
      return;
    }
    await api(`/v1/conversations/${encodeURIComponent(c.conversation_id)}`, { method: "DELETE" });
    if (c.conversation_id === state.conversationId) startOver();
    await loadHistory();
  }

  async function reopen(id) {
    if (state.busy) return;
    const response = await api(`/v1/conversations/${encodeURIComponent(id)}`, { headers: { Accept: "application/json" } });
    if (!response.ok) { await loadHistory(); return; }
    const conversation = await response.json();
    startOver();
    state.conversationId = conversation.conversation_id;
    for (const m of conversation.messages) {
      const turn = newTurn(m.question);
      log.append(turn);
      finishTurn(turn, { ...m, text: m.answer });
    }
    scrollToEnd(true);
    loadHistory();
  }

  // ---- export: the conversation as Markdown, with its citations and quotes ----
  function conversationMarkdown() {
    const out = ["# Samtal med Revisionsfrågor", ""];
    for (const t of state.turns) {
      out.push(`## ${t.question}`, "");
      if (t.resolved_question && t.resolved_question !== t.question) out.push(`*Tolkad som: ${t.resolved_question}*`, "");
      out.push(t.text, "");
      if (t.citations.length) {
        out.push("### Källor", "");
        for (const c of t.citations) {
          const where = [c.municipality, c.year].filter(Boolean).join(" ");
          const at = [place(c), c.page != null ? `s. ${c.page}` : null].filter(Boolean).join(", ");
          out.push(`[${c.n}] ${c.title || c.document_id}${where ? ` (${where})` : ""}${at ? `, ${at}` : ""}`, "", `> ${c.quote.replace(/\n/g, "\n> ")}`, "");
        }
      }
    }
    return out.join("\n");
  }

  exportButton.addEventListener("click", () => {
    const blob = new Blob([conversationMarkdown()], { type: "text/markdown;charset=utf-8" });
    const link = el("a", { href: URL.createObjectURL(blob), download: "samtal.md" });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  });

  // ---- the document reader ----
  function documentDetail(id) {
    if (!state.texts.has(id)) {
      const promise = api(`/v1/documents/${encodeURIComponent(id)}`, { headers: { Accept: "application/json" } })
        .then(async (response) => {
          if (!response.ok) throw new Error(`Dokumentet kunde inte hämtas (${response.status}).`);
          return response.json();
        });
      promise.catch(() => state.texts.delete(id));
      state.texts.set(id, promise);
    }
    return state.texts.get(id);
  }

  function setExpanded(button, expanded) {
    if (!button) return;
    const turn = button.closest(".turn");
    if (!turn) return;
    for (const b of turn.querySelectorAll(`[data-n="${button.dataset.n}"][aria-expanded]`)) b.setAttribute("aria-expanded", String(expanded));
  }

  // The report's text as blocks: runs of table rows (cells split by tabs, or Markdown pipes) become tables,
  // "# " lines headings, everything else stays as written; a page's first line gets the page's number.
  function textBlocks(text, offset, pageStarts) {
    const out = [];
    let plain = "";
    let table = null;
    const flushPlain = () => { if (plain) { out.push(document.createTextNode(shown(plain))); plain = ""; } };
    const flushTable = () => { if (table) { out.push(el("div", { class: "table-wrap" }, table)); table = null; } };
    let at = offset;
    for (const line of text.split(/(?<=\n)/)) {
      const page = pageStarts.get(at);
      at += line.length;
      if (page != null) { flushPlain(); flushTable(); out.push(el("span", { class: "page-mark", text: `Sida ${page}` })); }
      const body = line.replace(/\n$/, "");
      const cells = /\t/.test(body.trim()) ? body.split("\t") : TABLE_ROW.test(body) ? body.trim().replace(/^\||\|$/g, "").split("|") : null;
      if (cells && !TABLE_RULE.test(body)) {
        flushPlain();
        if (!table) table = el("table", { class: "doc-table" });
        table.append(el("tr", {}, ...cells.map((c) => el("td", { text: c.trim() }))));
        continue;
      }
      if (cells) continue;  // a Markdown table's rule line
      flushTable();
      const heading = body.match(/^#{1,6}\s+(.*)$/);
      if (heading) { flushPlain(); out.push(el("span", { class: "doc-heading", text: heading[1] })); continue; }
      plain += line;
    }
    flushPlain();
    flushTable();
    return out;
  }

  // Opens the reader at the cited passages (one chip: one citation; a source entry: every citation of that
  // section), each quote marked.
  async function openCitation(group, opener) {
    const c = group[0];
    setExpanded(state.opener, false);
    state.opener = opener;
    setExpanded(opener, true);
    readerKicker.textContent = [c.municipality, c.year].filter(Boolean).join(" ") || "Dokument";
    readerTitle.textContent = c.title || c.document_id;
    const at = place(c);
    readerWhere.textContent = [at && at[0].toUpperCase() + at.slice(1), c.page != null ? `sida ${c.page}` : null, `källa [${group.map((g) => g.n).join(", ")}]`].filter(Boolean).join(" · ");
    readerBody.replaceChildren(el("p", { class: "reader-loading", text: "Hämtar dokumentet …" }));
    reader.hidden = false;
    readerTitle.focus({ preventScroll: true });
    let detail;
    try {
      detail = await documentDetail(c.document_id);
    } catch (error) {
      readerBody.replaceChildren(el("p", { class: "reader-loading", text: error.message }));
      return;
    }
    if (state.opener !== opener) return;  // another citation was opened meanwhile
    const text = detail.text;
    const spans = [];
    for (const g of group) {
      let [start, end, qStart, qEnd] = [g.char_start, g.char_end, g.quote_start, g.quote_end];
      if (text.slice(start, end) !== g.text) {
        // The document changed since the answer: find the passage by its text instead.
        const found = text.indexOf(g.text);
        if (found < 0) continue;
        [qStart, qEnd] = [found + (qStart - start), found + (qEnd - start)];
        [start, end] = [found, found + g.text.length];
      }
      spans.push({ start, end, qStart, qEnd });
    }
    if (!spans.length) {
      readerBody.replaceChildren(el("p", { class: "reader-loading", text: "Textstället finns inte längre i dokumentet. Det citerade stycket:" }), el("span", { class: "passage" }, el("mark", { text: c.quote })));
      return;
    }
    spans.sort((a, b) => a.qStart - b.qStart);
    const start = Math.min(...spans.map((x) => x.start));
    const end = Math.max(...spans.map((x) => x.end));
    const pageStarts = new Map((detail.page_spans || []).map((p) => [p.char_start, p.page]));
    // The passage is a block: white space at its edges would only widen the gaps around it.
    const before = text.slice(0, start).replace(/[ \t]+$/, "");
    const after = text.slice(end).replace(/^[ \t]*\n?/, "").replace(/^\s*\n/, "");
    const passage = el("span", { class: "passage", id: "cited-passage" });
    let cursor = start;
    const marks = [];
    for (const x of spans) {
      if (x.qStart < cursor) continue;  // overlapping quotes: the first one marks the place
      const lead = text.slice(cursor, x.qStart);
      passage.append(cursor === start ? lead.replace(/^\s+/, "") : lead);
      const mark = el("mark", { text: text.slice(x.qStart, x.qEnd) });
      marks.push(mark);
      passage.append(mark);
      cursor = x.qEnd;
    }
    passage.append(text.slice(cursor, end).replace(/\s+$/, ""));
    readerBody.replaceChildren(...textBlocks(before, 0, pageStarts), passage, ...textBlocks(after, text.length - after.length, pageStarts));
    requestAnimationFrame(() => marks[0].scrollIntoView({ block: "center", behavior: "instant" }));
  }

  function closeReader() {
    if (reader.hidden) return;
    reader.hidden = true;
    setExpanded(state.opener, false);
    const opener = state.opener;
    state.opener = null;
    if (opener && document.contains(opener)) opener.focus();
    else input.focus();
  }

  // ---- composer ----
  function autosize() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, window.innerHeight * 0.4)}px`;
  }

  input.addEventListener("input", autosize);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ask(input.value);
    }
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    ask(input.value);
  });
  function startOver() {
    if (state.controller) state.controller.abort();
    state.conversationId = null;
    state.turns = [];
    exportButton.disabled = true;
    for (const turn of log.querySelectorAll(".turn")) turn.remove();
    welcome.hidden = false;
    closeReader();
  }

  newConversation.addEventListener("click", () => {
    startOver();
    loadHistory();
    input.value = "";
    autosize();
    input.focus();
  });

  // ---- upload (admin keys): drop or pick a file, follow the ingest job, offer to replace an existing report ----
  openUpload.addEventListener("click", () => {
    upload.hidden = !upload.hidden;
    openUpload.setAttribute("aria-expanded", String(!upload.hidden));
    if (!upload.hidden) uploadFile.focus();
  });

  const STAGES = { loading: "läser filen", parsing: "delar upp texten", embedding: "beräknar sökindex", storing: "sparar", live: "klar", done: "klar" };
  let pendingFile = null;

  async function sendUpload(file, replace) {
    pendingFile = file;
    uploadReplace.hidden = true;
    uploadStatus.textContent = `Laddar upp ${file.name} …`;
    uploadProgress.hidden = false;
    uploadProgress.removeAttribute("value");
    const body = new FormData();
    body.append("file", file, file.name);
    let response;
    try {
      response = await api(`/v1/documents${replace ? "?replace=true" : ""}`, { method: "POST", body });
    } catch (error) {
      uploadStatus.textContent = error instanceof KeyNeeded ? "Ange en API-nyckel först." : "Uppladdningen misslyckades.";
      uploadProgress.hidden = true;
      return;
    }
    if (response.status === 409) {
      uploadStatus.textContent = `Det finns redan en rapport från filen ${file.name}.`;
      uploadProgress.hidden = true;
      uploadReplace.hidden = false;
      return;
    }
    if (!response.ok) {
      let detail = `Servern svarade ${response.status}.`;
      try { detail = (await response.json()).detail || detail; } catch { /* not JSON */ }
      uploadStatus.textContent = response.status === 403 ? "Nyckeln saknar behörighet att ladda upp rapporter." : `Uppladdningen misslyckades: ${detail}`;
      uploadProgress.hidden = true;
      return;
    }
    followJob((await response.json()).status_url, file.name);
  }

  async function followJob(url, name) {
    for (;;) {
      const response = await api(url, { headers: { Accept: "application/json" } });
      if (!response.ok) { uploadStatus.textContent = "Förloppet kunde inte hämtas."; return; }
      const job = await response.json();
      const { stage, chunks_done: done, chunks_total: total } = job.progress;
      if (total) { uploadProgress.max = total; uploadProgress.value = done; }
      if (job.status === "failed") {
        uploadStatus.textContent = `Inläsningen misslyckades: ${job.error ? job.error.detail : "okänt fel"}`;
        uploadProgress.hidden = true;
        return;
      }
      if (job.status === "done") {
        uploadProgress.hidden = true;
        const d = job.document;
        uploadStatus.textContent = `Klar: ${d.title || d.document_id}${d.municipality ? ` (${d.municipality})` : ""} är inläst och går att fråga om.`;
        state.texts.delete(d.document_id);
        await loadDocuments();
        return;
      }
      uploadStatus.textContent = `${name}: ${STAGES[stage] || "i kö"}${total ? ` (${done} av ${total} delar)` : ""} …`;
      await new Promise((resolve) => setTimeout(resolve, 600));
    }
  }

  uploadFile.addEventListener("change", () => { if (uploadFile.files[0]) sendUpload(uploadFile.files[0], false); uploadFile.value = ""; });
  uploadReplace.addEventListener("click", () => { if (pendingFile) sendUpload(pendingFile, true); });
  for (const type of ["dragenter", "dragover"]) {
    dropzone.addEventListener(type, (event) => { event.preventDefault(); dropzone.classList.add("over"); });
  }
  dropzone.addEventListener("dragleave", () => dropzone.classList.remove("over"));
  dropzone.addEventListener("drop", (event) => {
    event.preventDefault();
    dropzone.classList.remove("over");
    const file = event.dataTransfer.files[0];
    if (file) sendUpload(file, false);
  });

  readerClose.addEventListener("click", closeReader);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !reader.hidden) {
      event.preventDefault();
      closeReader();
    }
  });

  forgetKey.hidden = !state.key;
  loadDocuments();
  loadHistory();
  input.focus();
})();
