// Warn before leaving a form with changes that were not stored (issue 12 item 2): a menu link,
// the language switch or the browser's back button would otherwise lose what was typed.
// Forms opt in with data-warn-unsaved. Submitting the form itself (any of its buttons, or a
// button elsewhere that belongs to it through form="...") stores it, so that leaves in peace.
(function () {
  "use strict";

  var forms = Array.prototype.slice.call(document.querySelectorAll("form[data-warn-unsaved]"));
  if (!forms.length) { return; }

  function state(form) {
    var parts = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "submit" || el.type === "button" ||
          el.type === "hidden" || el.type === "file") {
        return;
      }
      if (el.type === "checkbox" || el.type === "radio") {
        parts.push(el.name + "=" + (el.checked ? el.value : ""));
      } else if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (option) {
          if (option.selected) { parts.push(el.name + "=" + option.value); }
        });
      } else {
        parts.push(el.name + "=" + el.value);
      }
    });
    return parts.join("&");
  }

  var initial = new Map();
  var submitted = null;  // the form being sent: its changes are stored, not lost
  forms.forEach(function (form) {
    initial.set(form, state(form));
    form.addEventListener("submit", function () { submitted = form; });
  });

  function changed() {
    return forms.some(function (form) {
      return form !== submitted && state(form) !== initial.get(form);
    });
  }

  // For tests and for other scripts: whether leaving now would lose typed input.
  window.mdoUnsavedChanges = changed;

  window.addEventListener("beforeunload", function (event) {
    if (!changed()) { return; }
    event.preventDefault();
    // Older browsers need a value; the text itself is the browser's own.
    event.returnValue = "";
  });

  // A page restored from the back/forward cache starts a new visit.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) { submitted = null; }
  });
})();
