// Revisionsfrågor: the chat page. Plain JS, no build step: streams /v1/ask, opens cited passages.
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
      const { documents } = await response.json();
      state.documents.clear();
      municipality.replaceChildren(new Option("Alla kommuner", ""));
      for (const d of documents) state.documents.set(d.document_id, d);
      const names = [...new Set(documents.map((d) => d.municipality).filter(Boolean))].sort((a, b) => a.localeCompare(b, "sv"));
      for (const name of names) {
        const count = documents.filter((d) => d.municipality === name).length;
        municipality.append(new Option(count > 1 ? `${name} (${count} rapporter)` : name, name));
      }
      corpusStatus.textContent = documents.length
        ? `${documents.length} ${documents.length === 1 ? "rapport" : "rapporter"} från ${names.length} ${names.length === 1 ? "kommun" : "kommuner"} · svar med exakta källhänvisningar`
        : "Inga rapporter är inlästa ännu";
    } catch (error) {
      corpusStatus.textContent = error instanceof KeyNeeded ? "Ange en API-nyckel för att använda tjänsten" : "Kunde inte hämta listan över rapporter";
    }
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
  const ORIGIN = /^(.+?, avsnitt [^:]+): ([\s\S]*)$/;

  // Where a passage stands: "avsnitt 2.6.4", else the report part ("missiv"); never an empty "avsnitt".
  function place(c) {
    return c.section ? `avsnitt ${c.section}` : c.part || null;
  }

  function citationLabel(c) {
    const where = [c.municipality, c.year].filter(Boolean).join(" ");
    return [`Källa ${c.n}: ${c.title || c.document_id}${where ? ` (${where})` : ""}`, place(c), c.page != null ? `sida ${c.page}` : null].filter(Boolean).join(", ");
  }

  function chip(n, citation) {
    if (!citation) return el("span", { class: "chip", "aria-hidden": "true", text: String(n) });
    return el("button", {
      type: "button", class: "chip", "data-n": String(n), "aria-label": citationLabel(citation),
      "aria-controls": "reader", "aria-expanded": "false", title: citationLabel(citation),
      onclick: (event) => openCitation(citation, event.currentTarget),
    }, String(n));
  }

  function withMarkers(parent, text, citations) {
    for (const part of text.split(/(\[\d+\]|\(avsnitt [^()]+\))/)) {
      const marker = part.match(/^\[(\d+)\]$/);
      if (marker) {
        const n = Number(marker[1]);
        parent.append(chip(n, citations && citations.find((c) => c.n === n)));
      } else if (/^\(avsnitt [^()]+\)$/.test(part)) {
        parent.append(el("span", { class: "where", text: part }));
      } else if (part) {
        parent.append(document.createTextNode(part));
      }
    }
  }

  // Answer lines: "Origin, avsnitt X: sentence [n]", list items "- item [n]", and lead lines ending in ":".
  function renderAnswer(container, text, citations) {
    container.replaceChildren();
    let list = null;
    for (const line of text.split("\n")) {
      if (!line.trim()) { list = null; continue; }
      if (/^\s*[-•]\s+/.test(line)) {
        if (!list) { list = el("ul"); container.append(list); }
        const item = el("li");
        withMarkers(item, line.replace(/^\s*[-•]\s+/, ""), citations);
        list.append(item);
        continue;
      }
      list = null;
      // A refusal names what the reports cover: a note of its own.
      const refusal = line.match(/^(.*?[.:]) (Rapporterna gäller .*)$/);
      if (refusal) {
        const p = el("p");
        withMarkers(p, refusal[1], citations);
        container.append(p, el("p", { class: "note", text: refusal[2] }));
        continue;
      }
      const p = el("p");
      const origin = line.match(ORIGIN);
      if (origin) {
        p.append(el("span", { class: "origin", text: origin[1] }));
        withMarkers(p, origin[2], citations);
      } else {
        if (/:\s*$/.test(line)) p.className = "lead";
        withMarkers(p, line, citations);
      }
      container.append(p);
    }
  }

  // Sources grouped by report: the title once, then one button per cited passage.
  function renderSources(turn, citations) {
    const list = $(".source-list", turn);
    list.replaceChildren();
    const groups = new Map();
    for (const c of citations) {
      if (!groups.has(c.document_id)) groups.set(c.document_id, []);
      groups.get(c.document_id).push(c);
    }
    for (const group of groups.values()) {
      const first = group[0];
      const where = [first.municipality, first.year].filter(Boolean).join(" ");
      const refs = el("ul", { class: "source-refs" });
      for (const c of group) {
        const label = [place(c), c.page != null ? `s. ${c.page}` : null].filter(Boolean).join(", ") || "rapporten";
        refs.append(el("li", {}, el("button", {
          type: "button", class: "source", "data-n": String(c.n), "aria-controls": "reader", "aria-expanded": "false",
          "aria-label": `Öppna ${citationLabel(c)}`,
          onclick: (event) => openCitation(c, event.currentTarget),
        }, el("span", { class: "chip", "aria-hidden": "true", text: String(c.n) }), el("span", { text: label }))));
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
  async function ask(question) {
    question = question.trim();
    if (!question || state.busy) return;
    welcome.hidden = true;
    const turn = turnTemplate.content.firstElementChild.cloneNode(true);
    $(".question-bubble", turn).textContent = question;
    const answer = $(".answer", turn);
    const textBox = $(".answer-text", turn);
    log.append(turn);
    scrollToEnd(true);

    input.value = "";
    autosize();
    state.busy = true;
    send.disabled = true;
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
      follow(turn, () => finishTurn(turn, question, text, citations, done));
    } catch (error) {
      if (error.name === "AbortError") {
        turn.remove();
      } else {
        answer.classList.add("error");
        textBox.replaceChildren(el("p", { text: `Något gick fel: ${error.message}` }));
        answer.setAttribute("aria-busy", "false");
      }
    } finally {
      state.busy = false;
      state.controller = null;
      send.disabled = false;
      input.focus({ preventScroll: true });
    }
  }

  function finishTurn(turn, question, text, citations, done) {
    const answer = $(".answer", turn);
    if (done.resolved_question && done.resolved_question !== question) {
      const resolved = $(".resolved", turn);
      resolved.replaceChildren("Tolkad som: ", el("strong", { text: done.resolved_question }));
      resolved.hidden = false;
    }
    if (!done.grounded) {
      answer.classList.add("ungrounded");
      const status = $(".answer-status", turn);
      status.textContent = "Inget stöd i rapporterna";
      status.hidden = false;
    }
    renderAnswer($(".answer-text", turn), text, citations);
    renderSources(turn, citations);
    const actions = $(".answer-actions", turn);
    actions.hidden = false;
    const copy = $(".copy", turn);
    copy.addEventListener("click", async () => {
      const label = $("span", copy);
      try {
        await copyText(plainAnswer(text, citations));
        label.textContent = "Kopierat";
        copy.classList.add("done");
      } catch {
        label.textContent = "Kunde inte kopiera";
      }
      setTimeout(() => { label.textContent = "Kopiera svar"; copy.classList.remove("done"); }, 1800);
    });
    answer.setAttribute("aria-busy", "false");
  }

  // ---- the document reader ----
  function documentText(id) {
    if (!state.texts.has(id)) {
      const promise = api(`/v1/documents/${encodeURIComponent(id)}`, { headers: { Accept: "application/json" } })
        .then(async (response) => {
          if (!response.ok) throw new Error(`Dokumentet kunde inte hämtas (${response.status}).`);
          return (await response.json()).text;
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

  async function openCitation(c, opener) {
    setExpanded(state.opener, false);
    state.opener = opener;
    setExpanded(opener, true);
    readerKicker.textContent = [c.municipality, c.year].filter(Boolean).join(" ") || "Dokument";
    readerTitle.textContent = c.title || c.document_id;
    const at = place(c);
    readerWhere.textContent = [at && at[0].toUpperCase() + at.slice(1), c.page != null ? `sida ${c.page}` : null, `källa [${c.n}]`].filter(Boolean).join(" · ");
    readerBody.replaceChildren(el("p", { class: "reader-loading", text: "Hämtar dokumentet …" }));
    reader.hidden = false;
    readerTitle.focus({ preventScroll: true });
    let text;
    try {
      text = await documentText(c.document_id);
    } catch (error) {
      readerBody.replaceChildren(el("p", { class: "reader-loading", text: error.message }));
      return;
    }
    if (state.opener !== opener) return;  // another citation was opened meanwhile
    let [start, end, qStart, qEnd] = [c.char_start, c.char_end, c.quote_start, c.quote_end];
    if (text.slice(start, end) !== c.text) {
      // The document changed since the answer: find the passage by its text instead.
      const found = text.indexOf(c.text);
      if (found < 0) {
        readerBody.replaceChildren(el("p", { class: "reader-loading", text: "Textstället finns inte längre i dokumentet. Det citerade stycket:" }), el("span", { class: "passage" }, el("mark", { text: c.quote })));
        return;
      }
      [qStart, qEnd] = [found + (qStart - start), found + (qEnd - start)];
      [start, end] = [found, found + c.text.length];
    }
    const mark = el("mark", { text: text.slice(qStart, qEnd) });
    // The passage is a block: white space at its edges would only widen the gaps around it.
    const before = text.slice(0, start).replace(/[ \t]+$/, "");
    const lead = text.slice(start, qStart).replace(/^\s+/, "");
    const tail = text.slice(qEnd, end).replace(/\s+$/, "");
    const after = text.slice(end).replace(/^[ \t]*\n?/, "").replace(/^\s*\n/, "");
    const passage = el("span", { class: "passage", id: "cited-passage" }, lead, mark, tail);
    readerBody.replaceChildren(before, passage, after);
    requestAnimationFrame(() => mark.scrollIntoView({ block: "center", behavior: "instant" }));
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
  for (const example of document.querySelectorAll(".example")) {
    example.addEventListener("click", () => ask(example.textContent));
  }

  newConversation.addEventListener("click", () => {
    if (state.controller) state.controller.abort();
    state.conversationId = null;
    for (const turn of log.querySelectorAll(".turn")) turn.remove();
    welcome.hidden = false;
    closeReader();
    input.value = "";
    autosize();
    input.focus();
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
  input.focus();
})();
