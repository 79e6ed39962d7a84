// Forms with data-confirm="question" ask before submitting (instead of inline onsubmit
// handlers, which the Content-Security-Policy forbids).
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    const form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
