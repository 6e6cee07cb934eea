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
  const noticeBox = document.getElementById("notice");
  const options = JSON.parse(document.getElementById("retro-options").textContent);
  let state = JSON.parse(document.getElementById("retro-state").textContent);
  let timerHandle = null;
  let rendered = false;
  const drafts = {};  // text being typed in rebuilt fields, by field id, kept across live updates

  const el = window.DeliveryOpsLive.el;

  function post(path, body, method) {
    errorBox.hidden = true;
    noticeBox.hidden = true;
    return fetch("/api/v1/retros/" + id + path, {
      method: method || "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error ? data.error.message : "Something went wrong"); }
        if (data && data.notice) { noticeBox.textContent = data.notice; noticeBox.hidden = false; delete data.notice; }
        if (data && data.version !== undefined) { render(data); }
        return data;
      });
    }).catch(function (problem) { errorBox.textContent = problem.message; errorBox.hidden = false; });
  }

  function cardNode(card, showColumn) {
    const item = el("li", { class: "retro-card" + (card.mine ? " mine" : ""), "data-card": card.id }, [
      showColumn ? el("span", { class: "card-column", text: card.column }) : null,
      el("span", { class: "card-text", text: card.text }),
    ]);
    if (["group", "vote", "discuss", "actions", "finished"].indexOf(state.phase) >= 0) { item.appendChild(reactionsNode(card)); }
    return item;
  }

  // A few emoji per card with their counts; one of each per participant (pressing again takes it back).
  function reactionsNode(card) {
    const row = el("div", { class: "row compact reactions" });
    const counts = card.reactions || {};
    (state.reaction_choices || []).forEach(function (emoji) {
      const count = counts[emoji] || 0;
      if (state.phase === "finished") {
        if (count) { row.appendChild(el("span", { class: "reaction", text: emoji + " " + count })); }
        return;
      }
      const pressed = (card.my_reactions || []).indexOf(emoji) >= 0;
      const button = el("button", {
        type: "button", class: "reaction secondary", "aria-pressed": pressed ? "true" : "false",
        "aria-label": "React " + emoji + " to: " + card.text + " (" + count + ")", text: emoji + (count ? " " + count : ""),
      });
      button.addEventListener("click", function () { post("/cards/" + card.id + "/reactions", { emoji: emoji }); });
      row.appendChild(button);
    });
    return row;
  }

  // The icebreaker question at the start: everyone sees it; the facilitator picks, writes or shuffles it.
  function renderIcebreaker() {
    const box = document.getElementById("icebreaker");
    const facilitator = root.getAttribute("data-facilitator") === "true";
    const early = state.phase === "review" || state.phase === "reflect";
    box.hidden = !early || (!state.icebreaker && !facilitator);
    if (box.hidden) { return; }
    const question = state.icebreaker ? el("p", { class: "icebreaker-question", text: state.icebreaker }) : el("p", { class: "muted", text: "No icebreaker yet." });
    const parts = [el("h2", { text: "Icebreaker" }), question];
    if (facilitator) {
      const pick = choice(options.icebreakers, options.icebreakers, "none");
      pick.id = "icebreaker-pick";
      const use = el("button", { type: "button", class: "secondary", text: "Ask this question" });
      use.addEventListener("click", function () { post("/icebreaker", { question: pick.value || null }); });
      const shuffle = el("button", { type: "button", class: "secondary", text: "Shuffle" });
      shuffle.addEventListener("click", function () { post("/icebreaker", { shuffle: true }); });
      parts.push(el("p", { class: "row" }, [el("label", { for: "icebreaker-pick", text: "Question" }), pick, use, shuffle]));
    }
    box.replaceChildren.apply(box, parts);
  }

  function labelled(id, label, field) {
    field.id = id;
    return [el("label", { for: id, text: label }), field];
  }

  function draft(input) {
    input.value = drafts[input.id] !== undefined ? drafts[input.id] : input.value;
    input.addEventListener("input", function () { drafts[input.id] = input.value; });
    return input;
  }

  // Rename, merge into another theme, delete: while grouping and voting (renaming until the actions).
  function themeTools(theme) {
    const tools = el("div", { class: "row compact theme-tools" });
    const rename = draft(el("input", { id: "rename-" + theme.id, value: theme.title, "aria-label": "New title of " + theme.title }));
    const renameButton = el("button", { type: "button", class: "secondary", text: "Rename", "aria-label": "Rename " + theme.title });
    renameButton.addEventListener("click", function () {
      delete drafts[rename.id];
      post("/themes/" + theme.id + "/rename", { title: rename.value });
    });
    tools.appendChild(rename);
    tools.appendChild(renameButton);
    if (state.phase !== "group" && state.phase !== "vote") { return tools; }
    const others = state.themes.filter(function (t) { return t.id !== theme.id; });
    if (others.length) {
      const into = el("select", { "aria-label": "Merge " + theme.title + " into" });
      others.forEach(function (t) { into.appendChild(el("option", { value: String(t.id), text: t.title })); });
      const merge = el("button", { type: "button", class: "secondary", text: "Merge", "aria-label": "Merge " + theme.title });
      merge.addEventListener("click", function () { post("/themes/" + theme.id + "/merge", { into_id: Number(into.value) }); });
      tools.appendChild(into);
      tools.appendChild(merge);
    }
    const remove = el("button", { type: "button", class: "secondary", text: "Delete", "aria-label": "Delete theme " + theme.title });
    remove.addEventListener("click", function () { post("/themes/" + theme.id, null, "DELETE"); });
    tools.appendChild(remove);
    return tools;
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

  function groupCard(card) {
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
    const item = cardNode(card, true);
    item.setAttribute("draggable", "true");
    item.addEventListener("dragstart", function (event) {
      event.dataTransfer.setData("text/plain", String(card.id));
      event.dataTransfer.effectAllowed = "move";
    });
    item.appendChild(select);
    return item;
  }

  // A drop zone per theme and one for loose cards; the drop-down on each card is the keyboard way.
  function dropZone(theme) {
    const cards = el("ul", { class: "retro-cards" });
    state.cards.filter(function (c) { return c.theme_id === (theme ? theme.id : null); })
      .forEach(function (c) { cards.appendChild(groupCard(c)); });
    const zone = el("section", { class: "panel retro-zone", "data-theme": theme ? theme.id : "none" }, [
      el("h3", { text: theme ? theme.title : "Not grouped" }), theme ? themeTools(theme) : null, cards]);
    zone.addEventListener("dragover", function (event) { event.preventDefault(); zone.classList.add("drop-target"); });
    zone.addEventListener("dragleave", function () { zone.classList.remove("drop-target"); });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      zone.classList.remove("drop-target");
      const cardId = Number(event.dataTransfer.getData("text/plain"));
      const card = state.cards.find(function (c) { return c.id === cardId; });
      const target = theme ? theme.id : null;
      if (card && card.theme_id !== target) { post("/cards/" + cardId + "/move", { theme_id: target }); }
    });
    return zone;
  }

  function renderGroup() {
    const wrap = el("div", {});
    const suggest = el("button", { type: "button", class: "secondary", text: "Suggest themes" });
    suggest.addEventListener("click", function () {
      fetch("/api/v1/retros/" + id + "/suggested-themes?limit=1000", { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (page) {
          page.items.reduce(function (chain, group) {
            return chain.then(function () { return post("/themes", { title: group.title, card_ids: group.card_ids }); });
          }, Promise.resolve());
        });
    });
    wrap.appendChild(el("p", { class: "row" }, [suggest, el("span", { class: "muted small", text: "Drag cards onto a theme, or choose its theme in the list on the card." })]));
    const themeTitle = draft(el("input", { id: "theme-title", placeholder: "New theme title" }));
    const addTheme = el("button", { type: "button", text: "Add theme" });
    addTheme.addEventListener("click", function () {
      delete drafts["theme-title"];
      post("/themes", { title: themeTitle.value, card_ids: [] });
    });
    wrap.appendChild(el("p", { class: "row" }, [el("label", { for: "theme-title", text: "Theme" }), themeTitle, addTheme]));
    const zones = el("div", { class: "retro-zones" }, [dropZone(null)]);
    state.themes.forEach(function (theme) { zones.appendChild(dropZone(theme)); });
    wrap.appendChild(zones);
    return wrap;
  }

  function renderThemes() {
    const list = el("ol", { class: "retro-themes" });
    state.themes.forEach(function (theme) {
      const cards = el("ul", {});
      state.cards.filter(function (c) { return c.theme_id === theme.id; }).forEach(function (c) { cards.appendChild(cardNode(c, true)); });
      const item = el("li", { class: "panel", "data-theme": theme.id }, [
        el("h3", { text: theme.title + (theme.votes !== null ? " — " + theme.votes + " vote" + (theme.votes === 1 ? "" : "s") : "") }),
        state.phase !== "finished" ? themeTools(theme) : null, cards]);
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

  function choice(values, labels, blank) {
    const select = el("select", {});
    select.appendChild(el("option", { value: "", text: blank }));
    values.forEach(function (value, i) { select.appendChild(el("option", { value: String(value), text: labels[i] })); });
    return select;
  }

  function actionLine(a) {
    const facts = [a.owner ? "owner " + a.owner : "no owner", a.due_date ? "due " + a.due_date : null,
      a.target_label ? "aims to " + (a.expected_direction || "move") + " " + a.target_label : null].filter(Boolean);
    return el("li", {}, [el("a", { href: "/actions/" + a.id, text: a.title }), el("span", { class: "muted small", text: " — " + facts.join(", ") })]);
  }

  function renderActions() {
    const wrap = el("section", { class: "panel" }, [el("h2", { text: "Actions" })]);
    const list = el("ul", {});
    state.actions.forEach(function (a) { list.appendChild(actionLine(a)); });
    if (!state.actions.length) { list.appendChild(el("li", { class: "muted", text: "No actions yet." })); }
    wrap.appendChild(list);
    if (state.phase === "discuss" || state.phase === "actions") {
      const title = draft(el("input", { id: "action-title", placeholder: "What will we change?" }));
      const owner = choice(options.people, options.names, "no owner yet");
      const due = el("input", { type: "date" });
      const metric = choice(options.metrics, options.metric_labels, "no metric");
      const direction = choice(["decrease", "increase"], ["decrease", "increase"], "its better direction");
      const add = el("button", { type: "button", text: "Add action" });
      add.addEventListener("click", function () {
        if (!title.value.trim()) { return; }
        delete drafts["action-title"];
        post("/actions", {
          title: title.value, owner_id: owner.value ? Number(owner.value) : null, due_date: due.value || null,
          target_metric: metric.value || null, expected_direction: direction.value || null,
        });
      });
      wrap.appendChild(el("div", { class: "action-form" }, [
        el("p", { class: "row" }, [el("label", { for: "action-title", text: "New action" }), title]),
        el("p", { class: "row" }, labelled("action-owner", "Owner", owner)),
        el("p", { class: "row" }, labelled("action-due", "Due (default: in two weeks)", due)),
        el("p", { class: "row" }, labelled("action-metric", "Metric it should move (optional)", metric)),
        el("p", { class: "row" }, labelled("action-direction", "Expected direction", direction)),
        el("p", { class: "row" }, [add]),
      ]));
    }
    if (state.phase === "finished") {
      wrap.appendChild(el("p", {}, [el("a", { href: "/retros/" + id + "/export.md", text: "Download as Markdown" })]));
    }
    return wrap;
  }

  function renderTimer() {
    timerHandle = window.DeliveryOpsLive.countdown(document.getElementById("timer"), state.timer_ends_at, timerHandle);
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
    // A finished retro is read-only: the facilitator's controls go, for everyone watching live.
    if (state.phase === "finished") {
      const controls = document.getElementById("facilitator-controls");
      if (controls) { controls.remove(); }
      document.getElementById("finished-note").hidden = false;
    }
    // The health-check panel is drawn by the server beside the board, outside the redrawn region; it
    // belongs to reviewing and reflecting, so it goes away (open or closed, as left) once the retro moves on.
    const healthPanel = document.getElementById("health-panel");
    if (healthPanel) { healthPanel.hidden = state.phase !== "review" && state.phase !== "reflect"; }
    renderIcebreaker();
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

  // Only the facilitator (whoever scheduled the retro, or the team's delivery manager) gets these.
  const advanceButton = document.getElementById("advance");
  if (advanceButton) {
    advanceButton.addEventListener("click", function () { post("/advance"); });
    document.getElementById("start-timer").addEventListener("click", function () {
      post("/timer", { minutes: Number(document.getElementById("timer-minutes").value) || 0 });
    });
  }

  render(state);
  window.DeliveryOpsLive.connect("/retros/" + id + "/events", connection, render);
})();
