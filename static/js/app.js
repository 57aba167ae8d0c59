// Progressive enhancement only: every page works without JavaScript.
(function () {
  "use strict";

  // After a form comes back with errors, focus goes to the summary of them (not the page body),
  // so a screen reader reads it and the keyboard starts there; its links move focus to the field.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    var closed = summary.closest("details:not([open])");
    if (closed) { closed.open = true; }
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-error-field]");
      if (!link) { return; }
      var id = link.getAttribute("href").slice(1);
      var field = document.getElementById(id) || document.getElementById(id + "_0");
      if (!field) { return; }
      event.preventDefault();
      var details = field.closest("details:not([open])");
      if (details) { details.open = true; }
      field.focus();
      field.scrollIntoView({block: "center"});
    });
  }

  // A form submitted once cannot be submitted again by a double click (the server also refuses
  // a second submission; this only spares the user a confusing second page).
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[data-once]").forEach(function (button) {
        window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  });

  // Follow-up questions (data-show-when="field=value|field=value") are hidden while none of
  // their conditions holds - but never while they hold an answer, so nothing typed is hidden.
  function valueOf(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var field = form.querySelector('[name="' + name + '"]');
    if (!field || field.type === "radio") { return ""; }
    if (field.type === "checkbox") { return field.checked ? "on" : ""; }
    return field.value;
  }

  function holds(form, spec) {
    return spec.split("|").some(function (condition) {
      var parts = condition.split("=");
      return valueOf(form, parts[0]) === parts[1];
    });
  }

  function answered(container) {
    if (container.tagName === "FIELDSET") { return false; }
    return Array.prototype.some.call(container.querySelectorAll("input, select, textarea"), function (el) {
      if (el.type === "radio" || el.type === "checkbox") { return el.checked; }
      return el.value !== "";
    });
  }

  document.querySelectorAll("form").forEach(function (form) {
    var targets = [];
    form.querySelectorAll("[data-show-when]").forEach(function (el) {
      var container = el.tagName === "FIELDSET" ? el : (el.closest(".mb-3") || el.parentElement);
      if (targets.every(function (t) { return t.container !== container; })) {
        targets.push({container: container, spec: el.getAttribute("data-show-when")});
      }
    });
    if (!targets.length) { return; }
    function update() {
      targets.forEach(function (t) {
        t.container.hidden = !(holds(form, t.spec) || answered(t.container));
      });
    }
    form.addEventListener("change", update);
    // Also while typing: a question that hides when a number is typed ("> 3 months?" beside the
    // prognosis) must not move the buttons under the pointer as the field loses focus.
    form.addEventListener("input", update);
    update();
  });
})();
