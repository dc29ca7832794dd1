/*
 * gongkai ledger primitives for the in-browser verifier (plain ES2020, no build step).
 *
 * Normative text: docs/ledger.md. Everything here re-implements, from that document alone,
 * what ledger/*.py does, so the browser and `gongkai verify` agree byte for byte:
 *
 *   - canonical JSON (docs/ledger.md §10.1; RFC 8785 profile, integers only)
 *   - leaf/node hashes and RFC 9162 inclusion proofs (§10.2, §10.3)
 *   - key strings, key IDs, signed notes, checkpoints and tlog-proof receipts
 *     ("Signed notes, checkpoints, receipts and key files")
 *   - the entry envelope and its signing message (docs/ledger.md §13.2)
 *
 * Hashing and signatures use WebCrypto only: crypto.subtle.digest('SHA-256') and
 * crypto.subtle.importKey/verify with {name: 'Ed25519'} (Chrome 137+, Firefox 129+, Safari 17+).
 * Exposed as the global `GongkaiLedger` (classic script, so it also loads without a module
 * loader).
 */
(function (global) {
  'use strict';

  /** A verification failure: `message` is shown to the user (Chinese). */
  class VerifyError extends Error {}

  const enc = new TextEncoder();
  const dec = new TextDecoder('utf-8', { fatal: true });

  /** UTF-8 bytes of a string. */
  function utf8(s) {
    return enc.encode(s);
  }

  /** Strict UTF-8 decoding (throws VerifyError on invalid bytes). */
  function fromUtf8(bytes, what) {
    try {
      return dec.decode(bytes);
    } catch (e) {
      throw new VerifyError(`${what}：不是有效的 UTF-8`);
    }
  }

  /** Concatenate byte arrays (the ‖ of the docs). */
  function concat(...parts) {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }

  const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

  /** Lowercase hex of bytes. */
  function toHex(bytes) {
    const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    let s = '';
    for (let i = 0; i < b.length; i++) s += HEX[b[i]];
    return s;
  }

  /** Decode lowercase hex (exactly `n` bytes when given). */
  function fromHex(text, n, what) {
    if (typeof text !== 'string' || !/^(?:[0-9a-f]{2})*$/.test(text) ||
        (n !== undefined && text.length !== 2 * n)) {
      throw new VerifyError(`${what}：应为${n ? ' ' + 2 * n + ' 位' : ''}小写十六进制`);
    }
    const out = new Uint8Array(text.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
    return out;
  }

  const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

  /** Encode bytes as standard padded base64 (RFC 4648 §4). */
  function toB64(bytes) {
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(s);
  }

  /** Canonical base64 only: re-encoding must give the same text (docs/ledger.md, key strings). */
  function fromB64(text, what) {
    if (typeof text !== 'string' || !B64.test(text)) {
      throw new VerifyError(`${what}：不是规范的 base64`);
    }
    const bin = atob(text);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    if (toB64(out) !== text) throw new VerifyError(`${what}：不是规范的 base64`);
    return out;
  }

  function equalBytes(a, b) {
    if (a.length !== b.length) return false;
    let d = 0;
    for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
    return d === 0;
  }

  /** SHA-256 (WebCrypto). Returns a Promise<Uint8Array(32)>. */
  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  }

  /**
   * SHA-256 of many inputs, in batches: every digest of a batch is requested at once and
   * awaited with Promise.all (one await per batch, never one per item in series).
   */
  async function sha256Many(inputs, batch = 4096) {
    const out = new Array(inputs.length);
    for (let i = 0; i < inputs.length; i += batch) {
      const part = inputs.slice(i, i + batch).map((x) => crypto.subtle.digest('SHA-256', x));
      const done = await Promise.all(part);
      for (let j = 0; j < done.length; j++) out[i + j] = new Uint8Array(done[j]);
    }
    return out;
  }

  // ---- canonical JSON (docs/ledger.md §10.1, docs/draw-v1.md §1 CJ) --------------------

  const MAX_SAFE = 9007199254740991;

  /**
   * Canonical JSON text of a value: keys sorted by UTF-16 code units (which is exactly
   * JavaScript's default string order), no whitespace, integers only, strings escaped as
   * JSON.stringify does (only `"`, `\` and U+0000..U+001F, with \b \f \n \r \t and lowercase
   * \u00xx), everything else raw — the same bytes as Python's json.dumps(ensure_ascii=False).
   */
  function canonical(value) {
    if (value === null) return 'null';
    switch (typeof value) {
      case 'boolean':
        return value ? 'true' : 'false';
      case 'number':
        if (!Number.isInteger(value) || Math.abs(value) > MAX_SAFE || Object.is(value, -0)) {
          throw new VerifyError(`规范 JSON 只允许安全范围内的整数：${value}`);
        }
        return String(value);
      case 'string':
        if (/[\ud800-\udbff](?![\udc00-\udfff])|(?:[^\ud800-\udbff]|^)[\udc00-\udfff]/.test(value)) {
          throw new VerifyError('字符串含有孤立代理项');
        }
        return JSON.stringify(value);
      case 'object': {
        if (Array.isArray(value)) return '[' + value.map(canonical).join(',') + ']';
        const keys = Object.keys(value).sort();
        return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonical(value[k])).join(',') + '}';
      }
      default:
        throw new VerifyError('规范 JSON 不支持的值');
    }
  }

  /**
   * Parse canonical JSON strictly: the text must re-serialise to itself (docs/ledger.md §10.1:
   * "valid iff serialize(parse(d)) == d"). Duplicate keys re-serialise differently, floats
   * and exponents too.
   */
  function parseCanonical(text, what) {
    let value;
    try {
      value = JSON.parse(text);
    } catch (e) {
      throw new VerifyError(`${what}：不是 JSON`);
    }
    if (canonical(value) !== text) throw new VerifyError(`${what}：不是规范 JSON`);
    return value;
  }

  /** Compare strings by code point (= by UTF-8 bytes; docs/draw-v1.md §1 "Identifiers"). */
  function cmpCodePoints(a, b) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      let x = a.charCodeAt(i);
      let y = b.charCodeAt(i);
      if (x !== y) {
        // UTF-16 order differs from code-point order only between surrogates (U+10000+) and
        // U+E000..U+FFFF: move surrogates above that block.
        if (x >= 0xd800) x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
        if (y >= 0xd800) y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
        return x - y;
      }
    }
    return a.length - b.length;
  }

  // ---- Merkle tree (docs/ledger.md §10.2, §10.3; RFC 9162 §2.1) --------------------------

  /** leaf_hash(d) = SHA-256(0x00 ‖ d). */
  function leafHash(line) {
    return sha256(concat(new Uint8Array([0]), line));
  }

  function nodeHash(l, r) {
    return sha256(concat(new Uint8Array([1]), l, r));
  }

  /** verify_inclusion exactly as in docs/ledger.md §10.3; resolves to true/false. */
  async function verifyInclusion(index, size, leaf, proof, root) {
    if (leaf.length !== 32 || root.length !== 32 || proof.some((p) => p.length !== 32)) return false;
    if (!(index >= 0 && index < size)) return false;
    // Sizes up to 2^53 are exact as Numbers; use BigInt shifts anyway for clarity.
    let fn = BigInt(index);
    let sn = BigInt(size) - 1n;
    let r = leaf;
    for (const p of proof) {
      if (sn === 0n) return false; // proof too long
      if ((fn & 1n) === 1n || fn === sn) {
        r = await nodeHash(p, r);
        if ((fn & 1n) === 0n) {
          // right border: skip levels without a sibling
          while ((fn & 1n) === 0n && fn !== 0n) {
            fn >>= 1n;
            sn >>= 1n;
          }
        }
      } else {
        r = await nodeHash(r, p);
      }
      fn >>= 1n;
      sn >>= 1n;
    }
    if (sn !== 0n) return false; // proof too short
    return equalBytes(r, root);
  }

  // ---- keys and signed notes (docs/ledger.md "Signed notes, checkpoints, receipts") -------

  const ALG_ED25519 = 0x01;

  /** A key name: non-empty, no whitespace, no '+', no control characters. */
  function validName(name) {
    return name.length > 0 && !/[\s+\u0000-\u001f]/u.test(name);
  }

  /**
   * Parse a vkey `name+hex8+b64(alg ‖ pub)` and check its key ID:
   * key_id = SHA-256(name ‖ 0x0A ‖ alg ‖ pub)[0:4]. Resolves to {name, keyId, keyRef, pub, key}
   * with `key` a WebCrypto Ed25519 public key.
   */
  async function parseVkey(vkey) {
    const a = vkey.indexOf('+');
    const b = a < 0 ? -1 : vkey.indexOf('+', a + 1);
    if (a <= 0 || b < 0) throw new VerifyError(`验证密钥格式错误：${vkey}`);
    const name = vkey.slice(0, a);
    const idHex = vkey.slice(a + 1, b);
    if (!validName(name) || !/^[0-9a-f]{8}$/.test(idHex)) {
      throw new VerifyError(`验证密钥格式错误：${vkey}`);
    }
    const raw = fromB64(vkey.slice(b + 1), '验证密钥');
    if (raw.length !== 33 || raw[0] !== ALG_ED25519) {
      throw new VerifyError(`验证密钥不是 Ed25519 密钥：${vkey}`);
    }
    const pub = raw.subarray(1);
    const digest = await sha256(concat(utf8(name), new Uint8Array([0x0a, ALG_ED25519]), pub));
    if (toHex(digest.subarray(0, 4)) !== idHex) {
      throw new VerifyError(`验证密钥的 key ID 与公钥不符：${vkey}`);
    }
    let key;
    try {
      key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
    } catch (e) {
      throw new VerifyError('此浏览器不支持 WebCrypto Ed25519（需要 Chrome 137+、Firefox 129+ 或 Safari 17+）；请改用命令行 gongkai verify');
    }
    return { name, keyId: idHex, keyRef: `${name}+${idHex}`, pub, key, vkey };
  }

  /** Ed25519 verification with WebCrypto (RFC 8032). */
  function ed25519Verify(key, sig, msg) {
    return crypto.subtle.verify({ name: 'Ed25519' }, key.key, sig, msg);
  }

  /**
   * Open a signed note with the trusted `keys` ({name, keyId, key}): split at the last "\n\n",
   * parse "— name b64(keyid ‖ sig)" lines, require every line from a trusted key to verify and
   * at least one to be present. Resolves to the note text.
   */
  async function openNote(bytes, keys, what) {
    if (bytes.length > 1000000) throw new VerifyError(`${what}：签名注记过大`);
    const msg = fromUtf8(bytes, what);
    if (/[\u0000-\u0009\u000b-\u001f]/.test(msg)) throw new VerifyError(`${what}：含有控制字符`);
    const split = msg.lastIndexOf('\n\n');
    if (split < 0) throw new VerifyError(`${what}：不是签名注记`);
    const text = msg.slice(0, split + 1);
    const sigText = msg.slice(split + 2);
    if (!sigText.endsWith('\n')) throw new VerifyError(`${what}：签名行格式错误`);
    const lines = sigText.slice(0, -1).split('\n');
    if (lines.length > 100) throw new VerifyError(`${what}：签名行过多`);
    const seen = new Set();
    let verified = 0;
    const textBytes = utf8(text);
    for (const line of lines) {
      const m = /^\u2014 (\S+) (\S+)$/.exec(line);
      if (!m || !validName(m[1])) throw new VerifyError(`${what}：签名行格式错误`);
      const raw = fromB64(m[2], `${what} 签名`);
      if (raw.length < 5) throw new VerifyError(`${what}：签名过短`);
      const id = toHex(raw.subarray(0, 4));
      const tag = `${m[1]}+${id}`;
      if (seen.has(tag)) throw new VerifyError(`${what}：重复的签名行`);
      seen.add(tag);
      const key = keys.find((k) => k.name === m[1] && k.keyId === id);
      if (!key) continue; // unknown keys are ignored (C2SP signed-note)
      if (raw.length !== 68) throw new VerifyError(`${what}：Ed25519 签名长度错误`);
      if (!(await ed25519Verify(key, raw.subarray(4), textBytes))) {
        throw new VerifyError(`${what}：日志密钥 ${tag} 的签名无效`);
      }
      verified++;
    }
    if (!verified) throw new VerifyError(`${what}：没有受信任的日志密钥签名`);
    return text;
  }

  const DECIMAL = /^(?:0|[1-9][0-9]*)$/;

  /** Parse checkpoint text `origin\nsize\nb64(root)\n` (exactly three lines). */
  function parseCheckpoint(text, origin, what) {
    const lines = text.split('\n');
    if (lines.length !== 4 || lines[3] !== '') throw new VerifyError(`${what}：检查点应恰好三行`);
    if (lines[0] !== origin) throw new VerifyError(`${what}：检查点的 origin 与信任锚不符`);
    if (!DECIMAL.test(lines[1]) || lines[1].length > 19) throw new VerifyError(`${what}：检查点大小格式错误`);
    const root = fromB64(lines[2], `${what} 根哈希`);
    if (root.length !== 32) throw new VerifyError(`${what}：根哈希应为 32 字节`);
    return { size: Number(lines[1]), root };
  }

  /**
   * Verify a C2SP tlog-proof receipt (docs/ledger.md "Receipts"): open the embedded checkpoint
   * with the log keys, then RFC 9162 inclusion of SHA-256(0x00 ‖ extra) at `index`.
   * Resolves to {index, extra (bytes), size, root (hex)}.
   */
  async function verifyReceipt(bytes, origin, logKeys, what) {
    let headerEnd = -1;
    for (let i = 0; i + 1 < bytes.length; i++) {
      if (bytes[i] === 0x0a && bytes[i + 1] === 0x0a) {
        headerEnd = i;
        break;
      }
    }
    if (headerEnd < 0) throw new VerifyError(`${what}：回执格式错误`);
    const header = fromUtf8(bytes.subarray(0, headerEnd), what).split('\n');
    if (header[0] !== 'c2sp.org/tlog-proof@v1') throw new VerifyError(`${what}：回执首行错误`);
    let pos = 1;
    let extra = null;
    if (header[pos] && header[pos].startsWith('extra ')) {
      extra = fromB64(header[pos].slice(6), `${what} extra`);
      if (extra.length === 0) throw new VerifyError(`${what}：extra 为空`);
      pos++;
    }
    if (extra === null) throw new VerifyError(`${what}：回执缺少 extra（条目内容）`);
    const m = /^index ((?:0|[1-9][0-9]*))$/.exec(header[pos] || '');
    if (!m) throw new VerifyError(`${what}：回执缺少 index`);
    const index = Number(m[1]);
    pos++;
    const proof = [];
    for (; pos < header.length; pos++) {
      const h = fromB64(header[pos], `${what} 证明哈希`);
      if (h.length !== 32) throw new VerifyError(`${what}：证明哈希应为 32 字节`);
      proof.push(h);
    }
    if (proof.length > 63) throw new VerifyError(`${what}：证明过长`);
    const text = await openNote(bytes.subarray(headerEnd + 2), logKeys, `${what} 中的检查点`);
    const cp = parseCheckpoint(text, origin, `${what} 中的检查点`);
    if (!(index < cp.size)) throw new VerifyError(`${what}：index 不小于检查点大小`);
    const leaf = await leafHash(extra);
    if (!(await verifyInclusion(index, cp.size, leaf, proof, cp.root))) {
      throw new VerifyError(`${what}：默克尔包含证明不成立（条目 ${index} 不在检查点 ${cp.size} 的树中）`);
    }
    return { index, extra, size: cp.size, root: toHex(cp.root), leaf: toHex(leaf) };
  }

  /** Parse trust.txt (docs/ledger.md "trust.txt"). */
  async function parseTrust(bytes) {
    const text = fromUtf8(bytes, 'trust.txt');
    const lines = text.split('\n');
    if (lines[0] !== 'gongkai-trust/v1' || lines[lines.length - 1] !== '') {
      throw new VerifyError('trust.txt 格式错误');
    }
    const out = { origin: null, logKeys: [], roots: [], threshold: 0, entry0: null, tsas: [] };
    for (const line of lines.slice(1, -1)) {
      const sp = line.indexOf(' ');
      const k = line.slice(0, sp);
      const v = line.slice(sp + 1);
      if (k === 'origin') out.origin = v;
      else if (k === 'log') out.logKeys.push(await parseVkey(v));
      else if (k === 'root') out.roots.push(await parseVkey(v));
      else if (k === 'threshold') out.threshold = Number(v);
      else if (k === 'entry0') out.entry0 = v;
      // RFC 3161 time-stamping authorities (docs/ledger.md §15.2): their tokens are checked by
      // gongkai verify / gongkai-verify.pyz, not in the browser.
      else if (k === 'tsa') out.tsas.push(v);
      else throw new VerifyError(`trust.txt：未知的行 ${k}`);
    }
    if (!out.origin || !out.logKeys.length || !out.roots.length || !out.threshold) {
      throw new VerifyError('trust.txt 缺少必要的行');
    }
    return out;
  }

  // ---- entries (docs/ledger.md "Entry envelope", "Entry signing message") ----------------

  const CONTEXT = utf8('gongkai-ledger/v1 entry\n');
  const BODY_PREFIX = utf8('{"body":');
  const SIGS_MARK = utf8(',"sigs":[');

  /**
   * Parse an entry line: canonical envelope {body, sigs, v:1}; the body bytes are the slice
   * between `{"body":` and the last `,"sigs":[` (ledger/entries.py Entry.body_bytes), so the
   * signing message is built from the very bytes that were logged, never re-serialised.
   */
  function parseEntry(lineText, what) {
    const value = parseCanonical(lineText, what);
    if (!value || typeof value !== 'object' || Array.isArray(value) ||
        Object.keys(value).join(',') !== 'body,sigs,v' || value.v !== 1) {
      throw new VerifyError(`${what}：条目信封格式错误`);
    }
    const line = utf8(lineText);
    let cut = -1;
    outer: for (let i = line.length - SIGS_MARK.length; i >= 0; i--) {
      for (let j = 0; j < SIGS_MARK.length; j++) if (line[i + j] !== SIGS_MARK[j]) continue outer;
      cut = i;
      break;
    }
    if (cut < 0 || !equalBytes(line.subarray(0, BODY_PREFIX.length), BODY_PREFIX)) {
      throw new VerifyError(`${what}：条目信封格式错误`);
    }
    const bodyBytes = line.subarray(BODY_PREFIX.length, cut);
    if (fromUtf8(bodyBytes, what) !== canonical(value.body)) {
      throw new VerifyError(`${what}：无法切出规范 body`);
    }
    if (!Array.isArray(value.sigs) || value.sigs.length < 1 || value.sigs.length > 64) {
      throw new VerifyError(`${what}：签名列表格式错误`);
    }
    const sigs = value.sigs.map((s) => {
      const sig = fromB64(s.sig, `${what} 签名`);
      if (sig.length !== 64) throw new VerifyError(`${what}：签名应为 64 字节`);
      return { key: s.key, sig };
    });
    return { body: value.body, sigs, line, bodyBytes };
  }

  /** msg = "gongkai-ledger/v1 entry\n" ‖ utf8(origin) ‖ "\n" ‖ JCS(body). */
  function signingMessage(origin, bodyBytes) {
    return concat(CONTEXT, utf8(origin), new Uint8Array([0x0a]), bodyBytes);
  }

  global.GongkaiLedger = {
    VerifyError,
    utf8,
    fromUtf8,
    concat,
    toHex,
    fromHex,
    toB64,
    fromB64,
    equalBytes,
    sha256,
    sha256Many,
    canonical,
    parseCanonical,
    cmpCodePoints,
    leafHash,
    nodeHash,
    verifyInclusion,
    parseVkey,
    ed25519Verify,
    openNote,
    parseCheckpoint,
    verifyReceipt,
    parseTrust,
    parseEntry,
    signingMessage,
  };
})(typeof window !== 'undefined' ? window : globalThis);
