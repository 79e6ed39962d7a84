// Batch form: warn about the instructor's schedule conflicts while the admin fills the form
// (asks /console/batches/conflicts/, which runs the same selector as the service), and add
// schedule rows without a round trip. The server still checks everything on saving.
(function () {
  "use strict";
  const form = document.getElementById("batch-form");
  if (!form) return;
  const warning = document.getElementById("conflict-warning");
  const list = warning.querySelector("[data-conflict-list]");
  const offers = warning.querySelector("[data-alternatives]");
  const offerList = warning.querySelector("[data-alternative-list]");
  const rows = form.querySelector("[data-slot-rows]");
  const total = form.querySelector('input[name="slots-TOTAL_FORMS"]');
  const value = (name) => (form.elements[name] ? form.elements[name].value : "");
  let latest = 0;

  function query() {
    const params = new URLSearchParams();
    for (const name of ["start_date", "end_date", "status", "time_zone"]) params.set(name, value(name));
    params.set("instructor", value("assigned_instructor"));
    if (form.dataset.batch) params.set("exclude", form.dataset.batch);
    for (let i = 0; i < Number(total.value); i++) {
      const p = `slots-${i}-`;
      const deleted = form.elements[p + "DELETE"] && form.elements[p + "DELETE"].checked;
      const slot = [value(p + "day"), value(p + "start_time"), value(p + "end_time")];
      // Incomplete, malformed or reversed rows (mid-typing) are left out; saving reports
      // them. Times are 24-hour HH:MM text, so they compare as strings.
      const times = slot.slice(1).every((time) => /^([01][0-9]|2[0-3]):[0-5][0-9]$/.test(time));
      if (!deleted && slot[0] && times && slot[1] < slot[2]) params.append("slot", slot.join(","));
    }
    return params;
  }

  function show(messages, alternatives = []) {
    list.replaceChildren(
      ...messages.map((text) => Object.assign(document.createElement("li"), { textContent: text }))
    );
    offerList.replaceChildren(
      ...alternatives.map((alternative) => {
        const button = Object.assign(document.createElement("button"), {
          type: "button",
          className: "btn btn-sm btn-outline-secondary text-start",
          textContent: alternative.label,
        });
        button.dataset.kind = alternative.kind;
        button.addEventListener("click", () => apply(alternative));
        return button;
      })
    );
    offers.classList.toggle("d-none", alternatives.length === 0);
    warning.classList.toggle("d-none", messages.length === 0);
  }

  function setValue(name, text) {
    if (form.elements[name]) form.elements[name].value = text;
  }

  // One click fills the form with an alternative: the instructor, or the weekly slots (rows
  // beyond the alternative's are marked deleted); then the check runs again.
  function apply(alternative) {
    if (alternative.kind === "instructor") {
      setValue("assigned_instructor", String(alternative.id));
    } else {
      while (Number(total.value) < alternative.slots.length) addRow();
      let next = 0;
      for (let i = 0; i < Number(total.value); i++) {
        const p = `slots-${i}-`;
        const deleted = form.elements[p + "DELETE"];
        if (deleted && deleted.checked) continue;
        const slot = alternative.slots[next++];
        if (slot) {
          setValue(p + "day", String(slot.day));
          setValue(p + "start_time", slot.start_time);
          setValue(p + "end_time", slot.end_time);
        } else if (deleted) {
          deleted.checked = true;
        } else {
          for (const field of ["day", "start_time", "end_time"]) setValue(p + field, "");
        }
      }
    }
    check();
  }

  // Date inputs hold ISO dates (or ""), so text order is date order. Until both dates are
  // there and in order the check has nothing to ask: saving reports reversed dates.
  function datesMakeSense() {
    const start = value("start_date");
    const end = value("end_date");
    return Boolean(start && end && start <= end);
  }

  async function check() {
    const params = query();
    const ticket = ++latest; // only the answer to the latest question is shown
    if (!params.get("instructor") || !params.has("slot") || !datesMakeSense()) return show([]);
    try {
      const response = await fetch(`${form.dataset.conflictsUrl}?${params}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      const data = await response.json();
      // One line per clashing session; the first few say enough.
      if (ticket === latest) {
        show(
          response.ok ? data.conflicts.slice(0, 5).map((c) => c.message) : [],
          response.ok ? data.alternatives || [] : []
        );
      }
    } catch (error) {
      if (ticket === latest) show([]); // offline or logged out: saving will still check
    }
  }

  form.addEventListener("change", check);

  const add = form.querySelector("[data-add-slot]");
  const template = document.getElementById("slot-row-template");
  function addRow() {
    const index = Number(total.value);
    rows.insertAdjacentHTML("beforeend", template.innerHTML.replaceAll("__prefix__", index));
    total.value = index + 1;
  }
  add.hidden = false;
  add.addEventListener("click", () => {
    addRow();
    rows.lastElementChild.querySelector("select").focus();
  });

  check(); // a re-rendered form (after a refusal) shows its warning at once
})();
