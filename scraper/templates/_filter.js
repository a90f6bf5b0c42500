(function () {
  "use strict";
  var box = document.getElementById("filter");
  if (!box) { return; }
  var input = box.querySelector("input");
  var status = box.querySelector(".filter-status");
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-search]"));
  var holders = Array.prototype.slice.call(document.querySelectorAll("[data-filter-holder]"));
  box.hidden = false;
  function apply() {
    var q = input.value.trim().toLowerCase();
    var n = 0;
    items.forEach(function (el) {
      var hit = !q || el.getAttribute("data-search").indexOf(q) >= 0;
      el.hidden = !hit;
      if (hit && q) { n += 1; }
    });
    holders.forEach(function (el) {
      var any = el.querySelector("[data-search]:not([hidden])") !== null;
      el.hidden = Boolean(q) && !any;
      if (q && any && el.tagName === "DETAILS") { el.open = true; }
    });
    status.textContent = q ? n + (n === 1 ? " match" : " matches") : "";
  }
  input.addEventListener("input", apply);
  if (input.value) { apply(); }
}());
