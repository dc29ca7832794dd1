/*
 * In-browser verifier of one DRAW-V1 draw (the “在浏览器中验证” button of a draw proof page).
 *
 * Normative texts: docs/draw-v1.md (§n below) and docs/ledger.md. It re-runs the draw from the
 * published files and checks what `gongkai verify` checks for this draw:
 *
 *   (a) every snapshot blob and the result blob hash to the announced SHA-256 (§2, §10);
 *   (b) every entry's Ed25519 signatures over "gongkai-ledger/v1 entry\n" ‖ origin ‖ "\n" ‖
 *       canonical(body), by department keys valid at the entry's log index (docs/ledger.md,
 *       "Key registry replay"), and the key.add entries that registered those keys;
 *   (c) every entry's inclusion in the log: its tlog-proof receipt, leaf = SHA-256(0x00 ‖ line),
 *       RFC 9162 inclusion up to the checkpoint root, the checkpoint signed by the log key of
 *       trust.txt;
 *   (c′) the drand quicknet beacon's BLS12-381 signature (bls-unchained-g1-rfc9380, §6) with the
 *       vendored @noble/curves (static/verify/noble-bls12-381.js, an ES module loaded on demand);
 *   (d) commitments against reveals (§4);
 *   (e) seed and sub-seeds (§5), tickets (§7), stratified sampling (§8), inspector matching
 *       (§9), the result record's canonical JSON compared byte for byte with the result blob
 *       (§10), and every replacement (§11).
 *
 * Page contract: a <button id="gk-verify"> with data-proof (URL of proof.json) and data-ledger
 * (URL of the published ledger folder, ending in "/"); <div id="gk-verify-status"
 * aria-live="polite">, <ol id="gk-verify-steps">, <progress id="gk-verify-progress">.
 * Needs ledger-v1.js (the global GongkaiLedger) loaded first.
 */
(function (global) {
  'use strict';

  const L = global.GongkaiLedger;
  const { VerifyError, utf8, concat, toHex, fromHex, sha256, sha256Many, canonical } = L;

  // §6: the pinned drand quicknet chain.
  const QUICKNET_CHAIN_HASH = '52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971';
  const QUICKNET_GENESIS = 1692803367;
  const QUICKNET_PERIOD = 3;
  const QUICKNET_PUBLIC_KEY = '83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c' +
    '8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb' +
    '5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a';
  const QUICKNET_DST = 'BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_';
  // The vendored BLS12-381 library, next to this script (docs/draw-proof-page.md).
  const BLS_URL = new URL('noble-bls12-381.js', (typeof document !== 'undefined' && document.currentScript)
    ? document.currentScript.src : global.location.href).href;

  // ---- §1 primitives --------------------------------------------------------------------

  /** u32be(n) */
  function u32be(n) {
    if (!(Number.isInteger(n) && n >= 0 && n < 2 ** 32)) throw new VerifyError(`u32be 越界：${n}`);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, n);
    return b;
  }

  /** u64be(n) for a safe integer n ≥ 0. */
  function u64be(n) {
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new VerifyError(`u64be 越界：${n}`);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n));
    return b;
  }

  /** LP(x) = u32be(len(x)) ‖ x; a string is taken as its UTF-8 bytes. */
  function LP(x) {
    const bytes = typeof x === 'string' ? utf8(x) : x;
    return concat(u32be(bytes.length), bytes);
  }

  const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

  /** §1 identifiers: non-empty, NFC, no control characters. */
  function identifier(value, what) {
    if (typeof value !== 'string' || value === '') throw new VerifyError(`${what}：应为非空字符串`);
    if (CONTROL.test(value)) throw new VerifyError(`${what}：含有控制字符`);
    // eslint-disable-next-line no-control-regex
    if (/[^\u0000-\u007f]/.test(value) && value.normalize('NFC') !== value) {
      throw new VerifyError(`${what}：不是 Unicode NFC 形式`);
    }
    return value;
  }

  const HEX64 = /^[0-9a-f]{64}$/;

  function isObject(v) {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }

  function obj(v, what) {
    if (!isObject(v)) throw new VerifyError(`${what}：应为对象`);
    return v;
  }

  // ---- dates (§2 last_inspected, §8 step 2): proleptic Gregorian, days since 1970-01-01 ----

  /** Days since 1970-01-01 of y-m-d (H. Hinnant's days_from_civil). */
  function daysFromCivil(y, m, d) {
    y -= m <= 2 ? 1 : 0;
    const era = Math.floor(y / 400);
    const yoe = y - era * 400;
    const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
    const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
    return era * 146097 + doe - 719468;
  }

  function civilFromDays(z) {
    z += 719468;
    const era = Math.floor(z / 146097);
    const doe = z - era * 146097;
    const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    const mp = Math.floor((5 * doy + 2) / 153);
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    const m = mp + (mp < 10 ? 3 : -9);
    return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
  }

  /** A valid "YYYY-MM-DD" (year 0001..9999, as Python's date.fromisoformat) → days, else null. */
  function parseDate(text) {
    if (typeof text !== 'string' || !/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(text)) return null;
    const y = Number(text.slice(0, 4));
    const m = Number(text.slice(5, 7));
    const d = Number(text.slice(8, 10));
    if (y < 1 || m < 1 || m > 12 || d < 1) return null;
    const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
    const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
    return d > dim ? null : daysFromCivil(y, m, d);
  }

  /**
   * The recency cutoff as ISO text: a record is recent iff last_inspected > cutoff
   * (ledger/draw/sampling.py _cutoff; "0000-00-00" when as_of − days is before 0001-01-01).
   */
  function cutoffText(asOfDays, days) {
    const z = asOfDays - days;
    if (z < daysFromCivil(1, 1, 1)) return '0000-00-00';
    const [y, m, d] = civilFromDays(z);
    return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
  }

  // ---- §2 snapshot files ----------------------------------------------------------------

  function checkTags(tags, what) {
    if (!Array.isArray(tags)) throw new VerifyError(`${what}：tags 应为列表`);
    for (let i = 0; i < tags.length; i++) {
      identifier(tags[i], `${what} 的标签`);
      if (i && L.cmpCodePoints(tags[i - 1], tags[i]) >= 0) {
        throw new VerifyError(`${what}：tags 应排序且不重复`);
      }
    }
  }

  /** Parse a snapshot file strictly (§2): canonical lines, sorted, unique, typed fields. */
  function parseSnapshot(kind, bytes, ref) {
    const text = L.fromUtf8(bytes, `${kind} 快照`);
    if (text !== '' && (!text.endsWith('\n') || text.includes('\r'))) {
      throw new VerifyError(`${kind} 快照：应以换行结尾且不含回车`);
    }
    const lines = text === '' ? [] : text.slice(0, -1).split('\n');
    if (lines.length !== ref.count) {
      throw new VerifyError(`${kind} 快照：记录数 ${lines.length} 与公告的 ${ref.count} 不符`);
    }
    const records = new Array(lines.length);
    let prev = null;
    for (let i = 0; i < lines.length; i++) {
      const what = `${kind} 快照第 ${i + 1} 行`;
      const r = L.parseCanonical(lines[i], what);
      obj(r, what);
      let key;
      if (kind === 'conflicts') {
        if (Object.keys(r).join(',') !== 'entity,inspector') throw new VerifyError(`${what}：应恰好包含 entity、inspector`);
        identifier(r.entity, `${what} entity`);
        identifier(r.inspector, `${what} inspector`);
        key = r.entity + '\u0000' + r.inspector; // NUL sorts below every identifier character
      } else {
        identifier(r.id, `${what} id`);
        checkTags(r.tags, what);
        if (kind === 'entities') {
          if (typeof r.name !== 'string') throw new VerifyError(`${what}：name 应为字符串`);
          identifier(r.stratum, `${what} stratum`);
          if (!('last_inspected' in r) || (r.last_inspected !== null && parseDate(r.last_inspected) === null)) {
            throw new VerifyError(`${what}：last_inspected 应为有效日期或 null`);
          }
        } else {
          identifier(r.dept, `${what} dept`);
          if (typeof r.active !== 'boolean') throw new VerifyError(`${what}：active 应为布尔值`);
        }
        key = r.id;
      }
      if (prev !== null && L.cmpCodePoints(prev, key) >= 0) {
        throw new VerifyError(`${what}：记录未按键严格升序排列（或重复）`);
      }
      prev = key;
      records[i] = r;
    }
    return records;
  }

  // ---- §3 announcement, §9 department rules ---------------------------------------------

  function parseRatio(text, what) {
    const m = typeof text === 'string' && text.length <= 40 ? /^(0|[1-9][0-9]*)(?:\.([0-9]+))?$/.exec(text) : null;
    if (!m) throw new VerifyError(`${what}：比例应为十进制字符串`);
    const frac = m[2] || '';
    const den = 10n ** BigInt(frac.length);
    const num = BigInt(m[1]) * den + (frac ? BigInt(frac) : 0n);
    if (num > den) throw new VerifyError(`${what}：比例超过 1`);
    return { num, den };
  }

  function optMaxLoad(v, what) {
    if (v === undefined || v === null) return null;
    if (!Number.isInteger(v) || v < 1) throw new VerifyError(`${what}：max_load 应为 ≥ 1 的整数或 null`);
    return v;
  }

  /** rules.departments (ledger/draw/rules.py Rules.check, Rules.staffing), in UTF-8 order. */
  function parseDepartments(rules) {
    const list = rules.departments;
    if (!Array.isArray(list) || !list.length) throw new VerifyError('rules.departments 应为非空列表');
    const def = optMaxLoad(rules.max_load, 'rules');
    const out = new Map();
    for (const item of list) {
      obj(item, 'rules.departments 项');
      const keys = Object.keys(item);
      if (!['dept', 'per_entity', 'required_tags'].every((k) => keys.includes(k)) ||
          !keys.every((k) => ['dept', 'per_entity', 'required_tags', 'max_load'].includes(k))) {
        throw new VerifyError('rules.departments 项字段不符');
      }
      const dept = identifier(item.dept, '部门');
      if (out.has(dept)) throw new VerifyError(`rules.departments：部门 ${dept} 重复`);
      if (!Number.isInteger(item.per_entity) || item.per_entity < 1 || item.per_entity > 1000) {
        throw new VerifyError(`${dept}：per_entity 应为 1..1000 的整数`);
      }
      if (!Array.isArray(item.required_tags)) throw new VerifyError(`${dept}：required_tags 应为列表`);
      const tags = new Set(item.required_tags.map((t) => identifier(t, `${dept} 所需标签`)));
      if (tags.size !== item.required_tags.length) throw new VerifyError(`${dept}：所需标签重复`);
      const maxLoad = 'max_load' in item ? optMaxLoad(item.max_load, dept) : def;
      out.set(dept, { dept, perEntity: item.per_entity, tags, maxLoad });
    }
    if (out.size === 1 && [...out.values()][0].perEntity < 2) {
      throw new VerifyError('单部门任务每户执法人员不得少于两人（per_entity ≥ 2）');
    }
    if (!out.has(rules.lead)) throw new VerifyError('rules.lead 应为参与部门之一');
    const depts = [...out.keys()].sort(L.cmpCodePoints).map((d) => out.get(d));
    return { lead: rules.lead, depts };
  }

  /** ledger/draw/result.py check_announce. */
  function checkAnnounce(body) {
    if (body.schema !== 'draw-v1/announce' || body.algorithm !== 'draw-v1') {
      throw new VerifyError('公告的 schema/algorithm 应为 draw-v1/announce、draw-v1');
    }
    identifier(body.task_id, 'task_id');
    const pools = obj(body.pools, 'pools');
    for (const kind of ['entities', 'inspectors', 'conflicts']) {
      const ref = obj(pools[kind], `pools.${kind}`);
      if (!HEX64.test(ref.sha256)) throw new VerifyError(`pools.${kind}.sha256 格式错误`);
      if (!Number.isInteger(ref.count) || ref.count < 0) throw new VerifyError(`pools.${kind}.count 格式错误`);
    }
    const rules = obj(body.rules, 'rules');
    const { lead, depts } = parseDepartments(rules);
    const rnd = obj(body.randomness, 'randomness');
    const drand = obj(rnd.drand, 'randomness.drand');
    if (drand.chain_hash !== QUICKNET_CHAIN_HASH) throw new VerifyError('drand chain_hash 不是 quicknet（§6）');
    if (!Number.isInteger(drand.round) || drand.round < 1) throw new VerifyError('drand round 格式错误');
    if (!Array.isArray(rnd.commitments)) throw new VerifyError('randomness.commitments 应为列表');
    const commitments = new Map();
    for (const c of rnd.commitments) {
      obj(c, 'commitment');
      const dept = identifier(c.dept, '承诺部门');
      if (!HEX64.test(c.commitment)) throw new VerifyError(`${dept} 的承诺格式错误`);
      if (commitments.has(dept)) throw new VerifyError(`部门 ${dept} 有两个承诺`);
      commitments.set(dept, c.commitment);
    }
    const names = depts.map((d) => d.dept);
    if (commitments.size !== names.length || !names.every((d) => commitments.has(d))) {
      throw new VerifyError('每个参与部门须恰好提交一个承诺');
    }
    let extra = false;
    if (rnd.extra_key !== undefined && rnd.extra_key !== null) {
      obj(rnd.extra_key, 'extra_key');
      if (rnd.extra_key.format !== 'rfc3797-keystring' || !Array.isArray(rnd.extra_key.sources)) {
        throw new VerifyError('extra_key 格式错误');
      }
      extra = true;
    }
    return { taskId: body.task_id, pools, rules, lead, depts, round: drand.round, commitments, extra };
  }

  // ---- §7 tickets -----------------------------------------------------------------------

  /**
   * Sort keys of many ids under seed S: reversed decimal digits of
   * int(H(utf8(hex(H(utf8(S)))) ‖ utf8(id))), zero-padded to ≥ 64, then " " and the id
   * (ledger/draw/tickets.py: a space sorts below every digit, so comparing keys compares
   * (ticket, id)). All digests are requested at once (batched Promise.all).
   */
  async function sortKeys(seed, ids) {
    const prefix = utf8(toHex(await sha256(utf8(seed))));
    const inputs = ids.map((id) => concat(prefix, utf8(id)));
    const digests = await sha256Many(inputs);
    const keys = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      let s = BigInt('0x' + toHex(digests[i])).toString(10);
      if (s.length < 64) s = s.padStart(64, '0');
      keys[i] = s.split('').reverse().join('') + ' ' + ids[i];
    }
    return keys;
  }

  const keyId = (k) => k.slice(k.indexOf(' ') + 1);
  const keyTicket = (k) => '0.' + k.slice(0, k.indexOf(' '));

  // ---- §8 entity sampling ----------------------------------------------------------------

  async function sample(entities, rules, sEntities) {
    if (!Array.isArray(rules.strata) || !rules.strata.length) throw new VerifyError('rules.strata 应为非空列表');
    const strata = [];
    const seen = new Set();
    for (const item of rules.strata) {
      obj(item, 'rules.strata 项');
      if (Object.keys(item).join(',') !== 'ratio,stratum') throw new VerifyError('rules.strata 项应为 {stratum, ratio}');
      const name = identifier(item.stratum, '层');
      if (seen.has(name)) throw new VerifyError(`层 ${name} 重复`);
      seen.add(name);
      strata.push({ stratum: name, ...parseRatio(item.ratio, `层 ${name}`) });
    }
    const asOf = parseDate(rules.as_of);
    if (asOf === null) throw new VerifyError('as_of 应为 YYYY-MM-DD');
    const days = rules.exclude_inspected_within_days;
    if (days !== null && days !== undefined && !(Number.isInteger(days) && days >= 0)) {
      throw new VerifyError('exclude_inspected_within_days 应为 ≥ 0 的整数或 null');
    }
    let minCount = rules.min_count;
    if (minCount === undefined || minCount === null) minCount = 0;
    if (!Number.isInteger(minCount) || minCount < 0) throw new VerifyError('min_count 应为 ≥ 0 的整数或 null');

    // Step 1–2: every stratum listed; recency exclusion.
    const cutoff = days === null || days === undefined ? null : cutoffText(asOf, days);
    const groups = new Map(strata.map((s) => [s.stratum, []]));
    const eligibleIds = [];
    const stratumOf = new Map();
    for (const r of entities) {
      const g = groups.get(r.stratum);
      if (!g) throw new VerifyError(`检查对象 ${r.id} 的层 ${r.stratum} 不在 rules.strata 中`);
      if (cutoff !== null && r.last_inspected !== null && r.last_inspected > cutoff) continue;
      eligibleIds.push(r.id);
      stratumOf.set(r.id, r.stratum);
    }
    // Tickets of every eligible entity, then each stratum's full order (drawn + reserve order).
    const keys = await sortKeys(sEntities, eligibleIds);
    for (let i = 0; i < keys.length; i++) groups.get(stratumOf.get(eligibleIds[i])).push(keys[i]);
    for (const g of groups.values()) g.sort(L.cmpCodePoints);

    // Step 3: k_ratio = min(N, ⌈N·a/10^f⌉), exact.
    const counts = new Map();
    const kRatio = new Map();
    let total = 0;
    let sumK = 0;
    for (const s of strata) {
      const n = groups.get(s.stratum).length;
      const k = Number((BigInt(n) * s.num + s.den - 1n) / s.den);
      kRatio.set(s.stratum, Math.min(n, k));
      counts.set(s.stratum, Math.min(n, k));
      total += n;
      sumK += Math.min(n, k);
    }
    // Step 4: min_count top-up from the global order of the not-yet-counted eligible entities.
    const shortfall = Math.max(0, Math.min(minCount, total) - sumK);
    if (shortfall) {
      const remaining = [];
      for (const s of strata) {
        const g = groups.get(s.stratum);
        for (let i = kRatio.get(s.stratum); i < g.length; i++) remaining.push([g[i], s.stratum]);
      }
      remaining.sort((a, b) => L.cmpCodePoints(a[0], b[0]));
      for (const [, s] of remaining.slice(0, shortfall)) counts.set(s, counts.get(s) + 1);
    }
    // Step 5: drawn_s = the first k_s of the stratum's order.
    const out = [];
    const drawnKeys = [];
    for (const s of strata) {
      const k = counts.get(s.stratum);
      const g = groups.get(s.stratum);
      drawnKeys.push(...g.slice(0, k));
      out.push({
        stratum: s.stratum,
        eligible: g.length,
        k_ratio: kRatio.get(s.stratum),
        k,
        drawn: g.slice(0, k).map((key) => ({ id: keyId(key), ticket: keyTicket(key) })),
      });
    }
    drawnKeys.sort(L.cmpCodePoints);
    return { strata: out, entityOrder: drawnKeys.map(keyId), groups, eligible: eligibleIds.length };
  }

  // ---- §9 inspector matching ----------------------------------------------------------

  async function match(entityOrder, inspectors, conflicts, rules, sInspectors) {
    const { lead, depts } = parseDepartments(rules);
    const byDept = new Map(depts.map((d) => [d.dept, []]));
    for (const r of inspectors) {
      const g = byDept.get(r.dept);
      if (!g || r.active !== true) continue;
      const rule = depts.find((d) => d.dept === r.dept);
      const has = new Set(r.tags);
      if (![...rule.tags].every((t) => has.has(t))) continue;
      g.push(r.id);
    }
    // Rank order under S_inspectors, per department (relative rank is all that matters).
    const states = [];
    const deptOf = new Map();
    for (const d of depts) {
      const keys = await sortKeys(sInspectors, byDept.get(d.dept));
      keys.sort(L.cmpCodePoints);
      const ids = keys.map(keyId);
      const st = { rule: d, ids, load: new Array(ids.length).fill(0), index: new Map(ids.map((id, n) => [id, n])) };
      states.push(st);
      for (const id of ids) deptOf.set(id, st);
    }
    const avoid = new Map();
    for (const c of conflicts) {
      if (!deptOf.has(c.inspector)) continue;
      if (!avoid.has(c.entity)) avoid.set(c.entity, []);
      avoid.get(c.entity).push(c.inspector);
    }
    // Every pick hash h = H(LP("draw-v1/pick") ‖ LP(S_inspectors) ‖ LP(e) ‖ LP(d) ‖ LP(u32be(p)))
    // depends only on (e, d, p), not on the loads, so all of them are computed in one batch.
    const base = concat(LP('draw-v1/pick'), LP(sInspectors));
    const inputs = [];
    for (const e of entityOrder) {
      const le = LP(e);
      for (const st of states) {
        const ld = LP(st.rule.dept);
        for (let p = 0; p < st.rule.perEntity; p++) inputs.push(concat(base, le, ld, LP(u32be(p))));
      }
    }
    const hashes = await sha256Many(inputs);
    let h = 0;
    const assignments = [];
    const unstaffed = [];
    for (const e of entityOrder) {
      const blocked = new Set(avoid.get(e) || []);
      const team = [];
      let unmet = null;
      for (const st of states) {
        const cap = st.rule.maxLoad;
        const picked = new Set();
        for (let p = 0; p < st.rule.perEntity; p++, h++) {
          if (unmet) continue; // keep h aligned with the batch
          // E: active, tagged (filtered above), not on the team, no 回避, load < max_load.
          // T: the members of E with the smallest load, in rank order.
          let min = Infinity;
          let T = [];
          for (let n = 0; n < st.ids.length; n++) {
            if (picked.has(n) || blocked.has(st.ids[n])) continue;
            const load = st.load[n];
            if (cap !== null && load >= cap) continue;
            if (load < min) {
              min = load;
              T = [n];
            } else if (load === min) {
              T.push(n);
            }
          }
          if (!T.length) {
            unmet = { dept: st.rule.dept, pick: p };
            continue;
          }
          const r = T.length === 1 ? 0 : Number(BigInt('0x' + toHex(hashes[h])) % BigInt(T.length));
          picked.add(T[r]);
          team.push([st, T[r]]);
        }
      }
      if (unmet) {
        unstaffed.push({ entity: e, unmet });
        continue;
      }
      for (const [st, n] of team) st.load[n]++;
      const leader = team.find(([st]) => st.rule.dept === lead);
      assignments.push({
        entity: e,
        leader: leader[0].ids[leader[1]],
        team: team.map(([st, n]) => ({ inspector: st.ids[n], dept: st.rule.dept })),
      });
    }
    const loads = {};
    for (const st of states) st.ids.forEach((id, n) => { if (st.load[n]) loads[id] = st.load[n]; });
    return { assignments, unstaffed, loads };
  }

  // ---- §4–§5 commitments, seed, sub-seeds -------------------------------------------------

  async function commitment(taskId, dept, secret) {
    return toHex(await sha256(concat(LP('draw-v1/commit'), LP(taskId), LP(dept), LP(secret))));
  }

  const KEY_STRING = /^(?:(?:0|[1-9][0-9]*)\.)+\/(?:(?:(?:0|[1-9][0-9]*)\.)+\/)*$/;

  function checkKeyString(text) {
    if (typeof text !== 'string' || !KEY_STRING.test(text)) throw new VerifyError('抽签号码串不是 RFC 3797 格式');
    for (const source of text.slice(0, -1).split('/')) {
      const v = source.slice(0, -1).split('.').map(BigInt);
      for (let i = 1; i < v.length; i++) if (v[i - 1] > v[i]) throw new VerifyError('抽签号码串的数值应升序');
    }
    return text;
  }

  // ---- §6 the drand beacon's BLS signature (ledger/draw/drand.py verify_beacon) ------------

  /**
   * Verify the quicknet signature of round `round` (bls-unchained-g1-rfc9380): σ is the
   * canonical compressed encoding of a G1 point that is not infinity and lies in the
   * prime-order subgroup, and e(σ, g2) = e(hash_to_G1(SHA-256(u64be(round)), DST), pk).
   * Resolves to the milliseconds taken; rejects with VerifyError when the signature is invalid.
   */
  async function verifyBeaconSignature(round, signatureHex) {
    if (typeof signatureHex !== 'string' || !/^[0-9a-f]{96}$/.test(signatureHex)) {
      throw new VerifyError('drand 签名应为 48 字节的小写十六进制');
    }
    const t0 = performance.now();
    const { bls12_381 } = await import(BLS_URL);
    const S = bls12_381.shortSignatures;
    let sig;
    try {
      sig = S.Signature.fromBytes(fromHex(signatureHex, 48, 'drand signature'));
      sig.assertValidity();
    } catch (e) {
      throw new VerifyError(`drand 信标的 BLS 签名不是有效的 G1 点（${e && e.message ? e.message : e}）`);
    }
    if (sig.is0() || toHex(S.Signature.toBytes(sig)) !== signatureHex) {
      throw new VerifyError('drand 信标的 BLS 签名编码无效（无穷远点或非规范编码）');
    }
    const pk = fromHex(QUICKNET_PUBLIC_KEY, 96, 'quicknet public key');
    const message = S.hash(await sha256(u64be(round)), QUICKNET_DST);
    if (!S.verify(sig, message, pk)) {
      throw new VerifyError(`drand 信标第 ${round} 轮的 BLS 签名无效（与 quicknet 公钥不符）`);
    }
    return Math.round(performance.now() - t0);
  }

  // ---- the whole draw (ledger/draw/result.py run_draw, §13 steps 1, 3–6) -----------------

  async function runDraw(announceBody, announceBytes, snaps, reveals, beacon, extraKey, step) {
    const ann = checkAnnounce(announceBody);
    if (ann.extra) checkKeyString(extraKey);
    else if (extraKey !== null) throw new VerifyError('结果记录含抽签号码串，但公告未声明');

    // §4 reveals: valid iff 64 lowercase hex and the commitment recomputes.
    for (const dept of reveals.keys()) {
      if (!ann.commitments.has(dept)) throw new VerifyError(`部门 ${dept} 未作承诺却提交了揭示`);
    }
    const secrets = new Map();
    const statuses = [];
    const commitRows = [];
    for (const dept of [...ann.commitments.keys()].sort(L.cmpCodePoints)) {
      const revealed = reveals.get(dept);
      let status = 'missing';
      secrets.set(dept, new Uint8Array(0));
      if (revealed !== undefined) {
        status = 'invalid';
        if (typeof revealed === 'string' && HEX64.test(revealed)) {
          const s = fromHex(revealed, 32, 'secret');
          if ((await commitment(ann.taskId, dept, s)) === ann.commitments.get(dept)) {
            status = 'valid';
            secrets.set(dept, s);
          }
        }
      }
      statuses.push({ dept, status });
      commitRows.push(`${dept}：${status === 'valid' ? '揭示与承诺一致' : status === 'missing' ? '未揭示（按空值计入）' : '揭示与承诺不符（按空值计入）'}`);
    }
    step('commit', commitRows.join('；'));

    // §6 beacon (its BLS signature is checked by verifyBeaconSignature, before the re-run).
    if (beacon.round !== ann.round || beacon.chain_hash !== QUICKNET_CHAIN_HASH) {
      throw new VerifyError('drand 信标的轮次或链与公告不符');
    }
    if (typeof beacon.signature !== 'string' || !/^[0-9a-f]{96}$/.test(beacon.signature)) {
      throw new VerifyError('drand 签名应为 48 字节的小写十六进制');
    }
    const rand = await sha256(fromHex(beacon.signature, 48, 'drand signature'));

    // §5 seed and sub-seeds.
    const aHash = await sha256(announceBytes);
    const depts = [...secrets.keys()];
    const parts = [LP('draw-v1/seed'), LP(aHash), LP(fromHex(QUICKNET_CHAIN_HASH, 32)), LP(u64be(ann.round)),
      LP(rand), LP(u32be(depts.length))];
    for (const d of depts) parts.push(LP(d), LP(secrets.get(d)));
    parts.push(LP(extraKey === null ? new Uint8Array(0) : utf8(extraKey)));
    const seed = await sha256(concat(...parts));
    const sub = (name) => sha256(concat(LP('draw-v1/sub'), LP(seed), LP(name))).then(toHex);
    const sEntities = await sub('entities');
    const sInspectors = await sub('inspectors');
    step('seed', `randomness = ${toHex(rand)}；seed = ${toHex(seed)}`);

    const entities = parseSnapshot('entities', snaps.entities, ann.pools.entities);
    const drawn = await sample(entities, ann.rules, sEntities);
    step('sample', `可抽取 ${drawn.eligible} 户，抽中 ${drawn.entityOrder.length} 户`);
    const inspectors = parseSnapshot('inspectors', snaps.inspectors, ann.pools.inspectors);
    const conflicts = parseSnapshot('conflicts', snaps.conflicts, ann.pools.conflicts);
    const teams = await match(drawn.entityOrder, inspectors, conflicts, ann.rules, sInspectors);
    step('match', `组成检查组 ${teams.assignments.length} 个，未能配齐 ${teams.unstaffed.length} 户`);

    const result = {
      schema: 'draw-v1/result',
      task_id: ann.taskId,
      announce_sha256: toHex(aHash),
      drand: { round: ann.round, randomness: toHex(rand) },
      reveals: statuses,
      extra_key: extraKey,
      seed: toHex(seed),
      subseeds: { entities: sEntities, inspectors: sInspectors },
      strata: drawn.strata,
      entity_order: drawn.entityOrder,
      assignments: teams.assignments,
      unstaffed: teams.unstaffed,
      loads: teams.loads,
    };
    return { result, ann, groups: drawn.groups };
  }

  /** §11: recompute each draw.replace from the stratum's full order. */
  async function checkReplacements(ann, groups, result, resultHash, replaceBodies) {
    const stratumOf = new Map();
    for (const s of result.strata) for (const d of s.drawn) stratumOf.set(d.id, s.stratum);
    const used = new Set(stratumOf.keys());
    const current = new Set(stratumOf.keys());
    const rows = [];
    for (const body of replaceBodies) {
      const claimed = {};
      for (const k of Object.keys(body)) if (!['type', 'id', 'ts', 'dept'].includes(k)) claimed[k] = body[k];
      if (claimed.result_sha256 !== resultHash) throw new VerifyError(`替补 ${body.id} 引用了另一份抽取结果`);
      if (typeof claimed.reason !== 'string' || !claimed.reason) throw new VerifyError(`替补 ${body.id} 缺少理由`);
      if (!current.has(claimed.removed)) throw new VerifyError(`替补 ${body.id}：${claimed.removed} 不在当前名单中`);
      const stratum = stratumOf.get(claimed.removed);
      const order = groups.get(stratum);
      const next = order.find((k) => !used.has(keyId(k)));
      const expected = {
        schema: 'draw-v1/replace',
        task_id: ann.taskId,
        result_sha256: resultHash,
        stratum,
        removed: claimed.removed,
        reason: claimed.reason,
        replacement: next === undefined ? null : { id: keyId(next), ticket: keyTicket(next) },
      };
      if (canonical(expected) !== canonical(claimed)) {
        throw new VerifyError(`替补 ${body.id} 与按备选顺序重算的结果不一致`);
      }
      current.delete(claimed.removed);
      if (expected.replacement) {
        used.add(expected.replacement.id);
        current.add(expected.replacement.id);
        stratumOf.set(expected.replacement.id, stratum);
      }
      rows.push(`${claimed.removed} → ${expected.replacement ? expected.replacement.id : '（备选已用尽）'}`);
    }
    return rows;
  }

  // ---- ledger checks: signatures (b) and inclusion (c) --------------------------------------

  /**
   * Department signatures of one draw entry (docs/ledger.md "Key registry replay", any other
   * type): every listed signature from a key of the needed departments valid at this index with
   * the type in its scopes, verifying; every needed department signed. draw.announce needs
   * every participating department.
   */
  async function checkEntrySignatures(entry, parsed, origin, keys) {
    const body = parsed.body;
    const needed = new Set([body.dept]);
    if (body.type === 'draw.announce' && isObject(body.rules) && Array.isArray(body.rules.departments)) {
      for (const d of body.rules.departments) needed.add(d.dept);
    }
    const msg = L.signingMessage(origin, parsed.bodyBytes);
    const signed = new Set();
    for (const s of parsed.sigs) {
      const k = keys.get(s.key);
      const where = `第 ${entry.index} 条条目（${body.type}）`;
      if (!k) throw new VerifyError(`${where}：签名密钥 ${s.key} 未登记`);
      const valid = k.added_at < entry.index && (k.revoked_at === null || entry.index < k.revoked_at);
      if (!valid || !k.scopes.includes(body.type) || !needed.has(k.dept)) {
        throw new VerifyError(`${where}：密钥 ${s.key} 在该位置无权签署`);
      }
      if (!(await L.ed25519Verify(k.parsed, s.sig, msg))) {
        throw new VerifyError(`${where}：密钥 ${s.key} 的 Ed25519 签名无效`);
      }
      signed.add(k.dept);
    }
    const missing = [...needed].filter((d) => !signed.has(d));
    if (missing.length) throw new VerifyError(`第 ${entry.index} 条条目：缺少部门 ${missing.join('、')} 的有效签名`);
    return parsed.sigs.length;
  }

  /** key.add: signed by the new key (possession) and by ≥ threshold root keys of trust.txt. */
  async function checkKeyAdd(k, origin, trust) {
    const parsed = L.parseEntry(k.key_add.line, `第 ${k.key_add.index} 条条目（key.add）`);
    const b = parsed.body;
    if (b.type !== 'key.add' || !isObject(b.key) || b.key.vkey !== k.vkey || b.key.dept !== k.dept ||
        !Array.isArray(b.key.scopes) || canonical([...b.key.scopes].sort()) !== canonical([...k.scopes].sort()) || k.key_add.index !== k.added_at) {
      throw new VerifyError(`密钥 ${k.key_ref} 的登记条目与 proof.json 不符`);
    }
    const msg = L.signingMessage(origin, parsed.bodyBytes);
    let roots = 0;
    let own = false;
    for (const s of parsed.sigs) {
      if (s.key === k.key_ref) {
        own = await L.ed25519Verify(k.parsed, s.sig, msg);
        if (!own) throw new VerifyError(`key.add ${k.key_ref}：新密钥的签名无效`);
        continue;
      }
      const root = trust.roots.find((r) => r.keyRef === s.key);
      if (!root) continue;
      if (!(await L.ed25519Verify(root, s.sig, msg))) throw new VerifyError(`key.add ${k.key_ref}：根密钥 ${s.key} 的签名无效`);
      roots++;
    }
    if (!own) throw new VerifyError(`key.add ${k.key_ref}：缺少新密钥自身的签名`);
    if (k.key_add.roots_from_trust && roots < trust.threshold) {
      throw new VerifyError(`key.add ${k.key_ref}：根密钥签名 ${roots} 个，少于门限 ${trust.threshold}`);
    }
    return parsed;
  }

  // ---- fetching --------------------------------------------------------------------------

  async function fetchBytes(url, what) {
    let res;
    try {
      res = await fetch(url);
    } catch (e) {
      throw new VerifyError(`无法下载${what}（${url}）`);
    }
    if (!res.ok) throw new VerifyError(`无法下载${what}（${url}，HTTP ${res.status}）`);
    return new Uint8Array(await res.arrayBuffer());
  }

  // ---- the verification, step by step --------------------------------------------------

  const STEPS = [
    ['load', '下载证明数据、信任锚 trust.txt 和快照'],
    ['blobs', '核对快照文件与结果文件的 SHA-256'],
    ['sigs', '验证条目的 Ed25519 签名和部门密钥登记'],
    ['inclusion', '验证账本包含证明与检查点签名'],
    ['bls', '验证 drand 信标的 BLS12-381 签名'],
    ['commit', '核对承诺与揭示'],
    ['seed', '重新计算随机数、种子与子种子'],
    ['sample', '重新计算签号并分层抽取检查对象'],
    ['match', '重新匹配执法检查人员'],
    ['result', '逐字节比对抽取结果记录'],
    ['replace', '核对替补'],
  ];

  /**
   * Verify the draw described by proof.json. `step(id, detail)` reports each finished step.
   * Resolves to a summary; rejects with VerifyError (or another error) on failure.
   */
  async function verifyDraw(proofUrl, ledgerBase, step) {
    const proofBytes = await fetchBytes(proofUrl, '证明数据 proof.json');
    const proof = JSON.parse(L.fromUtf8(proofBytes, 'proof.json'));
    if (proof.schema !== 'gongkai-draw-proof/v1') throw new VerifyError('proof.json 的格式版本不受支持');
    const at = (rel) => new URL(rel, new URL(ledgerBase, global.location.href)).href;
    const trust = await L.parseTrust(await fetchBytes(at('trust.txt'), '信任锚 trust.txt'));
    if (trust.origin !== proof.origin) throw new VerifyError('proof.json 的 origin 与 trust.txt 不符');
    const origin = trust.origin;

    const entries = proof.entries;
    const byRole = (role) => entries.filter((e) => e.role === role);
    const blobUrls = ['entities', 'inspectors', 'conflicts', 'result'].map((k) => at(proof.blobs[k].url));
    const receiptUrls = [...entries, ...proof.keys.map((k) => k.key_add)].map((e) => at(e.receipt));
    const [blobs, receipts] = await Promise.all([
      Promise.all(blobUrls.map((u, i) => fetchBytes(u, ['检查对象快照', '执法检查人员快照', '回避关系快照', '抽取结果'][i]))),
      Promise.all(receiptUrls.map((u) => fetchBytes(u, '包含证明回执'))),
    ]);
    const [entBytes, insBytes, conBytes, resultBytes] = blobs;
    step('load', `条目 ${entries.length} 条，回执 ${receipts.length} 份`);

    // Parse the entries (canonical envelope, body slice) and check the draw's ledger order.
    const parsed = entries.map((e) => L.parseEntry(e.line, `第 ${e.index} 条条目`));
    const taskId = proof.task_id;
    parsed.forEach((p, i) => {
      const want = 'draw.' + entries[i].role;
      if (p.body.type !== want || p.body.task_id !== taskId) {
        throw new VerifyError(`第 ${entries[i].index} 条条目不是本任务的 ${want}`);
      }
    });
    const idx = (role) => byRole(role).map((e) => e.index);
    const [a] = idx('announce');
    const [bcn] = idx('beacon');
    const [res] = idx('result');
    if (idx('announce').length !== 1 || idx('beacon').length !== 1 || idx('result').length !== 1) {
      throw new VerifyError('应恰好有一条公告、一条信标和一条结果条目');
    }
    if (!(idx('reveal').every((i) => a < i && i < bcn) && a < bcn && bcn < res &&
          idx('replace').every((i) => i > res))) {
      throw new VerifyError('条目顺序不符：公告 < 揭示 < 信标 < 结果 < 替补');
    }
    const get = (role) => parsed[entries.findIndex((e) => e.role === role)];
    const announce = get('announce');
    const resultEntry = get('result');

    // (a) blob hashes against the announcement and the draw.result entry.
    const pools = announce.body.pools;
    const [hEnt, hIns, hCon, hRes] = (await Promise.all(blobs.map(sha256))).map(toHex);
    const checks = [['entities', hEnt, '检查对象快照'], ['inspectors', hIns, '执法检查人员快照'], ['conflicts', hCon, '回避关系快照']];
    for (const [k, h, name] of checks) {
      if (!isObject(pools) || !isObject(pools[k]) || pools[k].sha256 !== h) {
        throw new VerifyError(`${name}的 SHA-256（${h}）与公告的不符`);
      }
    }
    const ref = resultEntry.body.result;
    if (!isObject(ref) || ref.sha256 !== hRes || ref.size !== resultBytes.length) {
      throw new VerifyError(`抽取结果文件的 SHA-256（${hRes}）或大小与结果条目不符`);
    }
    if ('result_sha256' in resultEntry.body && resultEntry.body.result_sha256 !== hRes) {
      throw new VerifyError('结果条目的 result_sha256 与结果文件哈希不符');
    }
    step('blobs', `4 个文件的哈希均与账本记录一致`);

    // (b) signatures, with the department keys and their key.add entries.
    const keys = new Map();
    for (const k of proof.keys) {
      const p = await L.parseVkey(k.vkey);
      if (p.keyRef !== k.key_ref) throw new VerifyError(`密钥引用 ${k.key_ref} 与验证密钥不符`);
      keys.set(k.key_ref, { ...k, parsed: p });
    }
    const keyAdds = [];
    for (const k of keys.values()) keyAdds.push(await checkKeyAdd(k, origin, trust));
    let nsig = 0;
    for (let i = 0; i < entries.length; i++) nsig += await checkEntrySignatures(entries[i], parsed[i], origin, keys);
    const rotated = [...keys.values()].some((k) => !k.key_add.roots_from_trust);
    step('sigs', `${nsig} 个条目签名有效；${keys.size} 个部门密钥的登记条目` +
      (rotated ? '已核对新密钥签名（根密钥在登记前已更新，根密钥签名请用命令行核验）' : '由信任锚中的根密钥签署'));

    // (c) inclusion: every receipt opens with the log key and proves its line at its index.
    const withReceipts = [...entries, ...proof.keys.map((k) => k.key_add)];
    const lines = [...parsed.map((p) => p.line), ...keyAdds.map((p) => p.line)];
    const sizes = new Set();
    await Promise.all(receipts.map(async (bytes, i) => {
      const e = withReceipts[i];
      const r = await L.verifyReceipt(bytes, origin, trust.logKeys, `第 ${e.index} 条条目的回执`);
      if (r.index !== e.index || !L.equalBytes(r.extra, lines[i])) {
        throw new VerifyError(`第 ${e.index} 条条目的回执与条目内容不符`);
      }
      if (e.leaf_hash !== undefined && e.leaf_hash !== r.leaf) throw new VerifyError(`第 ${e.index} 条条目的叶哈希不符`);
      sizes.add(r.size);
    }));
    step('inclusion', `${receipts.length} 份回执均证明条目已记入日志（检查点大小 ${[...sizes].sort((x, y) => x - y).join('、')}，由日志密钥签署）`);

    // (c′) the beacon's BLS signature against the pinned quicknet key (§6).
    const beacon = get('beacon').body;
    if (beacon.round !== announce.body.randomness?.drand?.round) {
      throw new VerifyError('drand 信标的轮次与公告不符');
    }
    const blsMs = await verifyBeaconSignature(beacon.round, beacon.signature);
    step('bls', `第 ${beacon.round} 轮的签名与 quicknet 公钥一致（BLS 已验证，用时 ${blsMs} 毫秒）`);

    // (d)–(e) re-run the draw.
    const reveals = new Map(byRole('reveal').map((e, i) => {
      const b = parsed[entries.indexOf(e)].body;
      return [b.dept, b.secret];
    }));
    if (reveals.size !== byRole('reveal').length) throw new VerifyError('同一部门有多条揭示');
    const published = L.parseCanonical(L.fromUtf8(resultBytes, '抽取结果'), '抽取结果');
    const extraKey = isObject(published) && typeof published.extra_key === 'string' ? published.extra_key : null;
    const snaps = { entities: entBytes, inspectors: insBytes, conflicts: conBytes };
    const run = await runDraw(announce.body, announce.bodyBytes, snaps, reveals, beacon, extraKey, step);

    const mine = utf8(canonical(run.result));
    if (!L.equalBytes(mine, resultBytes)) {
      throw new VerifyError('重新运行抽取得到的结果记录与账本记录的结果不一致');
    }
    const resultHash = toHex(await sha256(mine));
    step('result', `结果记录 ${mine.length} 字节逐字节一致，SHA-256 = ${resultHash}`);

    const rows = await checkReplacements(run.ann, run.groups, run.result, resultHash,
      byRole('replace').map((e) => parsed[entries.indexOf(e)].body));
    step('replace', rows.length ? rows.join('；') : '无替补');
    return { drawn: run.result.entity_order.length, resultHash };
  }

  // ---- page binding ------------------------------------------------------------------------

  function bind() {
    const button = document.getElementById('gk-verify');
    if (!button) return;
    const status = document.getElementById('gk-verify-status');
    const list = document.getElementById('gk-verify-steps');
    const bar = document.getElementById('gk-verify-progress');
    if (!global.isSecureContext || !global.crypto || !global.crypto.subtle) {
      status.textContent = '此页面不在安全上下文（HTTPS）中，浏览器不提供 WebCrypto，无法在浏览器中验证；请使用命令行 gongkai verify。';
      button.disabled = true;
      return;
    }
    button.addEventListener('click', async () => {
      const t0 = performance.now();
      button.disabled = true;
      button.setAttribute('aria-busy', 'true');
      list.textContent = '';
      const items = new Map();
      for (const [id, label] of STEPS) {
        const li = document.createElement('li');
        li.dataset.step = id;
        li.textContent = `${label}……`;
        list.appendChild(li);
        items.set(id, { li, label });
      }
      let done = 0;
      bar.max = STEPS.length;
      bar.value = 0;
      bar.hidden = false;
      status.className = 'verify-status';
      status.textContent = '正在验证……';
      const step = (id, detail) => {
        const it = items.get(id);
        it.li.textContent = `✓ ${it.label}：${detail}`;
        it.li.className = 'ok';
        bar.value = ++done;
      };
      try {
        const s = await verifyDraw(button.dataset.proof, button.dataset.ledger, step);
        const ms = Math.round(performance.now() - t0);
        status.className = 'verify-status verify-ok';
        status.textContent = `验证通过：重新抽取的 ${s.drawn} 户检查对象、检查组和替补与账本记录逐字节一致，签名、包含证明和 drand 信标的 BLS 签名均有效（用时 ${ms} 毫秒）。`;
        status.dataset.result = 'ok';
        status.dataset.elapsedMs = String(ms);
      } catch (e) {
        const ms = Math.round(performance.now() - t0);
        const reason = e instanceof VerifyError ? e.message : `验证程序出错：${e && e.message ? e.message : e}`;
        for (const it of items.values()) {
          if (!it.li.className) {
            it.li.textContent = `✗ ${it.label}`;
            it.li.className = 'fail';
            break;
          }
        }
        status.className = 'verify-status verify-fail';
        status.textContent = `验证失败：${reason}`;
        status.dataset.result = 'fail';
        status.dataset.elapsedMs = String(ms);
      } finally {
        button.disabled = false;
        button.removeAttribute('aria-busy');
      }
    });
  }

  global.GongkaiDrawV1 = { verifyDraw, verifyBeaconSignature, runDraw, checkReplacements, sortKeys, cutoffText, parseDate, STEPS };
  if (typeof document !== 'undefined') {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', bind);
    else bind();
  }
})(typeof window !== 'undefined' ? window : globalThis);
