/* Instrument and platform inputs offer NVS terms in a <datalist>. Choosing one fills
   its URI field; typing other text clears a URI that an earlier choice filled in.
   The server does the same from the label, so the page works without this. */
(function () {
  "use strict";

  document.querySelectorAll("input[data-term-uri]").forEach(function (input) {
    var uriInput = document.getElementById(input.getAttribute("data-term-uri"));
    var list = input.list;
    if (!uriInput || !list) return;

    function optionWhere(attribute, value) {
      return Array.prototype.find.call(list.options, function (option) {
        return option.getAttribute(attribute) === value;
      });
    }

    input.addEventListener("change", function () {
      var chosen = optionWhere("value", input.value.trim());
      if (chosen) {
        uriInput.value = chosen.getAttribute("data-uri");
      } else if (optionWhere("data-uri", uriInput.value)) {
        uriInput.value = "";
      }
    });
  });
})();
