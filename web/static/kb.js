// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Changing the search mode re-runs the search straight away.
  document.querySelectorAll("form.search input[name=mode]").forEach(function (radio) {
    radio.addEventListener("change", function () { radio.form.submit(); });
  });
  // "/" focuses the search box, as on most search sites.
  document.addEventListener("keydown", function (e) {
    var box = document.querySelector("form.search input[name=q]");
    if (e.key === "/" && box && document.activeElement !== box &&
        !/INPUT|TEXTAREA|SELECT/.test(document.activeElement.tagName)) {
      e.preventDefault(); box.focus(); box.select();
    }
  });
  // Centre the chosen passage of a report rather than pinning it under the header.
  var chosen = document.querySelector(".passage.selected");
  if (chosen) { chosen.scrollIntoView({ block: "center" }); }
  // Filters start folded on a phone so results come first.
  if (window.matchMedia("(max-width: 760px)").matches) {
    document.querySelectorAll(".filters-box, .outline details").forEach(function (d) { d.open = false; });
  }
})();
