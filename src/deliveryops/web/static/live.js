// What every live session page shares (retro board, stand-up, refinement, planning): building nodes, posting
// changes to the JSON API, following the server-sent state stream and showing the countdown.
(function () {
  "use strict";

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([key, value]) {
      if (key === "text") { node.textContent = value; } else if (value !== null && value !== undefined) { node.setAttribute(key, value); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  // Follow the stream: "Live" while connected, the state on every change (the browser reconnects by itself).
  function connect(url, connection, onState) {
    const source = new EventSource(url);
    source.addEventListener("open", function () { connection.textContent = "Live"; });
    source.addEventListener("state", function (event) { onState(JSON.parse(event.data)); });
    source.addEventListener("error", function () { connection.textContent = "Reconnecting…"; });
    return source;
  }

  // A countdown in ``node`` until ``endsAt`` (ISO text, or null to clear); returns the interval handle.
  function countdown(node, endsAt, previous) {
    if (previous) { window.clearInterval(previous); }
    if (!endsAt) { node.textContent = ""; return null; }
    const ends = new Date(endsAt).getTime();
    let handle = null;
    function tick() {
      const left = Math.max(0, Math.round((ends - Date.now()) / 1000));
      node.textContent = "Time left: " + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (!left && handle) { window.clearInterval(handle); }
    }
    tick();
    handle = window.setInterval(tick, 1000);
    return handle;
  }

  // A function posting JSON to ``base + path`` with the CSRF token: an error goes to ``errorBox``, a notice in
  // the answer to ``noticeBox`` (when given), and a board state in the answer to ``render``.
  function poster(base, csrf, errorBox, noticeBox, render) {
    return function (path, body, method) {
      errorBox.hidden = true;
      if (noticeBox) { noticeBox.hidden = true; }
      return fetch(base + path, {
        method: method || "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body || {}),
      }).then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) { throw new Error(data.error ? data.error.message : "Something went wrong"); }
          if (noticeBox && data && data.notice) { noticeBox.textContent = data.notice; noticeBox.hidden = false; delete data.notice; }
          if (data && data.version !== undefined) { render(data); }
          return data;
        });
      }).catch(function (problem) { errorBox.textContent = problem.message; errorBox.hidden = false; });
    };
  }

  window.DeliveryOpsLive = { el: el, connect: connect, countdown: countdown, poster: poster };
})();
