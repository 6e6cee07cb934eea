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
