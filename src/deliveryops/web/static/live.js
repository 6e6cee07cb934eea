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

  window.DeliveryOpsLive = { el: el, connect: connect, countdown: countdown };
})();
