// The data browser: filters, free-text search and sorting over the JSON table above. Cells are written
// with textContent and links get only the page addresses the build made, so no data becomes markup.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("gd-data").textContent);
  var body = document.querySelector("#gd-browse tbody");
  var search = document.getElementById("gd-search");
  var count = document.getElementById("gd-count");
  var selects = Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
  var headers = Array.prototype.slice.call(document.querySelectorAll("#gd-browse th"));
  var STUDY = 0, EXERCISE = 1, NOTES = data.columns.length - 1;
  var sort = {col: -1, dir: 1};
  var haystack = data.rows.map(function (r) {
    return r.c.map(function (v) { return v === null ? "" : String(v); }).join(" \u0001 ").toLowerCase();
  });

  selects.forEach(function (select) {
    data.filters[+select.dataset.filter].options.forEach(function (o) {
      var option = document.createElement("option");
      option.value = o[0];
      option.textContent = o[1];
      select.appendChild(option);
    });
  });

  // ?exercise=clamshell or ?source=moore2019a (from the exercise and study pages) preselects a filter
  var params = new URLSearchParams(window.location.search);
  data.filters.forEach(function (f, i) {
    var wanted = params.get(f.field);
    if (wanted !== null) { selects[i].value = wanted; }
  });
  if (params.get("q") !== null) { search.value = params.get("q"); }

  function compare(a, b) {
    var x = a.c[sort.col], y = b.c[sort.col];
    if (x === null || x === "") { return (y === null || y === "") ? 0 : 1; }  // blanks last either way
    if (y === null || y === "") { return -1; }
    if (typeof x === "number" && typeof y === "number") { return sort.dir * (x - y); }
    return sort.dir * String(x).localeCompare(String(y), undefined, {numeric: true, sensitivity: "base"});
  }

  function cell(row, i) {
    var td = document.createElement("td");
    var value = row.c[i];
    var text = value === null ? "" : String(value);
    var href = i === STUDY ? row.study : i === EXERCISE ? row.exercise : null;
    if (href) {
      var a = document.createElement("a");
      a.href = href;
      a.textContent = text;
      td.appendChild(a);
    } else {
      td.textContent = text;
    }
    if (data.columns[i].numeric) { td.className = "num"; }
    if (i === NOTES) { td.className = "notes"; }
    return td;
  }

  function render() {
    var terms = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var wanted = selects.map(function (s) { return s.value; });
    var rows = [];
    data.rows.forEach(function (row, k) {
      for (var i = 0; i < wanted.length; i++) {
        if (wanted[i] && row.f[i] !== wanted[i]) { return; }
      }
      for (var j = 0; j < terms.length; j++) {
        if (haystack[k].indexOf(terms[j]) < 0) { return; }
      }
      rows.push(row);
    });
    if (sort.col >= 0) { rows.sort(compare); }
    var fragment = document.createDocumentFragment();
    rows.forEach(function (row) {
      var tr = document.createElement("tr");
      for (var i = 0; i < row.c.length; i++) { tr.appendChild(cell(row, i)); }
      fragment.appendChild(tr);
    });
    body.replaceChildren(fragment);
    count.textContent = rows.length + " of " + data.rows.length + " values";
  }

  headers.forEach(function (th, i) {
    th.querySelector("button").addEventListener("click", function () {
      sort = {col: i, dir: sort.col === i ? -sort.dir : 1};
      headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", sort.dir === 1 ? "ascending" : "descending");
      render();
    });
  });
  search.addEventListener("input", render);
  selects.forEach(function (s) { s.addEventListener("change", render); });
  document.getElementById("gd-filters").addEventListener("reset", function () { setTimeout(render, 0); });
  render();
})();
