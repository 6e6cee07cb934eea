// The live synthesis board of a multi-team retro: the breakouts' progress, the themes carried over from
// them (with their teams and breakout votes, never a card), votes across teams and team-owned actions.
(function () {
  "use strict";
  const root = document.getElementById("multi-retro");
  if (!root || !window.DeliveryOpsLive) { return; }
  const el = window.DeliveryOpsLive.el;
  const id = root.getAttribute("data-retro");
  const csrf = root.getAttribute("data-csrf");
  const connection = document.getElementById("connection");
  const errorBox = document.getElementById("error");
  const noticeBox = document.getElementById("notice");
  const breakoutList = document.getElementById("breakouts");
  const synthesis = document.getElementById("synthesis");
  let state = JSON.parse(document.getElementById("multi-state").textContent);
  let rendered = false;
  const drafts = {};  // text being typed in redrawn fields, by field id

  const post = window.DeliveryOpsLive.poster("/api/v1/multi-retros/" + id, csrf, errorBox, noticeBox, function (data) { render(data); });

  function button(text, label, onClick, secondary) {
    const node = el("button", { type: "button", class: secondary ? "secondary" : null, "aria-label": label, text: text });
    node.addEventListener("click", onClick);
    return node;
  }

  function kept(input, fieldId) {
    input.id = fieldId;
    if (drafts[fieldId] !== undefined) { input.value = drafts[fieldId]; }
    input.addEventListener("input", function () { drafts[fieldId] = input.value; });
    return input;
  }

  function renderBreakouts() {
    breakoutList.replaceChildren();
    state.breakouts.forEach(function (b) {
      const name = b.retro_id ? el("a", { href: "/retros/" + b.retro_id, text: b.team + " breakout" }) : el("span", { text: b.team + " breakout" });
      breakoutList.appendChild(el("li", { "data-team": b.team }, [
        name,
        el("span", { class: "muted small", text: " — " + b.phase + (b.voted ? " (voted)" : "") + (b.private_themes ? "; " + b.private_themes + " single-card theme" + (b.private_themes === 1 ? "" : "s") + " kept with the team" : "") }),
      ]));
    });
  }

  function themeTools(theme) {
    const box = el("div", { class: "row compact" });
    if (state.facilitating && (state.phase === "synthesis" || state.phase === "vote")) {
      const others = state.themes.filter(function (t) { return t.id !== theme.id; });
      if (others.length) {
        const select = el("select", { "aria-label": "Merge " + theme.title + " into" }, [el("option", { value: "", text: "Merge into…" })].concat(
          others.map(function (t) { return el("option", { value: String(t.id), text: t.title }); })));
        select.addEventListener("change", function () { if (select.value) { post("/themes/" + theme.id + "/merge", { into_id: Number(select.value) }); } });
        box.appendChild(select);
      }
    }
    if (state.facilitating && ["synthesis", "vote", "actions"].indexOf(state.phase) >= 0) {
      const rename = kept(el("input", { "aria-label": "New title of " + theme.title, size: "24" }), "rename-" + theme.id);
      box.appendChild(rename);
      box.appendChild(button("Rename", "Rename " + theme.title, function () {
        delete drafts["rename-" + theme.id];
        post("/themes/" + theme.id + "/rename", { title: rename.value });
      }, true));
    }
    if (state.phase === "vote" && state.taking_part) {
      box.appendChild(button("Vote", "Vote for " + theme.title, function () { post("/votes", { theme_id: theme.id }); }));
      if (theme.my_votes) {
        box.appendChild(button("Take back", "Take back a vote for " + theme.title, function () { post("/votes", { theme_id: theme.id, add: false }); }, true));
      }
    }
    return box;
  }

  function renderThemes() {
    const section = el("section", { class: "panel multi-themes" }, [el("h2", { text: "Synthesis themes" })]);
    if (state.phase === "vote") {
      section.appendChild(el("p", { class: "muted", text: "Votes left: " + state.votes_left + " of " + state.vote_budget + ". Counts stay hidden until voting ends." }));
    }
    if (!state.themes.length) { section.appendChild(el("p", { class: "muted", text: "No theme came out of the breakouts." })); }
    const list = el("ul", { class: "cards" });
    state.themes.forEach(function (theme) {
      const votes = theme.votes === null ? "" : " — " + theme.votes + " vote" + (theme.votes === 1 ? "" : "s");
      list.appendChild(el("li", { class: "card", "data-theme": theme.id }, [
        el("h3", { text: theme.title + votes }),
        el("span", { class: "muted small", text: "From " + theme.teams.join(", ") + " · " + theme.breakout_votes + " breakout vote" + (theme.breakout_votes === 1 ? "" : "s") + (theme.my_votes ? " · your votes: " + theme.my_votes : "") }),
        themeTools(theme),
      ]));
    });
    section.appendChild(list);
    return section;
  }

  function renderActions() {
    const section = el("section", { class: "panel" }, [el("h2", { text: "Actions" })]);
    const list = el("ul");
    state.actions.forEach(function (a) {
      list.appendChild(el("li", {}, [
        el("a", { href: "/actions/" + a.id, text: a.title }),
        el("span", { class: "muted small", text: " — owned by " + a.team + (a.owner ? " (" + a.owner + ")" : "") + (a.due_date ? ", due " + a.due_date : "") }),
      ]));
    });
    if (!state.actions.length) { list.appendChild(el("li", { class: "muted", text: "No action yet." })); }
    section.appendChild(list);
    if (state.phase === "actions" && state.taking_part) {
      const title = kept(el("input", { size: "40" }), "new-action");
      const team = el("select", { id: "action-team" }, state.teams.map(function (t) { return el("option", { value: String(t.id), text: t.name }); }));
      if (drafts["action-team"]) { team.value = drafts["action-team"]; }
      const owner = el("select", { id: "action-owner" });
      const due = kept(el("input", { type: "date" }), "action-due");
      // The owner is one of the owning team's people: the choices follow the team chosen.
      function fillOwners() {
        const chosen = state.teams.filter(function (t) { return String(t.id) === team.value; })[0];
        owner.replaceChildren.apply(owner, [el("option", { value: "", text: "no owner yet" })].concat(
          ((chosen && chosen.people) || []).map(function (p) { return el("option", { value: String(p.id), text: p.name }); })));
        if (drafts["action-owner"] && owner.querySelector('option[value="' + drafts["action-owner"] + '"]')) { owner.value = drafts["action-owner"]; }
      }
      fillOwners();
      team.addEventListener("change", function () { drafts["action-team"] = team.value; delete drafts["action-owner"]; fillOwners(); });
      owner.addEventListener("change", function () { drafts["action-owner"] = owner.value; });
      section.appendChild(el("div", { class: "row" }, [
        el("label", { for: "new-action", text: "New action" }), title,
        el("label", { for: "action-team", text: "Owned by" }), team,
        el("label", { for: "action-owner", text: "Owner" }), owner,
        el("label", { for: "action-due", text: "Due (default: in two weeks)" }), due,
        button("Add action", "Add action", function () {
          delete drafts["new-action"];
          delete drafts["action-owner"];
          delete drafts["action-due"];
          post("/actions", {
            title: title.value, team_id: Number(team.value),
            owner_id: owner.value ? Number(owner.value) : null, due_date: due.value || null,
          });
        }),
      ]));
    }
    return section;
  }

  function render(next) {
    if (rendered && next.version < state.version) { return; }
    rendered = true;
    state = next;
    document.querySelectorAll(".phases li").forEach(function (li) {
      li.classList.toggle("current", li.getAttribute("data-phase") === state.phase);
      if (li.getAttribute("data-phase") === state.phase) { li.setAttribute("aria-current", "step"); } else { li.removeAttribute("aria-current"); }
    });
    const controls = document.getElementById("facilitator-controls");
    if (controls) {
      controls.hidden = state.phase === "finished";
      document.getElementById("advance-breakouts").hidden = state.phase !== "breakouts";
    }
    document.getElementById("finished-note").hidden = state.phase !== "finished";
    renderBreakouts();
    synthesis.replaceChildren();
    if (state.phase !== "breakouts") {
      synthesis.appendChild(renderThemes());
      synthesis.appendChild(renderActions());
    }
  }

  const advanceButton = document.getElementById("advance");
  if (advanceButton) {
    advanceButton.addEventListener("click", function () { post("/advance"); });
    document.getElementById("advance-breakouts").addEventListener("click", function () { post("/breakouts/advance"); });
  }

  render(state);
  window.DeliveryOpsLive.connect("/multi-retros/" + id + "/events", connection, render);
})();
