// The live retro board: renders the state the server sends (server-sent events) and posts changes.
(function () {
  "use strict";
  const root = document.getElementById("retro");
  if (!root) { return; }
  const id = root.getAttribute("data-retro");
  const csrf = root.getAttribute("data-csrf");
  const board = document.getElementById("board");
  const errorBox = document.getElementById("error");
  const connection = document.getElementById("connection");
  let state = JSON.parse(document.getElementById("retro-state").textContent);
  let timerHandle = null;
  let rendered = false;
  const drafts = {};  // text being typed in rebuilt fields, by field id, kept across live updates

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([key, value]) {
      if (key === "text") { node.textContent = value; } else if (value !== null && value !== undefined) { node.setAttribute(key, value); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  function post(path, body) {
    errorBox.hidden = true;
    return fetch("/api/v1/retros/" + id + path, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error ? data.error.message : "Something went wrong"); }
        if (data && data.version !== undefined) { render(data); }
        return data;
      });
    }).catch(function (problem) { errorBox.textContent = problem.message; errorBox.hidden = false; });
  }

  function cardNode(card) {
    return el("li", { class: "retro-card" + (card.mine ? " mine" : ""), "data-card": card.id, text: card.text });
  }

  // Columns are built once per phase; updates only refill their card lists, so what someone is
  // typing (and the keyboard focus) survives the live updates from others.
  function fillColumns() {
    board.querySelectorAll(".retro-column").forEach(function (section) {
      const column = section.getAttribute("data-column");
      const list = section.querySelector(".retro-cards");
      list.replaceChildren();
      state.cards.filter(function (c) { return c.column === column; }).forEach(function (c) { list.appendChild(cardNode(c)); });
      const hidden = (state.hidden_cards || {})[column] || 0;
      section.querySelector(".hidden-count").textContent =
        hidden ? hidden + " private card" + (hidden === 1 ? "" : "s") + " from others" : "";
    });
  }

  function renderReflect() {
    const columns = el("div", { class: "retro-columns" });
    state.columns.forEach(function (column, index) {
      const inputId = "card-" + index;
      const input = el("textarea", { id: inputId, rows: "2", "aria-label": "New card in " + column });
      const add = el("button", { type: "button", text: "Add card" });
      add.addEventListener("click", function () {
        const text = input.value;
        if (!text.trim()) { return; }
        input.value = "";
        post("/cards", { column: column, text: text }).then(function () { input.focus(); });
      });
      const writing = state.phase === "reflect";
      columns.appendChild(el("section", { class: "panel retro-column", "data-column": column }, [
        el("h3", { text: column }), el("ul", { class: "retro-cards" }), el("p", { class: "muted small hidden-count" }),
        writing ? input : null, writing ? add : null,
      ]));
    });
    return columns;
  }

  function renderGroup() {
    const wrap = el("div", {});
    const suggest = el("button", { type: "button", class: "secondary", text: "Suggest themes" });
    suggest.addEventListener("click", function () {
      fetch("/api/v1/retros/" + id + "/suggestions", { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (groups) {
          groups.reduce(function (chain, group) {
            const first = state.cards.find(function (c) { return c.id === group[0]; });
            return chain.then(function () { return post("/themes", { title: first ? first.text : "Theme", card_ids: group }); });
          }, Promise.resolve());
        });
    });
    wrap.appendChild(el("p", { class: "row" }, [suggest]));
    const themeTitle = el("input", { id: "theme-title", placeholder: "New theme title" });
    themeTitle.value = drafts["theme-title"] || "";
    themeTitle.addEventListener("input", function () { drafts["theme-title"] = themeTitle.value; });
    const addTheme = el("button", { type: "button", text: "Add theme" });
    addTheme.addEventListener("click", function () {
      delete drafts["theme-title"];
      post("/themes", { title: themeTitle.value, card_ids: [] });
    });
    wrap.appendChild(el("p", { class: "row" }, [el("label", { for: "theme-title", text: "Theme" }), themeTitle, addTheme]));
    const list = el("ul", { class: "retro-cards" });
    state.cards.forEach(function (card) {
      const select = el("select", { "aria-label": "Theme of: " + card.text });
      select.appendChild(el("option", { value: "", text: "no theme" }));
      state.themes.forEach(function (theme) {
        const option = el("option", { value: String(theme.id), text: theme.title });
        if (card.theme_id === theme.id) { option.selected = true; }
        select.appendChild(option);
      });
      select.addEventListener("change", function () {
        post("/cards/" + card.id + "/move", { theme_id: select.value ? Number(select.value) : null });
      });
      const item = cardNode(card);
      item.appendChild(select);
      list.appendChild(item);
    });
    wrap.appendChild(list);
    return wrap;
  }

  function renderThemes() {
    const list = el("ol", { class: "retro-themes" });
    state.themes.forEach(function (theme) {
      const cards = el("ul", {});
      state.cards.filter(function (c) { return c.theme_id === theme.id; }).forEach(function (c) { cards.appendChild(cardNode(c)); });
      const item = el("li", { class: "panel", "data-theme": theme.id }, [
        el("h3", { text: theme.title + (theme.votes !== null ? " — " + theme.votes + " vote" + (theme.votes === 1 ? "" : "s") : "") }), cards]);
      if (state.phase === "vote") {
        const plus = el("button", { type: "button", text: "Vote", "aria-label": "Vote for " + theme.title });
        plus.addEventListener("click", function () { post("/votes", { theme_id: theme.id, add: true }); });
        const minus = el("button", { type: "button", class: "secondary", text: "Take back", "aria-label": "Take back a vote from " + theme.title });
        minus.addEventListener("click", function () { post("/votes", { theme_id: theme.id, add: false }); });
        item.appendChild(el("p", { class: "row" }, [plus, minus, el("span", { class: "muted small", text: "your votes: " + theme.my_votes })]));
      }
      if (state.phase === "discuss" || state.phase === "actions") {
        const notesId = "notes-" + theme.id;
        const notes = el("textarea", { id: notesId, rows: "2" });
        notes.value = drafts[notesId] !== undefined ? drafts[notesId] : theme.notes;
        notes.addEventListener("input", function () { drafts[notesId] = notes.value; });
        const save = el("button", { type: "button", class: "secondary", text: "Save notes" });
        save.addEventListener("click", function () {
          delete drafts[notesId];
          post("/themes/" + theme.id + "/notes", { notes: notes.value });
        });
        item.appendChild(el("label", { for: notesId, text: "Notes" }));
        item.appendChild(notes);
        item.appendChild(save);
      }
      list.appendChild(item);
    });
    return list;
  }

  function renderActions() {
    const wrap = el("section", { class: "panel" }, [el("h2", { text: "Actions" })]);
    const list = el("ul", {});
    state.actions.forEach(function (a) { list.appendChild(el("li", {}, [el("a", { href: "/actions/" + a.id, text: a.title })])); });
    wrap.appendChild(list);
    if (state.phase === "discuss" || state.phase === "actions") {
      const title = el("input", { id: "action-title", placeholder: "What will we change?" });
      title.value = drafts["action-title"] || "";
      title.addEventListener("input", function () { drafts["action-title"] = title.value; });
      const add = el("button", { type: "button", text: "Add action" });
      add.addEventListener("click", function () {
        if (title.value.trim()) { delete drafts["action-title"]; post("/actions", { title: title.value }); }
      });
      wrap.appendChild(el("p", { class: "row" }, [el("label", { for: "action-title", text: "New action" }), title, add]));
    }
    if (state.phase === "finished") {
      wrap.appendChild(el("p", {}, [el("a", { href: "/retros/" + id + "/export.md", text: "Download as Markdown" })]));
    }
    return wrap;
  }

  function renderTimer() {
    const timer = document.getElementById("timer");
    if (timerHandle) { window.clearInterval(timerHandle); timerHandle = null; }
    if (!state.timer_ends_at) { timer.textContent = ""; return; }
    const ends = new Date(state.timer_ends_at).getTime();
    function tick() {
      const left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      timer.textContent = "Time left: " + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (!left && timerHandle) { window.clearInterval(timerHandle); }
    }
    tick();
    timerHandle = window.setInterval(tick, 1000);
  }

  function visible(snapshot) {
    return JSON.stringify(Object.assign({}, snapshot, { version: 0 }));
  }

  function render(next) {
    if (next.version < state.version || (next.version === state.version && rendered)) { return; }
    // Others' changes that do not alter what this person sees (a vote while counts are hidden) redraw
    // nothing, so a click in progress is never lost to a redraw.
    if (rendered && visible(next) === visible(state)) { state = next; return; }
    rendered = true;
    state = next;
    document.querySelectorAll(".phases li").forEach(function (li) {
      li.classList.toggle("current", li.getAttribute("data-phase") === state.phase);
      if (li.getAttribute("data-phase") === state.phase) { li.setAttribute("aria-current", "step"); } else { li.removeAttribute("aria-current"); }
    });
    document.getElementById("review-panel").hidden = state.phase !== "review";
    // The health-check panel is drawn by the server beside the board, outside the redrawn region; it
    // belongs to reviewing and reflecting, so it goes away (open or closed, as left) once the retro moves on.
    const healthPanel = document.getElementById("health-panel");
    if (healthPanel) { healthPanel.hidden = state.phase !== "review" && state.phase !== "reflect"; }
    if ((state.phase === "review" || state.phase === "reflect") && board.getAttribute("data-phase") === state.phase) {
      fillColumns();
      renderTimer();
      return;
    }
    board.replaceChildren();
    board.setAttribute("data-phase", state.phase);
    if (state.phase === "review" || state.phase === "reflect") { board.appendChild(renderReflect()); fillColumns(); }
    if (state.phase === "group") { board.appendChild(renderGroup()); }
    if (["vote", "discuss", "actions", "finished"].indexOf(state.phase) >= 0) {
      if (state.phase === "vote") { board.appendChild(el("p", { class: "muted", text: "Votes left: " + state.votes_left + " of " + state.vote_budget + ". Counts stay hidden until voting ends." })); }
      board.appendChild(renderThemes());
    }
    if (["discuss", "actions", "finished"].indexOf(state.phase) >= 0) { board.appendChild(renderActions()); }
    renderTimer();
  }

  document.getElementById("advance").addEventListener("click", function () { post("/advance"); });
  document.getElementById("start-timer").addEventListener("click", function () {
    post("/timer", { minutes: Number(document.getElementById("timer-minutes").value) || 0 });
  });

  function connect() {
    const source = new EventSource("/retros/" + id + "/events");
    source.addEventListener("open", function () { connection.textContent = "Live"; });
    source.addEventListener("state", function (event) { render(JSON.parse(event.data)); });
    source.addEventListener("error", function () { connection.textContent = "Reconnecting…"; });
  }
  render(state);
  connect();
})();
