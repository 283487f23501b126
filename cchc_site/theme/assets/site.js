/* cchc-site: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";
  var doc = document.documentElement;
  doc.className += " js";

  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .replace(/[đĐ]/g, "d").toLowerCase();
  }
  window.cchcFold = fold;

  function setupMenu() {
    var button = document.querySelector(".menu-toggle");
    var menu = document.getElementById("menu-chinh");
    if (!button || !menu) return;
    var narrow = window.matchMedia("(max-width: 40rem)");
    function apply(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      menu.setAttribute("data-collapsed", open ? "false" : "true");
    }
    apply(!narrow.matches);
    button.addEventListener("click", function () {
      apply(button.getAttribute("aria-expanded") !== "true");
    });
    if (narrow.addEventListener) {
      narrow.addEventListener("change", function (e) { apply(!e.matches); });
    }
  }

  function setupFilter() {
    var box = document.querySelector("[data-filter-target]");
    if (!box) return;
    var list = document.getElementById(box.getAttribute("data-filter-target"));
    var input = box.querySelector("input");
    var status = box.querySelector("[role=status]");
    if (!list || !input) return;
    var items = Array.prototype.slice.call(list.querySelectorAll("[data-search]"));
    var keys = items.map(function (li) { return fold(li.getAttribute("data-search")); });
    var groups = Array.prototype.slice.call(list.querySelectorAll("section"));
    box.hidden = false;
    function run() {
      var words = fold(input.value).split(/\s+/).filter(Boolean);
      var shown = 0;
      items.forEach(function (li, i) {
        var ok = words.every(function (w) { return keys[i].indexOf(w) !== -1; });
        li.hidden = !ok;
        if (ok) shown++;
      });
      groups.forEach(function (g) {
        g.hidden = !g.querySelector("[data-search]:not([hidden])");
      });
      status.textContent = words.length ? ("Có " + shown + " thủ tục phù hợp.") : "";
    }
    input.addEventListener("input", run);
    var q = new URLSearchParams(window.location.search).get("loc");
    if (q) { input.value = q; run(); }
  }

  /* Wide tables written in Markdown scroll inside their own box, reachable by keyboard. */
  function wrapTables() {
    var tables = document.querySelectorAll("main .prose table");
    Array.prototype.forEach.call(tables, function (table, i) {
      if (table.parentNode.classList.contains("table-scroll")) return;
      var box = document.createElement("div");
      box.className = "table-scroll";
      box.setAttribute("role", "region");
      box.setAttribute("tabindex", "0");
      var caption = table.querySelector("caption");
      box.setAttribute("aria-label", caption ? caption.textContent : "Bảng " + (i + 1));
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
  }

  /* Printed pages show each link's full address (print.css reads data-print-url). */
  function markLinksForPrint() {
    var links = document.querySelectorAll("main a[href]");
    Array.prototype.forEach.call(links, function (a) {
      var raw = a.getAttribute("href");
      if (!raw || raw.charAt(0) === "#" || /^(mailto|tel|javascript):/i.test(raw)) return;
      a.setAttribute("data-print-url", a.href);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupMenu();
    setupFilter();
    wrapTables();
    markLinksForPrint();
  });
})();
