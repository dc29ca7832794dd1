// 移动检查 app (docs/mobile.md §8): plain ES2020, no network. The phone's Ed25519 key is made
// with WebCrypto (private key non-extractable) and kept in IndexedDB with the signed results.
// Bytes signed and exported follow docs/mobile.md §2 (enrolment), §4 (inspection statement)
// and §5 (bundle; §5.1 the co-signed v2 bundle: a colleague's results, reviewed and signed
// again with this phone's key), both also shown as QR codes (§5.2); canonicalJSON is the docs/ledger.md §10.1 profile for strings,
// arrays and objects (the only values these files hold).
"use strict";
(function () {
  const DATA = JSON.parse(document.getElementById("app-data").textContent);
  const ENROL_CONTEXT = "gongkai-inspector/v1 enrol\n";
  const INSPECTION_CONTEXT = "gongkai-inspection/v1\n";
  const BUNDLE_V1 = "gongkai-result-bundle/v1";
  const BUNDLE_V2 = "gongkai-result-bundle/v2";
  const NO_PROBLEM = "未发现问题";
  const NONE_NEEDED = DATA.measures[0];
  const RECTIFY = DATA.measures[2];
  const NOTIFY = DATA.measures[4];
  const OTHER = DATA.measures[5];
  const SCOPE = [DATA.origin, DATA.dept].join("\u001f");
  // docs/content.md §9: control, format, separator characters and fillers (line feed, tab allowed).
  const UNSAFE = /(?![\n\t])[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]/u;
  const enc = new TextEncoder();
  const $ = (id) => document.getElementById(id);
  let db = null;
  let me = null; // {inspector, privateKey, pub, vkey, keyref, proof}
  let current = null; // the assignment being entered
  let incoming = []; // a colleague's signed results under review: [{result, attachments, sigs}]

  function status(text, bad) {
    const el = $("status");
    el.textContent = text;
    el.className = bad ? "error" : "";
  }

  function canonicalJSON(v) {
    if (typeof v === "string") {
      if (!v.isWellFormed()) throw new Error("文本中含有无效字符");
      return JSON.stringify(v);
    }
    if (Array.isArray(v)) return "[" + v.map(canonicalJSON).join(",") + "]";
    if (v !== null && typeof v === "object") {
      const keys = Object.keys(v).sort();
      return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJSON(v[k])).join(",") + "}";
    }
    throw new Error("不支持的值");
  }

  const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
  const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)));
  const sha256 = (bytes) => crypto.subtle.digest("SHA-256", bytes);
  // Key references in Unicode code point order (Python's str order, docs/mobile.md §5.1).
  function byKey(a, b) {
    const x = Array.from(a.key, (c) => c.codePointAt(0));
    const y = Array.from(b.key, (c) => c.codePointAt(0));
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
    return x.length - y.length;
  }

  // -- IndexedDB -------------------------------------------------------------------------
  function openDb() {
    return new Promise((resolve, reject) => {
      const req = indexedDB.open("gongkai-mobile", 1);
      req.onupgradeneeded = () => {
        req.result.createObjectStore("keys");
        req.result.createObjectStore("results");
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
  }
  function tx(store, mode, fn) {
    return new Promise((resolve, reject) => {
      const t = db.transaction(store, mode);
      const req = fn(t.objectStore(store));
      t.oncomplete = () => resolve(req ? req.result : undefined);
      t.onerror = () => reject(t.error);
    });
  }
  const getKey = () => tx("keys", "readonly", (s) => s.get(SCOPE));
  const putKey = (rec) => tx("keys", "readwrite", (s) => s.put(rec, SCOPE));
  const resultId = (entity) => [DATA.origin, DATA.task_id, DATA.dept, me.keyref, entity].join("\u001f");
  const getResult = (entity) => tx("results", "readonly", (s) => s.get(resultId(entity)));
  const putResult = (entity, rec) => tx("results", "readwrite", (s) => s.put(rec, resultId(entity)));

  // -- keys (docs/mobile.md §2) ------------------------------------------------------------
  async function makeKey(inspector) {
    const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
    const pub = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
    const name = `${DATA.origin}/inspector/${DATA.dept}/${inspector}/${hex(await sha256(pub)).slice(0, 16)}`;
    const idInput = new Uint8Array([...enc.encode(name), 0x0a, 0x01, ...pub]);
    const keyId = hex(await sha256(idInput)).slice(0, 8);
    const keyref = `${name}+${keyId}`;
    const vkey = `${keyref}+${b64(new Uint8Array([0x01, ...pub]))}`;
    const statement = { dept: DATA.dept, inspector, origin: DATA.origin, vkey };
    const msg = enc.encode(ENROL_CONTEXT + canonicalJSON(statement));
    const proof = b64(await crypto.subtle.sign({ name: "Ed25519" }, pair.privateKey, msg));
    const rec = { inspector, privateKey: pair.privateKey, pub: b64(pub), vkey, keyref, proof };
    await putKey(rec);
    return rec;
  }

  function download(name, text) {
    const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  function enrolmentFile() {
    return canonicalJSON({
      dept: DATA.dept, format: "gongkai-inspector-enrolment/v1", inspector: me.inspector,
      origin: DATA.origin, proof: me.proof, vkey: me.vkey,
    }) + "\n";
  }

  // -- screens -----------------------------------------------------------------------------
  function show(...ids) {
    for (const id of ["setup", "enrol", "list", "form", "cosign", "qr"]) $(id).hidden = !ids.includes(id);
    window.scrollTo(0, 0);
  }
  const person = (id) => (DATA.inspectors.find((p) => p.id === id) || { name: id }).name;
  const mine = () => DATA.assignments.filter((a) => a.team.includes(me.inspector));
  // The inspector (执法证号) of a key reference of this department (docs/mobile.md §2.1).
  function signerOf(ref) {
    const prefix = `${DATA.origin}/inspector/${DATA.dept}/`;
    return ref.startsWith(prefix) ? ref.slice(prefix.length).split("/")[0] : ref;
  }
  const names = (ids) => ids.map((i) => `${person(i)}（${i}）`).join("、");

  async function showList() {
    $("who").textContent = `检查人员：${person(me.inspector)}（${me.inspector}）`;
    const list = $("assignments");
    list.replaceChildren();
    for (const a of mine()) {
      const saved = await getResult(a.entity);
      const li = document.createElement("li");
      const b = document.createElement("button");
      b.type = "button";
      b.dataset.entity = a.entity;
      const title = document.createElement("strong");
      title.textContent = a.name;
      const state = document.createElement("span");
      state.className = saved ? "state signed" : "state";
      const co = saved && saved.cosigs && saved.cosigs.length ? `（与 ${names(saved.cosigs.map((c) => signerOf(c.key)))} 共同签名）` : "";
      state.textContent = `${a.entity} · ${saved ? "已签名：" + saved.result.categories.join("、") + co : "未录入"}`;
      b.append(title, state);
      b.addEventListener("click", () => showForm(a, saved));
      li.append(b);
      list.append(li);
    }
    if (!mine().length) status("本任务中没有分配给您的检查对象。", true);
    show("enrol", "list");
    await refreshQrButton();
  }

  function choice(container, type, name, value, label, checked, disabled) {
    const l = document.createElement("label");
    l.className = "choice";
    const i = document.createElement("input");
    Object.assign(i, { type, name, value, checked: !!checked, disabled: !!disabled });
    l.append(i, document.createTextNode(" " + label));
    container.append(l);
  }

  function showForm(a, saved) {
    current = a;
    current.hashes = saved ? saved.attachments.slice() : [];
    const r = saved ? saved.result : null;
    $("form-title").textContent = a.name;
    $("form-address").textContent = `${a.entity}　${a.address}`;
    const fill = (id, type, entries, isChecked, isDisabled) => {
      const c = $(id);
      c.replaceChildren();
      for (const [value, label] of entries) choice(c, type, id, value, label, isChecked(value), isDisabled && isDisabled(value));
    };
    fill("f-inspectors", "checkbox", a.team.map((i) => [i, `${person(i)}（${i}）`]),
      (v) => (r ? r.inspectors.includes(v) : true), (v) => v === me.inspector);
    fill("f-items", "checkbox", a.items.map((i) => [i.id, i.name]), (v) => (r ? r.items.includes(v) : true));
    fill("f-methods", "checkbox", DATA.methods.map((m) => [m, m]), (v) => (r ? r.methods.includes(v) : v === DATA.methods[0]));
    fill("f-categories", "checkbox", DATA.categories.map((c) => [c.word, c.dept_word ? `${c.word}（本部门用语）` : c.word]), (v) => (r ? r.categories.includes(v) : false));
    const measure = $("f-measure");
    measure.replaceChildren(...DATA.measures.map((m) => new Option(m, m)));
    const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
    measure.value = r ? r.followup.measure : NONE_NEEDED;
    $("f-detail").value = r ? r.detail : "";
    $("f-inspected").value = r ? r.inspected_on : today;
    $("f-completed").value = r ? r.completed_on : today;
    $("f-note").value = r && r.followup.note ? r.followup.note : "";
    for (const el of document.getElementsByName("f-state")) el.checked = el.value === (r ? r.followup.state : "未完结");
    $("f-closed").value = r && r.followup.closed_on ? r.followup.closed_on : "";
    $("f-files").value = "";
    showHashes();
    $("form-error").textContent = "";
    status("");
    show("form");
  }

  function showHashes() {
    $("f-hashes").replaceChildren(...current.hashes.map((h) => {
      const li = document.createElement("li");
      li.textContent = h;
      return li;
    }));
  }

  const checked = (id) => Array.from($(id).querySelectorAll("input:checked"), (i) => i.value);

  // The rules of docs/mobile.md §6.3 that the phone can check itself.
  function readForm() {
    const categories = checked("f-categories");
    const methods = checked("f-methods");
    const measure = $("f-measure").value;
    const state = Array.from(document.getElementsByName("f-state")).find((e) => e.checked).value;
    const note = $("f-note").value.trim();
    const inspected = $("f-inspected").value;
    const completed = $("f-completed").value;
    const closed = $("f-closed").value;
    const cats = DATA.categories.filter((c) => categories.includes(c.word));
    if (!methods.length) throw new Error("请至少选择一种检查方式");
    if (!categories.length) throw new Error("请至少选择一项检查结果");
    if (categories.includes(NO_PROBLEM) && categories.length > 1) throw new Error("“未发现问题”不能与其他检查结果同时选择");
    if (categories.includes(NO_PROBLEM) && measure !== NONE_NEEDED) throw new Error(`检查结果为“未发现问题”，后续处置措施应为“${NONE_NEEDED}”`);
    if (measure === RECTIFY && !cats.some((c) => c.own)) throw new Error(`“${RECTIFY}”须有违反本部门规定的检查结果`);
    if (measure === NOTIFY && !cats.some((c) => c.other)) throw new Error(`“${NOTIFY}”须有违反其他部门或公安部门相关规定的检查结果`);
    if (measure === OTHER && !note) throw new Error("后续处置措施为“其他”时须填写处置说明");
    if (!inspected || !completed) throw new Error("请填写检查日期和完成日期");
    if (!(DATA.draw_date <= inspected && inspected <= completed)) throw new Error(`日期应满足 抽取日（${DATA.draw_date}）≤ 检查日期 ≤ 完成日期`);
    if (state === "已完结" && !closed) throw new Error("后续处置已完结的，须填写完结日期");
    if (state === "已完结" && closed < completed) throw new Error("完结日期不能早于完成日期");
    const detail = $("f-detail").value.trim();
    for (const [what, text] of [["具体情况", detail], ["处置说明", note]]) {
      if (UNSAFE.test(text)) throw new Error(`${what}含有控制字符或不可见、改变文字方向的字符，请删除`);
    }
    const followup = { measure, state };
    if (note) followup.note = note;
    if (state === "已完结") followup.closed_on = closed;
    const chosen = checked("f-inspectors");
    if (!chosen.includes(me.inspector)) chosen.push(me.inspector);
    return {
      categories, completed_on: completed, detail, entity: current.entity,
      followup, inspected_on: inspected,
      inspectors: current.team.filter((i) => chosen.includes(i)),
      items: current.items.map((i) => i.id).filter((i) => checked("f-items").includes(i)),
      methods: DATA.methods.filter((m) => methods.includes(m)),
    };
  }

  // docs/mobile.md §4.1
  async function signResult(result, attachments) {
    const statement = { attachments, dept: DATA.dept, result, task_id: DATA.task_id };
    const msg = enc.encode(INSPECTION_CONTEXT + DATA.origin + "\n" + canonicalJSON(statement));
    return b64(await crypto.subtle.sign({ name: "Ed25519" }, me.privateKey, msg));
  }

  // docs/mobile.md §5: v1 when every result carries this phone's signature alone, else v2 (§5.1).
  async function bundleFile() {
    const saved = [];
    const entities = mine().map((a) => a.entity).sort();
    for (const entity of entities) {
      const rec = await getResult(entity);
      if (rec) saved.push(rec);
    }
    if (!saved.length) throw new Error("还没有签名的结果");
    const head = { dept: DATA.dept, origin: DATA.origin, task_id: DATA.task_id };
    if (!saved.some((r) => r.cosigs && r.cosigs.length)) {
      const results = saved.map((r) => ({ attachments: r.attachments, result: r.result, sig: r.sig }));
      return canonicalJSON({ ...head, format: BUNDLE_V1, key: me.keyref, results }) + "\n";
    }
    const results = saved.map((r) => ({
      attachments: r.attachments, result: r.result,
      sigs: [{ key: me.keyref, sig: r.sig }, ...(r.cosigs || [])].sort(byKey),
    }));
    return canonicalJSON({ ...head, format: BUNDLE_V2, results }) + "\n";
  }

  // -- co-signing a colleague's results (docs/mobile.md §5.1, §8) ---------------------------
  function readColleagueBundle(text) {
    let b;
    try {
      b = JSON.parse(text);
    } catch (e) {
      throw new Error("文件不是结果包（不是 JSON）");
    }
    if (!b || (b.format !== BUNDLE_V1 && b.format !== BUNDLE_V2) || !Array.isArray(b.results)) {
      throw new Error("文件不是检查结果包");
    }
    if (b.origin !== DATA.origin || b.task_id !== DATA.task_id || b.dept !== DATA.dept) {
      throw new Error("结果包不属于本任务、本部门");
    }
    return b.results.map((r) => ({
      result: r.result, attachments: r.attachments,
      sigs: b.format === BUNDLE_V1 ? [{ key: b.key, sig: r.sig }] : r.sigs,
    }));
  }

  // Why this phone cannot co-sign `item`, or "".
  function cannotCosign(item) {
    const a = mine().find((x) => x.entity === item.result.entity);
    if (!a) return "该主体不在您的检查对象中，不能共同签名。";
    if (!item.result.inspectors.includes(me.inspector)) return "您不在该结果的检查人员中，不能共同签名。";
    if (item.sigs.some((s) => s.key === me.keyref)) return "本机已对该结果签名。";
    return "";
  }

  function reviewCard(item, i) {
    const r = item.result;
    const a = mine().find((x) => x.entity === r.entity);
    const li = document.createElement("li");
    const title = document.createElement("strong");
    title.textContent = a ? a.name : r.entity;
    const dl = document.createElement("dl");
    const rows = [
      ["统一社会信用代码", r.entity], ["检查结果", r.categories.join("、")], ["具体情况", r.detail || "无"],
      ["检查人员", names(r.inspectors)], ["检查日期 / 完成日期", `${r.inspected_on} / ${r.completed_on}`],
      ["后续处置", `${r.followup.measure}（${r.followup.state}${r.followup.closed_on ? "，" + r.followup.closed_on : ""}）`],
      ["照片、文件", `${item.attachments.length} 个（SHA-256）`],
      ["已签名", names(item.sigs.map((s) => signerOf(s.key)))],
    ];
    if (r.followup.note) rows.splice(6, 0, ["处置说明", r.followup.note]);
    for (const [k, v] of rows) {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      dl.append(dt, dd);
    }
    const b = document.createElement("button");
    b.type = "button";
    b.className = "primary";
    b.dataset.cosign = r.entity;
    const why = cannotCosign(item);
    b.textContent = why || "核对无误，共同签名";
    b.disabled = !!why;
    b.addEventListener("click", () => cosign(i, b));
    li.append(title, dl, b);
    return li;
  }

  async function cosign(i, button) {
    const item = incoming[i];
    const sig = await signResult(item.result, item.attachments);
    const cosigs = item.sigs.filter((s) => s.key !== me.keyref).sort(byKey);
    await putResult(item.result.entity, { result: item.result, attachments: item.attachments, sig, cosigs });
    button.textContent = "已共同签名";
    button.disabled = true;
    status(`已共同签名：${item.result.entity}`);
  }

  async function showCosign(file) {
    incoming = readColleagueBundle(await file.text());
    const from = new Set(incoming.flatMap((x) => x.sigs.map((s) => signerOf(s.key))));
    $("cosign-from").textContent = `来自 ${names([...from])} 的结果 ${incoming.length} 条。请逐条核对；共同签名后，本机导出的结果包同时带有同事和您的签名（本机替换该主体原有的结果）。`;
    $("cosign-results").replaceChildren(...incoming.map(reviewCard));
    status("");
    show("cosign");
  }

  // -- the enrolment file and a small bundle as QR codes (docs/mobile.md §5.2) --------------
  // part = "GKQR1:" ‖ i ‖ "/" ‖ n ‖ ":" ‖ HEX(SHA-256(file))[0:16] ‖ ":" ‖ chunk_i, the chunks
  // being the unpadded base32 of the file's raw DEFLATE stream (the browser's CompressionStream),
  // cut into n ≤ 9 pieces of at most 1,400 characters; each part is one QR code in alphanumeric
  // mode, error correction M, drawn with the vendored qrcode-generator (the global `qrcode`).
  const QR_PREFIX = "GKQR1:";
  const QR_CHUNK = 1400;
  const QR_MAX_PARTS = 9;
  const QR_MAX_FILE = 65536;
  const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const SVG_NS = "http://www.w3.org/2000/svg";
  let qrParts = [];
  let qrAt = 0;

  function base32(bytes) {
    let out = "";
    let bits = 0;
    let value = 0;
    for (const b of bytes) {
      value = ((value << 8) | b) & 0xfff;
      bits += 8;
      while (bits >= 5) {
        bits -= 5;
        out += BASE32[(value >> bits) & 31];
      }
    }
    if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
    return out;
  }

  async function deflateRaw(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("deflate-raw"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  // The code texts of a file's text, or an Error saying why it is too large for codes.
  async function qrTexts(text) {
    const bytes = enc.encode(text);
    if (bytes.length > QR_MAX_FILE) throw new Error(`文件有 ${bytes.length} 字节，超过二维码能传送的 ${QR_MAX_FILE} 字节`);
    const data = base32(await deflateRaw(bytes));
    const n = Math.ceil(data.length / QR_CHUNK);
    if (n > QR_MAX_PARTS) throw new Error(`需要 ${n} 张二维码，超过 ${QR_MAX_PARTS} 张`);
    const size = Math.ceil(data.length / n);
    const digest = hex(await sha256(bytes)).slice(0, 16).toUpperCase();
    return Array.from({ length: n }, (_, i) => `${QR_PREFIX}${i + 1}/${n}:${digest}:${data.slice(i * size, (i + 1) * size)}`);
  }

  // One code as an SVG drawn through the DOM (no markup parsed), with a quiet zone of 4 modules.
  function qrSvg(text, label) {
    const qr = qrcode(0, "M");
    qr.addData(text, "Alphanumeric");
    qr.make();
    const n = qr.getModuleCount();
    const size = n + 8;
    let d = "";
    for (let r = 0; r < n; r++) {
      for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + 4} ${r + 4}h1v1h-1z`;
    }
    const svg = document.createElementNS(SVG_NS, "svg");
    for (const [k, v] of [["viewBox", `0 0 ${size} ${size}`], ["role", "img"], ["aria-label", label],
      ["shape-rendering", "crispEdges"], ["data-modules", String(n)]]) svg.setAttribute(k, v);
    const ground = document.createElementNS(SVG_NS, "rect");
    for (const [k, v] of [["width", size], ["height", size], ["fill", "#fff"]]) ground.setAttribute(k, String(v));
    const dark = document.createElementNS(SVG_NS, "path");
    dark.setAttribute("d", d);
    dark.setAttribute("fill", "#000");
    svg.append(ground, dark);
    return svg;
  }

  // The code shown, as wide as the screen allows with whole device pixels a module (again when
  // the width changes: a phone turned sideways).
  function fitQr() {
    const svg = $("qr-code").firstElementChild;
    if (!svg) return;
    const size = Number(svg.getAttribute("data-modules")) + 8;
    const dpr = window.devicePixelRatio || 1;
    const room = Math.min($("qr-code").clientWidth || 320, 560);
    const px = Math.max(1, Math.floor((room * dpr) / size)) / dpr;
    svg.style.width = svg.style.height = `${size * px}px`;
  }

  function drawQr() {
    const n = qrParts.length;
    $("qr-count").textContent = n > 1 ? `第 ${qrAt + 1} 张，共 ${n} 张` : "共 1 张";
    $("qr-code").dataset.part = String(qrAt + 1);
    $("qr-code").replaceChildren(qrSvg(qrParts[qrAt], `二维码第 ${qrAt + 1} 张，共 ${n} 张`));
    fitQr();
    $("qr-prev").disabled = qrAt === 0;
    $("qr-next").disabled = qrAt === n - 1;
    $("qr-prev").parentElement.hidden = n < 2;
  }

  function showQr(title, hint, parts) {
    qrParts = parts;
    qrAt = 0;
    $("qr-title").textContent = title;
    $("qr-hint").textContent = hint;
    status("");
    show("qr");
    drawQr();
  }

  // The bundle's codes, or the reason there are none (shown on the disabled button).
  async function bundleQr() {
    let text;
    try {
      text = await bundleFile();
    } catch (e) {
      return { why: e.message };
    }
    try {
      return { parts: await qrTexts(text) };
    } catch (e) {
      return { why: `结果包太大，不能用二维码传送（${e.message}），请用“导出结果包”` };
    }
  }

  async function refreshQrButton() {
    const b = $("qr-bundle");
    const got = await bundleQr();
    b.disabled = !got.parts;
    b.textContent = got.parts ? `用二维码传送结果包（${got.parts.length} 张）` : `用二维码传送结果包：${got.why}`;
  }

  // -- offline and installable over HTTPS (docs/mobile.md §8.1) ----------------------------
  // Served over HTTPS (or http://127.0.0.1), the page links its manifest and registers its
  // service worker, which keeps this file for use with the network cut. Opened from a file it
  // fetches nothing: a file needs no worker, and a file: page cannot register one.
  function installOffline() {
    if (location.protocol === "file:" || !window.isSecureContext || !("serviceWorker" in navigator)) return;
    const link = document.createElement("link");
    link.rel = "manifest";
    link.href = `${DATA.dept}.webmanifest`;
    document.head.append(link);
    const scope = location.href.split(/[?#]/)[0];
    navigator.serviceWorker.register(`${DATA.dept}.sw.js`, { scope }).catch(() => {
      // Without a worker the page works as before, as long as it stays open.
    });
  }

  // -- wiring ------------------------------------------------------------------------------
  async function start() {
    if (!window.isSecureContext || !window.crypto || !crypto.subtle || !window.indexedDB) {
      status("此浏览器环境不能生成签名密钥：请从本地文件或 HTTPS 地址打开本应用。", true);
      return;
    }
    db = await openDb();
    me = await getKey();
    if (me) {
      await showList();
    } else {
      show("setup");
    }
  }

  $("make-key").addEventListener("click", async () => {
    const inspector = $("me").value;
    if (!inspector) return status("请先在“我是”中选择本人。", true);
    try {
      me = await makeKey(inspector);
      status("已生成本机签名密钥。请导出登记文件交本部门登记。");
      await showList();
    } catch (e) {
      status("无法生成 Ed25519 密钥（浏览器版本过旧？）：" + e.message, true);
    }
  });
  $("export-enrol").addEventListener("click", () => {
    download(`${me.inspector}.enrol.json`, enrolmentFile());
    status("已导出登记文件。");
  });
  $("qr-enrol").addEventListener("click", async () => {
    const parts = await qrTexts(enrolmentFile());
    showQr("登记二维码", `请本部门工作人员扫描${parts.length > 1 ? "全部二维码" : ""}，用 gongkai inspector enroll --qr-text 扫码文字 --dept ${DATA.dept} 登记（与登记文件相同，二维码中没有私钥）。`, parts);
  });
  $("qr-bundle").addEventListener("click", async () => {
    const got = await bundleQr();
    if (!got.parts) return status(got.why, true);
    const n = got.parts.length;
    showQr("结果包二维码", `请本部门工作人员依次扫描全部 ${n} 张（每张一个 --qr-text，顺序不限）：gongkai results import --qr-text 扫码文字 --dept ${DATA.dept}。二维码与导出的结果包文件内容相同。`, got.parts);
  });
  $("qr-prev").addEventListener("click", () => {
    if (qrAt > 0) qrAt -= 1;
    drawQr();
  });
  $("qr-next").addEventListener("click", () => {
    if (qrAt < qrParts.length - 1) qrAt += 1;
    drawQr();
  });
  $("qr-back").addEventListener("click", () => showList());
  window.addEventListener("resize", fitQr);
  $("export-bundle").addEventListener("click", async () => {
    try {
      download(`${DATA.task_id}.${me.inspector}.bundle.json`, await bundleFile());
      status("已导出结果包。");
    } catch (e) {
      status(e.message, true);
    }
  });
  $("f-files").addEventListener("change", async (ev) => {
    for (const file of ev.target.files) {
      const h = hex(await sha256(await file.arrayBuffer()));
      if (!current.hashes.includes(h)) current.hashes.push(h);
    }
    showHashes();
  });
  $("back").addEventListener("click", () => showList());
  $("cosign-back").addEventListener("click", () => showList());
  $("cosign-file").addEventListener("change", async (ev) => {
    const file = ev.target.files[0];
    ev.target.value = "";
    if (!file) return;
    try {
      await showCosign(file);
    } catch (e) {
      status(e.message, true);
    }
  });
  $("result-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    let result;
    try {
      result = readForm();
    } catch (e) {
      $("form-error").textContent = e.message;
      return;
    }
    const attachments = current.hashes.slice();
    const sig = await signResult(result, attachments);
    await putResult(current.entity, { result, attachments, sig });
    status(`已签名保存：${current.name}`);
    await showList();
  });
  installOffline();
  start().catch((e) => status("启动失败：" + e.message, true));
})();
