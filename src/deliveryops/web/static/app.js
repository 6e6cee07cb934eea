// DeliveryOps: small progressive enhancements. Pages work without this file.
(function () {
  "use strict";
  const toggle = document.querySelector(".nav-toggle");
  if (toggle) {
    toggle.addEventListener("click", function () {
      const bar = toggle.closest(".topbar");
      const open = bar.classList.toggle("nav-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // Buttons marked data-confirm ask before submitting a destructive form.
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
// The connection form shows only the fields of the chosen kind.
(function () {
  "use strict";
  const kind = document.getElementById("c-kind");
  if (!kind) { return; }
  function update() {
    document.querySelectorAll("[data-kinds]").forEach(function (el) {
      const kinds = el.getAttribute("data-kinds").split(" ");
      el.hidden = kind.value !== "" && kinds.indexOf(kind.value) === -1;
    });
  }
  kind.addEventListener("change", update);
  update();
})();
// Wide tables: a column picker whose choice is remembered in this browser (localStorage), per table.
(function () {
  "use strict";
  document.querySelectorAll("table[data-columns-key]").forEach(function (table) {
    const key = "deliveryops.columns." + table.getAttribute("data-columns-key");
    const heads = Array.prototype.slice.call(table.querySelectorAll("thead tr:first-child th"));
    if (heads.length < 3) { return; }
    let hidden = [];
    try { hidden = JSON.parse(window.localStorage.getItem(key) || "[]"); } catch (e) { hidden = []; }
    function apply() {
      const width = heads.length;
      table.querySelectorAll("tr").forEach(function (row) {
        if (row.cells.length !== width) { return; }  // rows with merged cells keep every cell
        for (let i = 1; i < width; i += 1) {
          row.cells[i].classList.toggle("col-hidden", hidden.indexOf(heads[i].textContent.trim()) !== -1);
        }
      });
    }
    const picker = document.createElement("details");
    picker.className = "column-picker";
    const summary = document.createElement("summary");
    summary.textContent = "Columns";
    picker.appendChild(summary);
    const set = document.createElement("fieldset");
    const legend = document.createElement("legend");
    legend.className = "sr-only";
    legend.textContent = "Columns shown";
    set.appendChild(legend);
    heads.slice(1).forEach(function (th) {
      const name = th.textContent.trim();
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = hidden.indexOf(name) === -1;
      box.addEventListener("change", function () {
        hidden = hidden.filter(function (h) { return h !== name; });
        if (!box.checked) { hidden.push(name); }
        window.localStorage.setItem(key, JSON.stringify(hidden));
        apply();
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(th.getAttribute("data-short") || name));
      set.appendChild(label);
    });
    picker.appendChild(set);
    const wrap = table.closest(".table-wrap") || table;
    wrap.parentNode.insertBefore(picker, wrap);
    apply();
  });
})();
