// The live stand-up, refinement or planning page: renders the state the server sends and posts changes.
(function () {
  "use strict";
  const root = document.getElementById("live-session");
  if (!root || !window.DeliveryOpsLive) { return; }
  const live = window.DeliveryOpsLive;
  const el = live.el;
  const id = root.getAttribute("data-session");
  const csrf = root.getAttribute("data-csrf");
  const facilitator = root.getAttribute("data-facilitator") === "true";
  const me = Number(root.getAttribute("data-me"));
  const agenda = document.getElementById("agenda");
  const extra = document.getElementById("extra");
  const actionsBox = document.getElementById("session-actions");
  const errorBox = document.getElementById("error");
  const options = JSON.parse(document.getElementById("session-options").textContent);
  let state = JSON.parse(document.getElementById("session-state").textContent);
  let timerHandle = null;
  let rendered = false;
  const drafts = {};  // text typed in fields that a live update redraws, by field id

  function post(path, body) {
    errorBox.hidden = true;
    return fetch("/api/v1/sessions/" + id + path, {
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

  function field(idText, label, input) {
    if (drafts[idText] !== undefined) { input.value = drafts[idText]; }
    input.addEventListener("input", function () { drafts[idText] = input.value; });
    return el("div", {}, [el("label", { for: idText, text: label }), input]);
  }

  function button(text, label, onClick, secondary) {
    const node = el("button", { type: "button", class: secondary ? "secondary" : null, "aria-label": label, text: text });
    node.addEventListener("click", onClick);
    return node;
  }

  function ageText(item) {
    if (item.age_days === null || item.age_days === undefined) { return ""; }
    const against = state.sle_days ? " of the " + state.sle_days + "-day SLE" : " (no SLE yet)";
    const word = { green: "younger than half the SLE", amber: "within the SLE", red: "older than the SLE" }[item.band] || "";
    return "Age " + item.age_days + " days" + against + (word ? " — " + word : "");
  }

  function rightSizeText(item) {
    const judged = item.right_size;
    if (!judged) { return ""; }
    const base = judged.peers + " finished " + (judged.basis === "type" ? "items of this type" : "items of this type and estimate");
    if (judged.verdict === "split") {
      return "Likely to exceed the " + state.sle_days + "-day SLE: split it (" + judged.exceeded + " of " + base + " took longer; a prompt, wrong 6 times in 10 on simulations).";
    }
    if (judged.verdict === "fits") {
      return "Fits the " + state.sle_days + "-day SLE (" + judged.exceeded + " of " + base + " took longer).";
    }
    return state.sle_days ? "Not enough history to judge (" + base + ")." : "No SLE yet: no finished items in the last 90 days.";
  }

  // The tools for one item: swarm, impediment and escalation at a stand-up; notes and a decision otherwise.
  function tools(item) {
    const box = el("div", { class: "row compact" });
    if (state.kind === "standup") {
      const helping = item.helper_ids.indexOf(me) >= 0;
      box.appendChild(button(helping ? "Stop helping" : "I'll help", (helping ? "Stop helping with " : "Help with ") + item.key,
        function () { post("/swarm", { key: item.key }); }, true));
      const others = options.people.map(function (person, index) { return [person, options.names[index]]; })
        .filter(function (pair) { return pair[0] !== me; });
      if (others.length) {
        const helperId = "helper-" + item.key;
        const helper = el("select", { id: helperId }, others.map(function (pair) {
          const noted = item.helper_ids.indexOf(pair[0]) >= 0;
          return el("option", { value: String(pair[0]), text: pair[1] + (noted ? " (helping: take off)" : "") });
        }));
        box.appendChild(field(helperId, "Someone else helps", helper));
        box.appendChild(button("Note helper", "Note helper for " + item.key, function () {
          delete drafts[helperId];
          post("/swarm", { key: item.key, helper_id: Number(helper.value) });
        }, true));
      }
      if (!item.impediment) {
        box.appendChild(button("Raise impediment", "Raise impediment for " + item.key, function () { post("/impediments", { key: item.key }); }, true));
      }
      if (!item.escalated) {
        box.appendChild(button("Escalate", "Escalate " + item.key, function () { post("/escalate", { key: item.key }); }, true));
      }
      return box;
    }
    const criteriaId = "ac-" + item.key;
    const criteria = el("textarea", { id: criteriaId, rows: "2" });
    criteria.value = item.acceptance_criteria || "";
    const estimateId = "estimate-" + item.key;
    const estimate = el("input", { id: estimateId, inputmode: "decimal", size: "4" });
    estimate.value = item.estimate === null || item.estimate === undefined ? "" : String(item.estimate);
    const save = button("Save notes", "Save notes of " + item.key, function () {
      const text = estimate.value.trim().replace(",", ".");
      const body = { key: item.key, acceptance_criteria: criteria.value };
      if (text === "") { body.clear_estimate = true; } else { body.estimate = Number(text); }
      delete drafts[criteriaId];
      delete drafts[estimateId];
      post("/items", body);
    }, true);
    const decisions = state.kind === "planning" ? [["planned", "Plan it"], ["", "Leave out"]] : [["ready", "Ready"], ["split", "Split"], ["", "Undecided"]];
    const chosen = el("div", { class: "row compact", role: "group", "aria-label": "Decision on " + item.key });
    decisions.forEach(function ([value, label]) {
      const pressed = item.decision === value;
      const choice = el("button", { type: "button", class: pressed ? null : "secondary", "aria-pressed": pressed ? "true" : "false", text: label });
      choice.addEventListener("click", function () { post("/items", { key: item.key, decision: value }); });
      chosen.appendChild(choice);
    });
    return el("div", {}, [
      field(criteriaId, "Acceptance criteria (optional)", criteria),
      field(estimateId, "Estimate (optional)", estimate),
      save,
      chosen,
    ]);
  }

  function itemNode(item) {
    const current = item.position === state.focus;
    const facts = [];
    if (state.kind === "standup") {
      facts.push(el("span", { class: "band band-" + (item.band || "none"), text: ageText(item) }));
      if (item.blocked) { facts.push(el("span", { class: "alert small", text: "Blocked: " + item.blocked_reason })); }
    } else {
      facts.push(el("span", { class: "small", text: rightSizeText(item) }));
      if (item.decision) { facts.push(el("span", { class: "small", text: "Decided: " + item.decision })); }
    }
    if (item.impediment) {
      facts.push(el("a", { href: "/impediments/" + item.impediment.id, class: "small", text: "Impediment: " + item.impediment.title + " (" + item.impediment.level + " level)" }));
    }
    if (item.helpers.length) { facts.push(el("span", { class: "small", text: "Helping: " + item.helpers.join(", ") })); }
    if (!item.still_on_board) { facts.push(el("span", { class: "muted small", text: "No longer on the board" })); }
    const node = el("li", { class: "card session-item" + (current ? " current" : ""), "data-key": item.key, "aria-current": current ? "step" : null }, [
      el("strong", { text: item.key + " " + item.title }),
      el("span", { class: "muted small", text: (item.status || "") + (item.item_type ? " · " + item.item_type : "") }),
    ].concat(facts));
    if (current && !state.finished) { node.appendChild(tools(item)); }
    return node;
  }

  function renderExtra() {
    extra.replaceChildren();
    if (state.kind === "standup" && state.since_yesterday) {
      const since = state.since_yesterday;
      extra.appendChild(el("h2", { text: "Since the last working day (" + since.weekday + " " + since.since + ")" }));
      extra.appendChild(el("ul", {}, [
        el("li", { text: "Moved: " + (since.moved.length ? since.moved.join(", ") : "none") }),
        el("li", { text: "Finished: " + (since.finished.length ? since.finished.join(", ") : "none") }),
        el("li", { text: "Newly blocked: " + (since.newly_blocked.length ? since.newly_blocked.join(", ") : "none") }),
      ]));
    }
    if (state.kind === "planning" && state.planning) {
      const plan = state.planning;
      extra.appendChild(el("h2", { text: "Capacity guide" }));
      const guide = plan.guide;
      if (guide) {
        const counts = guide.counts || {};
        extra.appendChild(el("p", { text: "By " + guide.by_date + ": at least " + (counts["85"] ?? "–") + " items with 85% confidence, " + (counts["50"] ?? "–") + " with 50%." + (guide.committed ? " Committed as the team's plan." : " A what-if until committed.") }));
      } else {
        extra.appendChild(el("p", { class: "muted", text: "No forecast yet." }));
      }
      extra.appendChild(el("p", { class: plan.over_capacity ? "alert" : "muted", text: "Planned: " + plan.planned.length + " items" + (plan.over_capacity ? " — more than the 85% forecast." : ".") }));
      if (facilitator && !state.finished) {
        const by = el("input", { id: "plan-by", type: "date", value: plan.by_date || "" });
        extra.appendChild(el("div", { class: "row compact" }, [
          el("label", { for: "plan-by", text: "How many by" }), by,
          button("Forecast", "Forecast how many by this date", function () { post("/forecast", { by_date: by.value }); }, true),
          guide && !guide.committed ? button("Commit as the team's plan", "Commit as the team's plan", function () { post("/commit"); }) : null,
        ]));
      }
      extra.appendChild(el("h2", { text: "Dependencies the plan needs" }));
      if (!plan.dependencies.length) { extra.appendChild(el("p", { class: "muted", text: "The team waits for nothing open." })); }
      extra.appendChild(el("ul", {}, plan.dependencies.map(function (d) {
        const note = (d.for_planned.length ? " — for " + d.for_planned.join(", ") : "") + (d.before_plan_ends ? "" : " (needed after the plan's date)");
        return el("li", {}, [el("a", { href: "/dependencies/" + d.id, text: d.title }), el("span", { class: "small", text: " from " + d.provider + ", " + d.state + ", needed by " + d.needed_by + note })]);
      })));
    }
    extra.hidden = !extra.childNodes.length;
  }

  function renderActions() {
    actionsBox.replaceChildren(el("h2", { text: "Actions" }));
    if (!state.actions.length) { actionsBox.appendChild(el("p", { class: "muted", text: "No actions yet." })); }
    actionsBox.appendChild(el("ul", {}, state.actions.map(function (a) {
      return el("li", {}, [el("a", { href: "/actions/" + a.id, text: a.title }), el("span", { class: "muted small", text: " " + a.status + (a.owner ? " · " + a.owner : "") })]);
    })));
    if (state.finished) {
      actionsBox.appendChild(el("p", { text: "Outcome: " + state.outcome }));
      return;
    }
    const title = el("input", { id: "action-title" });
    const owner = el("select", { id: "action-owner" }, [el("option", { value: "", text: "nobody yet" })].concat(
      options.people.map(function (person, index) { return el("option", { value: String(person), text: options.names[index] }); })));
    const add = button("Add action", "Add action", function () {
      if (!title.value.trim()) { return; }
      const body = { title: title.value.trim() };
      if (owner.value) { body.owner_id = Number(owner.value); }
      delete drafts["action-title"];
      post("/actions", body);
    });
    actionsBox.appendChild(el("div", { class: "row compact" }, [field("action-title", "New action", title), field("action-owner", "Owner", owner), add]));
  }

  function render(next) {
    if (next.version < state.version || (next.version === state.version && rendered)) { return; }
    rendered = true;
    state = next;
    document.getElementById("finished-note").hidden = !state.finished;
    if (state.finished) {
      const controls = document.getElementById("facilitator-controls");
      if (controls) { controls.remove(); }
    }
    renderExtra();
    agenda.replaceChildren();
    const current = state.items[state.focus];
    agenda.appendChild(el("h2", { id: "now", text: current ? "Now: " + current.key + " (" + (state.focus + 1) + " of " + state.items.length + ")" : "Nothing on the agenda" }));
    if (!state.items.length) {
      agenda.appendChild(el("p", { class: "muted", text: state.kind === "standup" ? "No work in progress on the board." : "No items waiting to be started." }));
    }
    agenda.appendChild(el("ol", { class: "cards session-items" }, state.items.map(itemNode)));
    renderActions();
    timerHandle = live.countdown(document.getElementById("timer"), state.timer_ends_at, timerHandle);
  }

  if (facilitator) {
    const next = document.getElementById("next");
    if (next) {
      next.addEventListener("click", function () { post("/focus", { step: 1 }); });
      document.getElementById("previous").addEventListener("click", function () { post("/focus", { step: -1 }); });
      document.getElementById("start-timer").addEventListener("click", function () {
        post("/timer", { minutes: Number(document.getElementById("timer-minutes").value) || 0 });
      });
      document.getElementById("finish").addEventListener("click", function () {
        post("/finish", { outcome: document.getElementById("outcome").value });
      });
    }
  }

  render(state);
  live.connect("/sessions/" + id + "/events", document.getElementById("connection"), render);
})();
