/* Full-text search over the Pagefind index through Pagefind's JavaScript API (docs/site.md §6.1).

   Everything in the index comes from outside (entity libraries, YAML content, ledger entries), so
   every value read from it (titles, codes, filter names and values, excerpts) is inserted as
   text (textContent, createTextNode), never parsed as HTML; links point only at the index's own
   page paths. Excerpts keep Pagefind's highlighting: Pagefind escapes "<" and ">" of the page
   text as &lt; and &gt; and wraps the matched words in literal <mark>…</mark>, so the excerpt is
   split on those two tags, the two entities are turned back into characters, and each piece
   becomes a text node inside a <mark> element we create. Pagefind's stock UI is not used: it
   renders filter values as HTML. */
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box) return;
  var PAGE = 10;
  var form = box.querySelector("form");
  var input = box.querySelector("input[type=search]");
  var status = box.querySelector(".search-status");
  var filterBox = box.querySelector(".search-filters");
  var list = box.querySelector(".search-results");
  var more = box.querySelector(".search-more");
  var root = new URL(box.getAttribute("data-root"), window.location.href);
  var bundle = new URL(box.getAttribute("data-bundle"), window.location.href);
  var merged = (box.getAttribute("data-merge") || "").split(" ").filter(Boolean);
  var pagefind = null;
  var selected = Object.create(null);  // filter name → {value: checked}
  var counts = Object.create(null);    // filter name → {value: count element}
  var results = [];
  var shown = 0;
  var generation = 0;
  box.hidden = false;  // shown only when this script runs (the page has a <noscript> text)
  input.disabled = true;
  status.textContent = "正在加载搜索索引……";

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function own(obj, key) {
    return Object.prototype.hasOwnProperty.call(obj, key);
  }

  function excerpt(html) {
    // Pagefind's excerpt: page text with < and > escaped, matches wrapped in <mark>…</mark>.
    var out = document.createDocumentFragment();
    var parts = String(html || "").split(/(<mark>|<\/mark>)/);
    var mark = null;
    parts.forEach(function (part) {
      if (part === "<mark>") { mark = el("mark"); out.appendChild(mark); return; }
      if (part === "</mark>") { mark = null; return; }
      if (!part) return;
      var text = document.createTextNode(part.replace(/&lt;/g, "<").replace(/&gt;/g, ">"));
      (mark || out).appendChild(text);
    });
    return out;
  }

  function safeHref(url) {
    // Only paths on this site (Pagefind builds them from file paths and our base URL).
    if (typeof url !== "string" || url.charAt(0) !== "/" || url.charAt(1) === "/") return null;
    return url;
  }

  function renderResult(data) {
    var li = el("li", "search-result");
    var title = el("p", "search-result-title");
    var meta = data.meta || {};
    var href = safeHref(data.url);
    var name = meta.title || data.url;
    if (href) {
      var a = el("a", "search-result-link", name);
      a.setAttribute("href", href);
      title.appendChild(a);
    } else {
      title.appendChild(el("span", null, name));
    }
    if (meta.code) {
      title.appendChild(document.createTextNode(" "));
      title.appendChild(el("small", "search-result-code", meta.code));
    }
    li.appendChild(title);
    var p = el("p", "search-result-excerpt");
    p.appendChild(excerpt(data.excerpt));
    li.appendChild(p);
    return li;
  }

  function showMore(gen) {
    var batch = results.slice(shown, shown + PAGE);
    shown += batch.length;
    more.hidden = shown >= results.length;
    return Promise.all(batch.map(function (r) { return r.data(); })).then(function (datas) {
      if (gen !== generation) return;
      datas.forEach(function (d) { list.appendChild(renderResult(d)); });
    });
  }

  function activeFilters() {
    var out = {};
    var any = false;
    Object.keys(selected).forEach(function (name) {
      var values = Object.keys(selected[name]).filter(function (v) { return selected[name][v]; });
      if (values.length) { out[name] = { any: values }; any = true; }
    });
    return any ? out : null;
  }

  function updateCounts(available) {
    Object.keys(counts).forEach(function (name) {
      Object.keys(counts[name]).forEach(function (value) {
        var n = null;
        if (available) {
          var group = own(available, name) ? available[name] : {};
          n = own(group, value) ? group[value] : 0;
        }
        counts[name][value].textContent = n === null ? "" : "（" + n + "）";
      });
    });
  }

  function run() {
    var gen = ++generation;
    var term = input.value.trim();
    var filters = activeFilters();
    if (!term && !filters) {
      list.textContent = "";
      more.hidden = true;
      status.textContent = "";
      updateCounts(null);
      return;
    }
    status.textContent = "正在搜索……";
    pagefind.debouncedSearch(term || null, filters ? { filters: filters } : {}, 300)
      .then(function (search) {
        if (search === null || gen !== generation) return;
        results = search.results;
        shown = 0;
        list.textContent = "";
        status.textContent = results.length
          ? "找到 " + results.length + " 条结果。"
          : "没有找到结果。中文请试试更短的关键词，或减少筛选条件。";
        updateCounts(search.filters);
        return showMore(gen);
      })
      .catch(function () { status.textContent = "搜索失败，请稍后重试。"; });
  }

  function renderFilters(all) {
    Object.keys(all).sort().forEach(function (name) {
      var values = Object.keys(all[name]).sort();
      if (!values.length) return;
      selected[name] = Object.create(null);
      counts[name] = Object.create(null);
      var details = el("details", "search-filter");
      details.appendChild(el("summary", null, name));
      var set = el("fieldset");
      set.appendChild(el("legend", "search-filter-legend", name));
      values.forEach(function (value) {
        var label = el("label", "search-filter-value");
        var check = el("input");
        check.type = "checkbox";
        check.addEventListener("change", function () {
          selected[name][value] = check.checked;
          run();
        });
        label.appendChild(check);
        label.appendChild(document.createTextNode(value));
        counts[name][value] = label.appendChild(el("span", "small"));
        set.appendChild(label);
      });
      details.appendChild(set);
      filterBox.appendChild(details);
    });
  }

  function start(module) {
    pagefind = module;
    var base = root.pathname;
    return pagefind.options({ baseUrl: base })
      .then(function () {
        return Promise.all(merged.map(function (name) {
          return pagefind.mergeIndex(new URL(name + "/", root).pathname, { baseUrl: base });
        }));
      })
      .then(function () { return pagefind.filters(); })
      .then(function (all) {
        renderFilters(all || {});
        input.disabled = false;
        status.textContent = "";
        form.addEventListener("submit", function (ev) { ev.preventDefault(); run(); });
        input.addEventListener("input", run);
        more.addEventListener("click", function () { showMore(generation); });
        if (input.value.trim()) run();
      });
  }

  import(new URL("pagefind.js", bundle).href)
    .then(start)
    .catch(function () {
      status.textContent = "全文搜索索引加载失败。请浏览检查对象名录、抽查事项清单和检查结果列表。";
    });
})();
