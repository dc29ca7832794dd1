/* Full-text search (docs/site.md §6): businesses from gongkai's own index (search/biz/,
   format gongkai-search/v1, written by generator/site/bizsearch.py), checklist items, plans and
   tasks through Pagefind's JavaScript API when the site has a Pagefind bundle.

   Everything in either index comes from outside (entity libraries, YAML content, ledger
   entries), so every value read from it (names, codes, filter names and values, titles,
   excerpts) is inserted as text (textContent, createTextNode), never parsed as HTML (§6.1);
   links are only this site's paths.

   Query rule (§6.2): the query is normalized (NFKC, lower case) and split on white space into
   terms; a business matches when it matches every term. It matches a term when the term's
   tokens (every two consecutive CJK characters, every run of a-z0-9) all occur in its indexed
   text at the same relative positions as in the term (the term is a phrase of its name or
   code), or when the term is part of one of its filter values. A term of one CJK character
   gives no token: businesses are then not searched (the status says so). */
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
  var biz = new URL(box.getAttribute("data-biz"), window.location.href);
  var bundleAttr = box.getAttribute("data-bundle");
  var pagefind = null;
  var meta = null;
  var files = new Map();     // index file path → Promise of its parsed JSON
  var groups = [];           // filter groups: {name, values, selected: Map, counts: Map}
  var results = [];          // {ordinal} (a business) or {pf} (a Pagefind result)
  var matched = null;        // ordinals found (Set), for the filter counts
  var shown = 0;
  var generation = 0;
  var timer = null;
  box.hidden = false;  // shown only when this script runs (the page has a <noscript> text)
  input.disabled = true;
  status.textContent = "正在加载搜索索引……";

  // Must match generator/site/bizsearch.py (CJK_RUN, WORD, normalize, tokens, fnv1a32).
  var CJK_RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;
  var WORD = /[a-z0-9]+/g;
  var encoder = new TextEncoder();

  function normalize(text) {
    return String(text).normalize("NFKC").toLowerCase();
  }

  function tokens(text) {
    var out = [];
    var m;
    CJK_RUN.lastIndex = 0;
    while ((m = CJK_RUN.exec(text)) !== null) {
      for (var i = 0; i + 1 < m[0].length; i++) out.push({ t: m[0].substr(i, 2), at: m.index + i });
    }
    WORD.lastIndex = 0;
    while ((m = WORD.exec(text)) !== null) out.push({ t: m[0], at: m.index });
    return out;
  }

  function shardOf(token) {
    var h = 0x811c9dc5;
    encoder.encode(token).forEach(function (b) { h = Math.imul(h ^ b, 0x01000193) >>> 0; });
    return ("0" + (h % meta.shards).toString(16)).slice(-2);
  }

  function load(path) {
    if (!files.has(path)) {
      var p = fetch(new URL(path, biz).href).then(function (r) {
        if (!r.ok) throw new Error(path);
        return r.json();
      });
      p.catch(function () { files.delete(path); });  // fetched again next time
      files.set(path, p);
    }
    return files.get(path);
  }

  function own(obj, key) {
    return Object.prototype.hasOwnProperty.call(obj, key);
  }

  function undelta(list) {
    var out = [], n = 0;
    for (var i = 0; i < list.length; i++) { n += list[i]; out.push(n); }
    return out;
  }

  function occurrences(shard, token) {
    // ordinal → positions of ``token`` (Map), from the flat [Δordinal, position, …] list.
    var out = new Map();
    var flat = own(shard, token) ? shard[token] : [];
    var n = 0;
    for (var i = 0; i + 1 < flat.length; i += 2) {
      n += flat[i];
      if (!out.has(n)) out.set(n, []);
      out.get(n).push(flat[i + 1]);
    }
    return out;
  }

  function phrase(toks, shards) {
    // The ordinals whose text holds every token at the term's relative positions (a Set).
    var lists = toks.map(function (tk) { return occurrences(shards[shardOf(tk.t)], tk.t); });
    var found = new Set();
    lists[0].forEach(function (positions, ordinal) {
      var ok = positions.some(function (p) {
        var start = p - toks[0].at;
        return lists.every(function (l, j) {
          var ps = l.get(ordinal);
          return ps !== undefined && ps.indexOf(start + toks[j].at) >= 0;
        });
      });
      if (ok) found.add(ordinal);
    });
    return found;
  }

  function valueMatches(term) {
    // Ordinals of the filter values that contain ``term`` (a Promise of a Set).
    var wanted = [];
    groups.forEach(function (g) {
      g.values.forEach(function (v) { if (normalize(v).indexOf(term) >= 0) wanted.push([g, v]); });
    });
    return Promise.all(wanted.map(function (gv) { return members(gv[0], gv[1]); }))
      .then(function (sets) {
        var out = new Set();
        sets.forEach(function (s) { s.forEach(function (n) { out.add(n); }); });
        return out;
      });
  }

  function members(g, value) {
    return load("f/" + g.index + ".json").then(function (f) {
      return new Set(own(f, value) ? undelta(f[value]) : []);
    });
  }

  function termMatches(term) {
    // {name: Set found by name or code, all: Set also found by a filter value}; null: no token.
    var toks = tokens(term);
    var byValue = valueMatches(term);
    if (!toks.length) return byValue.then(function (v) { return v.size ? { name: new Set(), all: v } : null; });
    var names = [];
    toks.forEach(function (tk) { if (names.indexOf(shardOf(tk.t)) < 0) names.push(shardOf(tk.t)); });
    return Promise.all(names.map(function (s) { return load("p/" + s + ".json"); }))
      .then(function (loaded) {
        var shards = Object.create(null);
        names.forEach(function (s, i) { shards[s] = loaded[i]; });
        var name = phrase(toks, shards);
        return byValue.then(function (v) {
          var all = new Set(name);
          v.forEach(function (n) { all.add(n); });
          return { name: name, all: all };
        });
      });
  }

  function intersect(a, b) {
    var out = new Set();
    a.forEach(function (n) { if (b.has(n)) out.add(n); });
    return out;
  }

  function filterSet() {
    // Ordinals allowed by the ticked filters (a Promise of a Set), or null without any.
    var active = groups.filter(function (g) { return selectedValues(g).length; });
    if (!active.length) return Promise.resolve(null);
    return Promise.all(active.map(function (g) {
      return Promise.all(selectedValues(g).map(function (v) { return members(g, v); }))
        .then(function (sets) {
          var out = new Set();
          sets.forEach(function (s) { s.forEach(function (n) { out.add(n); }); });
          return out;
        });
    })).then(function (sets) { return sets.reduce(intersect); });
  }

  function selectedValues(g) {
    var out = [];
    g.selected.forEach(function (on, v) { if (on) out.push(v); });
    return out;
  }

  function businesses(terms) {
    // Ordinals found, those found by name in every term first, each part in code order; null
    // when a term has no token and matches no filter value (one CJK character).
    return Promise.all([Promise.all(terms.map(termMatches)), filterSet()]).then(function (both) {
      var per = both[0], allowed = both[1];
      if (per.some(function (m) { return m === null; })) return null;
      var all = per.length ? per.map(function (m) { return m.all; }).reduce(intersect) : allowed;
      if (all === null) return [];
      if (per.length && allowed) all = intersect(all, allowed);
      var first = [], rest = [];
      all.forEach(function (n) {
        var byName = per.every(function (m) { return m.name.has(n); });
        (byName ? first : rest).push(n);
      });
      var order = function (a, b) { return a - b; };
      return first.sort(order).concat(rest.sort(order));
    });
  }

  function others(term, filtered) {
    // Pagefind's results for checklist items, plans and tasks (they carry no filter values).
    if (!pagefind || !term || filtered) return Promise.resolve([]);
    return pagefind.search(term).then(function (s) { return s ? s.results : []; });
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function marked(text, words) {
    // ``text`` as text nodes, each occurrence of one of ``words`` inside a <mark> we create.
    var out = document.createDocumentFragment();
    var low = normalize(text);
    var at = 0;
    if (low.length !== text.length) words = [];  // NFKC changed the length: no highlighting
    while (at < text.length) {
      var next = -1, len = 0;
      words.forEach(function (w) {
        var i = w ? low.indexOf(w, at) : -1;
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

  function safeHref(url) {
    // Only paths on this site (Pagefind builds them from file paths and our base URL).
    if (typeof url !== "string" || url.charAt(0) !== "/" || url.charAt(1) === "/") return null;
    return url;
  }

  function renderBusiness(record, terms) {
    var li = el("li", "search-result");
    var title = el("p", "search-result-title");
    var code = String(record[0]), name = String(record[1]), values = record[2] || [];
    var link = el("a", "search-result-link");
    link.setAttribute("href", root.pathname + "entities/" + encodeURIComponent(code) + "/");
    link.appendChild(marked(name, terms));
    title.appendChild(link);
    title.appendChild(document.createTextNode(" "));
    var label = code.length === 15 ? "注册号 " : "统一社会信用代码 ";
    title.appendChild(el("small", "search-result-code", label + code));
    li.appendChild(title);
    // 行业 and 行政区划, and any other filter value holding a term (why it was found).
    var parts = [];
    [1, 0, 2, 3].forEach(function (g) {
      var vs = (Array.isArray(values[g]) ? values[g] : []).map(String);
      var hit = vs.some(function (v) {
        return terms.some(function (t) { return normalize(v).indexOf(t) >= 0; });
      });
      if (vs.length && groups[g] && (g < 2 || hit)) parts.push(groups[g].name + "：" + vs.join("、"));
    });
    var p = el("p", "search-result-excerpt");
    p.appendChild(marked(parts.join("；"), terms));
    li.appendChild(p);
    return li;
  }

  function renderOther(data) {
    var li = el("li", "search-result");
    var title = el("p", "search-result-title");
    var href = safeHref(data.url);
    var holder = href ? el("a", "search-result-link") : el("span");
    if (href) holder.setAttribute("href", href);
    holder.textContent = String((data.meta && data.meta.title) || data.url);
    title.appendChild(holder);
    li.appendChild(title);
    var p = el("p", "search-result-excerpt");
    p.appendChild(excerpt(data.excerpt));
    li.appendChild(p);
    return li;
  }

  function excerpt(html) {
    // Pagefind's excerpt: page text with < and > escaped, matches wrapped in <mark>…</mark>;
    // split on exactly those two tags, each piece a text node (docs/site.md §6.1, rule 2).
    var out = document.createDocumentFragment();
    var mark = null;
    String(html || "").split(/(<mark>|<\/mark>)/).forEach(function (part) {
      if (part === "<mark>") { mark = el("mark"); out.appendChild(mark); return; }
      if (part === "</mark>") { mark = null; return; }
      if (!part) return;
      var text = document.createTextNode(part.replace(/&lt;/g, "<").replace(/&gt;/g, ">"));
      (mark || out).appendChild(text);
    });
    return out;
  }

  function record(ordinal) {
    var k = Math.floor(ordinal / meta.block);
    return load("d/" + k + ".json").then(function (docs) { return docs[ordinal - k * meta.block]; });
  }

  function showMore(gen, terms) {
    var batch = results.slice(shown, shown + PAGE);
    shown += batch.length;
    more.hidden = shown >= results.length;
    return Promise.all(batch.map(function (r) {
      return r.pf ? r.pf.data() : record(r.ordinal);
    })).then(function (datas) {
      if (gen !== generation) return;
      datas.forEach(function (d, i) {
        if (!d) return;
        list.appendChild(batch[i].pf ? renderOther(d) : renderBusiness(d, terms));
      });
    });
  }

  function updateCounts() {
    // Only for the open filter groups: a phone fetches a group file when it is needed.
    groups.forEach(function (g) {
      g.counts.forEach(function (node, value) {
        if (!matched || !g.details || !g.details.open) { node.textContent = ""; return; }
        members(g, value).then(function (s) {
          var n = 0;
          s.forEach(function (o) { if (matched.has(o)) n++; });
          if (matched) node.textContent = "（" + n + "）";
        });
      });
    });
  }

  function run() {
    var gen = ++generation;
    var term = normalize(input.value).trim();
    var terms = term ? term.split(/\s+/) : [];
    var filtered = groups.some(function (g) { return selectedValues(g).length; });
    if (!terms.length && !filtered) {
      list.textContent = "";
      more.hidden = true;
      status.textContent = "";
      matched = null;
      updateCounts();
      return;
    }
    status.textContent = "正在搜索……";
    Promise.all([businesses(terms), others(term, filtered)])
      .then(function (both) {
        if (gen !== generation) return;
        var found = both[0], rest = both[1];
        matched = new Set(found || []);
        results = (found || []).map(function (n) { return { ordinal: n }; })
          .concat(rest.map(function (r) { return { pf: r }; }));
        shown = 0;
        list.textContent = "";
        var note = found === null ? "查找市场主体请至少输入两个连续的汉字。" : "";
        status.textContent = (results.length
          ? "找到 " + results.length + " 条结果。"
          : "没有找到结果。请换一个关键词，或减少筛选条件。") + note;
        updateCounts();
        return showMore(gen, terms);
      })
      .catch(function () { status.textContent = "搜索失败，请稍后重试。"; });
  }

  function later() {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(function () { timer = null; run(); }, 200);
  }

  function renderFilters() {
    groups.forEach(function (g) {
      if (!g.values.length) return;
      var details = el("details", "search-filter");
      details.appendChild(el("summary", null, g.name));
      var set = el("fieldset");
      set.appendChild(el("legend", "search-filter-legend", g.name));
      g.values.forEach(function (value) {
        var label = el("label", "search-filter-value");
        var check = el("input");
        check.type = "checkbox";
        check.addEventListener("change", function () {
          g.selected.set(value, check.checked);
          run();
        });
        label.appendChild(check);
        label.appendChild(document.createTextNode(value));
        g.counts.set(value, label.appendChild(el("span", "small")));
        set.appendChild(label);
      });
      details.appendChild(set);
      details.addEventListener("toggle", updateCounts);
      g.details = details;
      filterBox.appendChild(details);
    });
  }

  function startPagefind() {
    if (!bundleAttr) return Promise.resolve();
    var bundle = new URL(bundleAttr, window.location.href);
    return import(new URL("pagefind.js", bundle).href)
      .then(function (module) {
        return module.options({ baseUrl: root.pathname }).then(function () { pagefind = module; });
      })
      .catch(function () { pagefind = null; });  // businesses are still searched
  }

  function start(m) {
    meta = m;
    if (!meta || meta.format !== "gongkai-search/v1") throw new Error("format");
    groups = (meta.groups || []).map(function (g, i) {
      return {
        index: i,
        name: String(g.name),
        values: (g.values || []).map(String),
        selected: new Map(),
        counts: new Map(),
        details: null,
      };
    });
    renderFilters();
    input.disabled = false;
    status.textContent = "";
    form.addEventListener("submit", function (ev) { ev.preventDefault(); run(); });
    input.addEventListener("input", later);
    more.addEventListener("click", function () {
      showMore(generation, normalize(input.value).trim().split(/\s+/));
    });
    // A link or a submission without script (/search/?q=…) searches for its q; it only fills the box.
    var asked = new URLSearchParams(window.location.search).get("q");
    if (!input.value.trim() && asked) input.value = asked;
    if (input.value.trim()) run();
  }

  Promise.all([load("meta.json"), startPagefind()])
    .then(function (both) { start(both[0]); })
    .catch(function () {
      status.textContent = "全文搜索索引加载失败。请浏览检查对象名录、抽查事项清单和检查结果列表。";
    });
})();
