// Progressive enhancement only: every page works without JavaScript.
(function () {
  "use strict";
  // A form submitted once cannot be submitted again by a double click (the server also refuses
  // a second submission; this only spares the user a confusing second page).
  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[data-once]").forEach(function (button) {
        window.setTimeout(function () { button.disabled = true; }, 0);
      });
    });
  });
})();
