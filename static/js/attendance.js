// The roll (templates/attendance/roll.html): "Mark everyone present" fills the empty rows,
// and each tap saves at once through the same endpoint (fetch, Accept: application/json).
// Without JavaScript the form and its Save button do the same.
(function () {
  "use strict";
  const form = document.getElementById("roll-form");
  if (!form) return;
  const status = document.getElementById("roll-status");
  const allPresent = document.getElementById("all-present");

  function save() {
    const body = new FormData(form);
    status.textContent = "…";
    fetch(window.location.pathname, {
      method: "POST",
      body: body,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then((r) => r.json().then((data) => ({ ok: r.ok, data: data })))
      .then(({ ok, data }) => {
        status.textContent = ok ? "✓" : data.message;
      })
      .catch(() => {
        status.textContent = "!";
      });
  }

  form.addEventListener("change", (event) => {
    if (event.target.classList.contains("roll-status")) save();
  });
  if (allPresent) {
    allPresent.addEventListener("click", () => {
      form.querySelectorAll("input.roll-status[value=present]").forEach((input) => {
        const others = form.querySelectorAll(`input[name="${input.name}"]:checked`);
        if (!others.length) input.checked = true;
      });
      save();
    });
  }
})();
