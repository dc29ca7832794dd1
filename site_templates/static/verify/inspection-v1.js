/*
 * In-browser check of the inspectors' signatures of results entered on phones
 * (docs/mobile.md §4, §10), on top of ledger-v1.js (plain ES2020, WebCrypto only).
 *
 * From the published ledger folder alone (trust.txt, checkpoint, entries.jsonl) it
 *   1. opens the checkpoint with a log key of trust.txt and requires the Merkle root of the
 *      first `size` lines of entries.jsonl to equal the checkpoint's root (RFC 9162), so every
 *      entry read below — and the absence of a revocation — is the signed log's;
 *   2. for the result.publish at the button's index: its department signature, by a department
 *      key whose key.add (signed by the key itself and ≥ threshold roots of trust.txt) precedes
 *      it and which no key.revoke ended before it, with the type in its scopes;
 *   3. for each inspection signature: the inspector.enrol of that key before the result (signed
 *      by the same department, the vkey named as docs/mobile.md §2.1, its proof valid), no
 *      inspector.revoke of it before the result, the inspector among result.inspectors, and the
 *      Ed25519 signature over the inspection statement (§4.1);
 *   4. for each of those keys, an inspector.revoke later in the signed log (signed by the same
 *      department) with compromised_from_index ≤ the result's index flags the signature, and so
 *      does a key.revoke of the department key (signed by ≥ threshold roots or the key itself)
 *      for the department's signature: the outcome reads “验证通过（已标记）…” with the declared
 *      compromise (docs/mobile.md §3, docs/ledger.md §13.3), as gongkai verify reports it.
 * A log whose roots changed (root.update) is left to `gongkai verify`.
 *
 * Page contract: buttons `.gk-inspection` with data-index (the entry index) and data-ledger
 * (the ledger folder URL ending in "/"); each button's next sibling `.gk-inspection-status`
 * (role="status") receives the outcome.
 */
(function (global) {
  'use strict';
  const L = global.GongkaiLedger;
  const { VerifyError } = L;
  const ENROL = 'gongkai-inspector/v1 enrol\n';
  const INSPECTION = 'gongkai-inspection/v1\n';

  async function fetchBytes(url) {
    const response = await fetch(url, { cache: 'no-cache' });
    if (!response.ok) throw new VerifyError(`无法下载 ${url}（HTTP ${response.status}）`);
    return new Uint8Array(await response.arrayBuffer());
  }

  /** RFC 9162 MTH of the leaf hashes, folded as ledger/merkle.py RootBuilder does. */
  async function merkleRoot(leaves) {
    const stack = [];
    for (const leaf of leaves) {
      let node = { hash: leaf, size: 1 };
      while (stack.length && stack[stack.length - 1].size === node.size) {
        const left = stack.pop();
        node = { hash: await L.nodeHash(left.hash, node.hash), size: left.size * 2 };
      }
      stack.push(node);
    }
    if (!stack.length) return null;
    let root = stack.pop().hash;
    while (stack.length) root = await L.nodeHash(stack.pop().hash, root);
    return root;
  }

  /** The verified log: trust, checkpoint and every entry (parsed) up to its size. */
  async function loadLog(ledger) {
    const trust = await L.parseTrust(await fetchBytes(`${ledger}trust.txt`));
    const note = await L.openNote(await fetchBytes(`${ledger}checkpoint`), trust.logKeys, '检查点');
    const cp = L.parseCheckpoint(note, trust.origin, '检查点');
    const text = L.fromUtf8(await fetchBytes(`${ledger}entries.jsonl`), 'entries.jsonl');
    const lines = text.split('\n');
    if (lines.length < cp.size + 1) throw new VerifyError('entries.jsonl 的行数少于检查点的大小');
    const used = lines.slice(0, cp.size);
    const leaves = await Promise.all(used.map((line) => L.leafHash(L.utf8(line))));
    const root = await merkleRoot(leaves);
    if (!root || !L.equalBytes(root, cp.root)) {
      throw new VerifyError(`entries.jsonl 前 ${cp.size} 行的默克尔根与签名检查点不符`);
    }
    const entries = used.map((line, i) => L.parseEntry(line, `第 ${i} 条条目`));
    if (entries.some((e) => e.body.type === 'root.update')) {
      throw new VerifyError('账本中的根密钥有过更换（root.update）：请用命令行 gongkai verify 验证');
    }
    return { trust, entries, size: cp.size };
  }

  async function verifies(key, sig, msg) {
    return L.ed25519Verify(key, sig, msg);
  }

  /** How many roots of trust.txt signed entry `e`, and whether the key `ref` (`vk`) did. */
  async function rootsAndOwn(trust, e, ref, vk) {
    const msg = L.signingMessage(trust.origin, e.bodyBytes);
    let roots = 0;
    let own = false;
    for (const s of e.sigs) {
      if (s.key === ref) own = await verifies(vk, s.sig, msg);
      const root = trust.roots.find((r) => r.keyRef === s.key);
      if (root && (await verifies(root, s.sig, msg))) roots++;
    }
    return { roots, own };
  }

  /** The key.revoke of the department key `ref` after `index` declaring it compromised from
   *  `index` or earlier (docs/ledger.md §13.3), or null; signed by ≥ threshold roots or the key. */
  async function deptCompromise(log, ref, vk, index) {
    for (let r = index + 1; r < log.size; r++) {
      const e = log.entries[r];
      if (e.body.type !== 'key.revoke' || e.body.key !== ref) continue;
      const { roots, own } = await rootsAndOwn(log.trust, e, ref, vk);
      if (!own && roots < log.trust.threshold) throw new VerifyError(`第 ${r} 条（key.revoke ${ref}）的签名不成立`);
      const c = e.body.compromised_from_index;
      return typeof c === 'number' && c <= index ? { revokedAt: r, from: c } : null;
    }
    return null;
  }

  /** The department key `ref` valid at `index` for `type` (docs/ledger.md §13.3). */
  async function deptKey(log, ref, index, type) {
    const { trust, entries } = log;
    for (let a = 1; a < index; a++) {
      const e = entries[a];
      if (e.body.type !== 'key.add') continue;
      const vk = await L.parseVkey(e.body.key.vkey);
      if (vk.keyRef !== ref) continue;
      const { roots, own } = await rootsAndOwn(trust, e, ref, vk);
      if (!own || roots < trust.threshold) throw new VerifyError(`第 ${a} 条（key.add ${ref}）的签名不成立`);
      if (!e.body.key.scopes.includes(type)) throw new VerifyError(`部门密钥 ${ref} 无权签署 ${type}`);
      for (let r = a + 1; r < index; r++) {
        if (entries[r].body.type === 'key.revoke' && entries[r].body.key === ref) {
          throw new VerifyError(`部门密钥 ${ref} 已于第 ${r} 条撤销，早于第 ${index} 条`);
        }
      }
      return { vk, dept: e.body.key.dept };
    }
    throw new VerifyError(`部门密钥 ${ref} 在第 ${index} 条之前未登记`);
  }

  /** The entry at `index` carries a valid signature of a key of its `dept`. */
  async function deptSigned(log, index) {
    const e = log.entries[index];
    const msg = L.signingMessage(log.trust.origin, e.bodyBytes);
    for (const s of e.sigs) {
      const { vk, dept } = await deptKey(log, s.key, index, e.body.type);
      if (dept === e.body.dept && (await verifies(vk, s.sig, msg))) return { ref: s.key, vk };
    }
    throw new VerifyError(`第 ${index} 条条目缺少部门 ${e.body.dept} 的有效签名`);
  }

  /** The inspector key `ref` of `dept` enrolled before `index` and not revoked before it. */
  async function inspectorKey(log, ref, dept, index) {
    const { trust, entries } = log;
    for (let a = 1; a < index; a++) {
      const e = entries[a];
      if (e.body.type !== 'inspector.enrol' || e.body.dept !== dept) continue;
      const vk = await L.parseVkey(e.body.vkey);
      if (vk.keyRef !== ref) continue;
      await deptSigned(log, a);
      const hash = L.toHex(await L.sha256(vk.pub)).slice(0, 16);
      if (vk.name !== `${trust.origin}/inspector/${dept}/${e.body.inspector}/${hash}`) {
        throw new VerifyError(`第 ${a} 条：检查人员密钥名称不符合规定`);
      }
      const statement = { dept, inspector: e.body.inspector, origin: trust.origin, vkey: e.body.vkey };
      const msg = L.utf8(ENROL + L.canonical(statement));
      if (!e.body.scopes.includes('result.publish') || !(await verifies(vk, L.fromB64(e.body.proof, 'proof'), msg))) {
        throw new VerifyError(`第 ${a} 条：登记的持有证明 proof 无效`);
      }
      for (let r = a + 1; r < index; r++) {
        const b = entries[r].body;
        if (b.type === 'inspector.revoke' && b.key === ref) {
          throw new VerifyError(`检查人员密钥 ${ref} 已于第 ${r} 条撤销，早于第 ${index} 条`);
        }
      }
      return { vk, inspector: e.body.inspector, enrolled: a };
    }
    throw new VerifyError(`检查人员密钥 ${ref} 在第 ${index} 条之前未由部门 ${dept} 登记`);
  }

  /** The inspector.revoke of `ref` after `index` declaring it compromised from `index` or
   *  earlier (docs/mobile.md §3), or null. */
  async function compromise(log, ref, dept, index) {
    for (let r = index + 1; r < log.size; r++) {
      const b = log.entries[r].body;
      if (b.type !== 'inspector.revoke' || b.key !== ref) continue;
      if (b.dept !== dept) throw new VerifyError(`第 ${r} 条：只有登记该密钥的部门 ${dept} 能撤销它`);
      await deptSigned(log, r);
      const c = b.compromised_from_index;
      return typeof c === 'number' && c <= index ? { revokedAt: r, from: c } : null;
    }
    return null;
  }

  /** Check the result at `index`; resolves to the Chinese summary of what was verified. */
  async function verifyInspection(ledger, index) {
    const log = await loadLog(ledger);
    if (!(index < log.size)) throw new VerifyError(`第 ${index} 条条目不在已签名的检查点中`);
    const body = log.entries[index].body;
    if (body.type !== 'result.publish' || !body.inspection) {
      throw new VerifyError(`第 ${index} 条不是检查人员签名的检查结果`);
    }
    const dept = await deptSigned(log, index);
    const deptRef = dept.ref;
    const statement = {
      attachments: body.inspection.attachments, dept: body.dept, result: body.result, task_id: body.task_id,
    };
    const msg = L.utf8(INSPECTION + log.trust.origin + '\n' + L.canonical(statement));
    const names = [];
    const flags = [];
    for (const s of body.inspection.sigs) {
      const k = await inspectorKey(log, s.key, body.dept, index);
      if (!body.result.inspectors.includes(k.inspector)) {
        throw new VerifyError(`签名的检查人员 ${k.inspector} 不在该结果的检查人员中`);
      }
      if (!(await verifies(k.vk, L.fromB64(s.sig, '检查人员签名'), msg))) {
        throw new VerifyError(`检查人员 ${k.inspector} 的签名无效：结果在签名后被改动`);
      }
      names.push(`执法证号 ${k.inspector}（密钥第 ${k.enrolled} 条登记）`);
      const c = await compromise(log, s.key, body.dept, index);
      if (c) {
        flags.push(`注意：该检查人员密钥已声明泄露。执法证号 ${k.inspector} 的手机密钥已于第 ${c.revokedAt} 条撤销，并声明自第 ${c.from} 条起可能已被他人掌握；本条结果在其后记入账本，该签名不能证明是本人所签，已标记为可疑。`);
      }
    }
    const d = await deptCompromise(log, deptRef, dept.vk, index);
    if (d) {
      flags.push(`注意：部门密钥 ${deptRef} 已于第 ${d.revokedAt} 条撤销，并声明自第 ${d.from} 条起可能已泄露；本条结果在其后记入账本，部门的签名已标记为可疑。`);
    }
    const head = flags.length ? '验证通过（已标记）' : '验证通过';
    const text = `${head}：第 ${index} 条检查结果由 ${names.join('、')} 在手机上签名，并由部门密钥 ${deptRef} 签署；账本共 ${log.size} 条，默克尔根与签名检查点一致。`;
    return { text: [text, ...flags].join(''), flagged: flags.length > 0 };
  }

  function bind() {
    for (const button of document.querySelectorAll('button.gk-inspection')) {
      const out = button.nextElementSibling;
      button.addEventListener('click', async () => {
        button.disabled = true;
        out.textContent = '正在验证…';
        try {
          const done = await verifyInspection(button.dataset.ledger, Number(button.dataset.index));
          out.textContent = done.text;
          out.className = done.flagged ? 'gk-inspection-status warn' : 'gk-inspection-status ok';
        } catch (e) {
          out.textContent = `验证失败：${e instanceof VerifyError ? e.message : '浏览器错误：' + e.message}`;
          out.className = 'gk-inspection-status bad';
        } finally {
          button.disabled = false;
        }
      });
    }
  }

  global.GongkaiInspection = { verifyInspection, merkleRoot };
  if (typeof document !== 'undefined') {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', bind);
    else bind();
  }
})(typeof window !== 'undefined' ? window : globalThis);
