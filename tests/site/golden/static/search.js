/* Full-text search over the Pagefind index through Pagefind's JavaScript API (docs/site.md §6.1).

   Everything in the index comes from outside (entity libraries, YAML content, ledger entries), so
   every value read from it (titles, codes, filter names and values, excerpts) is inserted as
   text (textContent, createTextNode), never parsed as HTML; links point only at the index's own
   page paths. Excerpts keep Pagefind's highlighting: Pagefind escapes "<" and ">" of the page
   text as &lt; and &gt; and wraps the matched words in literal <mark>…</mark>, so the excerpt is
   split on those two tags, the two entities are turned back into characters, and each piece
   becomes a text node inside a <mark> element we create. Pagefind's stock UI is not used: it
   renders filter values as HTML.

   Chinese words (docs/site.md §6.2): entity pages carry one token per character of their name
   and industries (generator/site/keywords.py), because Pagefind's index-time segmentation and
   the browser's query segmentation disagree. A query with Chinese characters is also searched
   as those tokens (each CJK run encoded the same way, longer runs as overlapping windows), and
   the businesses found so are listed first, then the rest of the plain full-text results.
   Tokens are removed from excerpts. */
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
  var byName = Object.create(null);  // result id → found by the name tokens
  var shown = 0;
  var generation = 0;
  box.hidden = false;  // shown only when this script runs (the page has a <noscript> text)
  input.disabled = true;
  status.textContent = "正在加载搜索索引……";

  // Must match generator/site/keywords.py (CJK_RUN, MARK, SPAN, encode).
  var CJK_RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;
  var TOKEN = /\bqz[a-p]+\b/g;
  var SPAN = 6;

  function encode(run) {
    var out = "qz";
    for (var i = 0; i < run.length; i++) {
      var hex = ("000" + run.charCodeAt(i).toString(16)).slice(-4);
      for (var j = 0; j < 4; j++) out += String.fromCharCode(97 + parseInt(hex.charAt(j), 16));
    }
    return out;
  }

  function tokenQuery(term) {
    // The query with every CJK run replaced by its tokens; null without CJK characters.
    var found = false;
    var q = term.replace(CJK_RUN, function (run) {
      found = true;
      if (run.length <= SPAN) return " " + encode(run) + " ";
      var parts = [];
      for (var i = 0; i + SPAN < run.length; i += SPAN - 1) parts.push(encode(run.substr(i, SPAN)));
      parts.push(encode(run.slice(-SPAN)));
      return " " + parts.join(" ") + " ";
    });
    return found ? q.replace(/\s+/g, " ").trim() : null;
  }

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
    var parts = String(html || "").replace(TOKEN, "").split(/(<mark>|<\/mark>)/);
    var mark = null;
    parts.forEach(function (part) {
      if (part === "<mark>") { mark = el("mark"); out.appendChild(mark); return; }
      if (part === "</mark>") { mark = null; return; }
      if (!part.trim() && mark) return;  // a highlighted token, removed above
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

  function marked(text, words) {
    // ``text`` as text nodes, each occurrence of one of ``words`` inside a <mark> we create.
    var out = document.createDocumentFragment();
    var at = 0;
    while (at < text.length) {
      var next = -1, len = 0;
      words.forEach(function (w) {
        var i = text.indexOf(w, at);
        if (i >= 0 && (next < 0 || i < next)) { next = i; len = w.length; }
      });
      if (next < 0) break;
      if (next > at) out.appendChild(document.createTextNode(text.slice(at, next)));
      out.appendChild(el("mark", null, text.substr(next, len)));
      at = next + len;
    }
    if (at < text.length) out.appendChild(document.createTextNode(text.slice(at)));
    return out;
  }

  function summary(filters) {
    // A business found by its name: its 行业 and 行政区划 instead of an excerpt of tokens.
    var parts = [];
    ["行业", "行政区划"].forEach(function (name) {
      var values = filters && own(filters, name) ? filters[name] : [];
      if (values.length) parts.push(name + "：" + values.join("、"));
    });
    return parts.join("；");
  }

  function renderResult(data, byName) {
    var li = el("li", "search-result");
    var title = el("p", "search-result-title");
    var meta = data.meta || {};
    var href = safeHref(data.url);
    var name = meta.title || data.url;
    var holder = href ? el("a", "search-result-link") : el("span");
    if (href) holder.setAttribute("href", href);
    if (byName) holder.appendChild(marked(String(name), input.value.match(CJK_RUN) || []));
    else holder.textContent = String(name);
    title.appendChild(holder);
    if (meta.code) {
      var label = meta.code.length === 15 ? "注册号 " : "统一社会信用代码 ";
      title.appendChild(document.createTextNode(" "));
      title.appendChild(el("small", "search-result-code", label + meta.code));
    }
    li.appendChild(title);
    var p = el("p", "search-result-excerpt");
    if (byName) p.textContent = summary(data.filters);
    else p.appendChild(excerpt(data.excerpt));
    li.appendChild(p);
    return li;
  }

  function showMore(gen) {
    var batch = results.slice(shown, shown + PAGE);
    shown += batch.length;
    more.hidden = shown >= results.length;
    return Promise.all(batch.map(function (r) { return r.data(); })).then(function (datas) {
      if (gen !== generation) return;
      datas.forEach(function (d, i) { list.appendChild(renderResult(d, byName[batch[i].id])); });
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

  function larger(a, b) {
    // Per filter value the larger of two counts: the businesses of the union found by at
    // least one of the two searches (the exact union count would need every result's data).
    var out = {};
    [a || {}, b || {}].forEach(function (counts) {
      Object.keys(counts).forEach(function (name) {
        out[name] = out[name] || {};
        Object.keys(counts[name]).forEach(function (value) {
          out[name][value] = Math.max(out[name][value] || 0, counts[name][value]);
        });
      });
    });
    return out;
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
    var opts = filters ? { filters: filters } : {};
    var tokens = term ? tokenQuery(term) : null;
    pagefind.debouncedSearch(term || null, opts, 300)
      .then(function (search) {
        if (search === null || gen !== generation) return null;
        return (tokens ? pagefind.search(tokens, opts) : Promise.resolve(null))
          .then(function (named) { return [named, search]; });
      })
      .then(function (both) {
        if (both === null || both === undefined || gen !== generation) return;
        var named = both[0], search = both[1];
        results = named ? named.results.slice() : [];
        byName = Object.create(null);
        results.forEach(function (r) { byName[r.id] = true; });
        search.results.forEach(function (r) { if (!byName[r.id]) results.push(r); });
        shown = 0;
        list.textContent = "";
        status.textContent = results.length
          ? "找到 " + results.length + " 条结果。"
          : "没有找到结果。请换一个关键词，或减少筛选条件。";
        updateCounts(named ? larger(named.filters, search.filters) : search.filters);
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
