// Light progressive enhancement: everything works without this file.
// Filters apply as soon as a choice changes (the Apply button stays for keyboards and for no-JS).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.requestSubmit(); }
    });
  });
  // A confirmation button is pressed once: a double click must not send twice (the server refuses too).
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (button && form.method.toLowerCase() === "post") {
        window.setTimeout(function () { button.disabled = true; }, 0);
      }
    });
  });
});
