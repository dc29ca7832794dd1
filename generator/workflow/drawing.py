"""Running a DRAW-V1 draw through the ledger: announce, reveal, beacon, run, replace.

The task's pool comes from the content libraries through the task's filter (only 存续/在业
entities, only 在岗 inspectors of the participating departments); the three snapshots are stored
as blobs and their hashes announced before the drand round exists. 回避 reasons are never put
in a snapshot: the conflicts snapshot holds only ``{entity, inspector}`` pairs.

Department secrets for the commit-reveal are 32 random bytes kept in a 0600 file outside the
repository until the reveal. On an example site they are derived from a public label instead,
so the example can be rebuilt byte for byte (and proves nothing, like the example keys).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

from generator import entryids
from generator.content.drawsize import draw_figures
from generator.content.model import CreditRisk, InspectorStatus, MarketEntity, SpotCheckTask
from generator.drawsecret import create_secret, read_secret, secret_path
from generator.errors import OptionError, WorkflowError
from generator.workflow.actions import find_task
from generator.workflow.bound import require_published
from generator.workflow.library_ledger import require_library
from generator.workflow.site import SiteRepo
from generator.workflow.visits import PoolRules, pool_rules
from ledger import canonical
from ledger.checkpoint import Checkpoint
from ledger.draw import drand
from ledger.draw.algorithms import DRAW_V1, DrawAlgorithm, DrawAlgorithms
from ledger.draw.rules import DeptRule, StratumRule
from ledger.draw.sampling import is_recent
from ledger.draw.seed import commitment
from ledger.draw.snapshot import CONFLICTS, ENTITIES, INSPECTORS, build_snapshot, snapshot_ref
from ledger.entries import Entry, add_signatures
from ledger.errors import LedgerError, UnverifiableError
from ledger.examplekeys import EXAMPLE_SEED_LABEL
from ledger.payloads import (
    ENTRY_TYPES,
    BlobRef,
    Commitment,
    DrandRef,
    DrawAnnounce,
    DrawBeacon,
    DrawReplace,
    DrawResult,
    DrawReveal,
    PoolRef,
    Pools,
    Randomness,
    draw_payloads,
    sign,
)
from ledger.schema import BodyError, encode
from ledger.tasks import MIN_ANNOUNCE_LEAD, TaskState, parse_ts

Progress = Callable[[str], None]

#: Longest wait between an announcement and its drand round: a round further ahead is almost
#: certainly a typing error, and the draw would wait for it (``docs/workflow.md`` §1).
MAX_ANNOUNCE_LEAD = dt.timedelta(days=31)

#: The algorithm ``gongkai draw announce`` announces with: its rules are built from the plan
#: (one stratum per 信用风险分类 with the task's ratio, docs/content.md §6). Running a recorded
#: draw and replacing an entity use the algorithm its announcement names.
ANNOUNCE_ALGORITHM = DRAW_V1.name


def announce_algorithm(algorithms: DrawAlgorithms) -> DrawAlgorithm:
    """:data:`ANNOUNCE_ALGORITHM` as ``algorithms`` defines it: the algorithm announcements are
    made with, and the one a new ledger's ``log.init`` names (``formats.draw``).

    Raises:
        VerificationError: if ``algorithms`` lacks it.
    """
    return algorithms.get_algorithm(ANNOUNCE_ALGORITHM)


def _noop(_: str) -> None:
    return None


def _ratio_text(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def announced_pool(
    repo: SiteRepo, task: SpotCheckTask, rules: PoolRules
) -> list[tuple[MarketEntity, dt.date | None]]:
    """The task's pool as the snapshot freezes it: each entity with its ``last_inspected``
    (library or ledger, whichever is later), without those the 抽查频次 excludes
    (:mod:`generator.workflow.visits`, docs/workflow.md §6)."""
    return [
        (e, rules.last_inspected(e.id, e.last_inspected))
        for e in repo.content.pool(task)
        if e.id not in rules.excluded
    ]


def snapshots(
    repo: SiteRepo, task: SpotCheckTask, departments: list[str], rules: PoolRules | None = None
) -> dict[str, bytes]:
    """The three snapshot files of ``task`` for the participating ``departments``."""
    entities = [
        {
            "id": e.id,
            "name": e.name,
            "stratum": e.risk.value,
            "last_inspected": last.isoformat() if last else None,
            "tags": sorted(set(e.industries)),
        }
        for e, last in announced_pool(repo, task, rules or PoolRules())
    ]
    inspectors = [
        {"id": i.id, "dept": i.dept, "tags": sorted(set(i.tags)), "active": True}
        for i in repo.content.inspectors
        if i.dept in departments and i.status is InspectorStatus.ACTIVE
    ]
    pool_ids = {e["id"] for e in entities}
    inspector_ids = {i["id"] for i in inspectors}
    conflicts = [
        {"entity": c.entity, "inspector": c.inspector}
        for c in repo.content.conflicts
        if c.entity in pool_ids and c.inspector in inspector_ids
    ]
    return {
        ENTITIES: build_snapshot(ENTITIES, entities),
        INSPECTORS: build_snapshot(INSPECTORS, inspectors),
        CONFLICTS: build_snapshot(CONFLICTS, conflicts),
    }


def department_secret(
    repo: SiteRepo, task_id: str, dept: str, secrets_dir: Path, *, create: bool
) -> bytes:
    """The department's 32-byte draw secret (created once, 0600, outside the repository;
    :mod:`generator.drawsecret`).

    Raises:
        WorkflowError: if the secret is missing when revealing, or would be inside the repository.
    """
    if repo.content.site.example:
        return hashlib.sha256(
            EXAMPLE_SEED_LABEL + f"draw-secret/{task_id}/{dept}".encode()
        ).digest()
    path = secret_path(secrets_dir, task_id, dept)
    if path.resolve().is_relative_to(repo.root.resolve()):
        raise WorkflowError(f"{path}：抽取秘密不能保存在站点仓库内")
    if not create or path.exists():
        # A refused announcement may already have created the secret; it was never published,
        # so it is reused rather than replaced.
        return read_secret(path, dept)
    return create_secret(path)


def check_ratio_cap(
    repo: SiteRepo, task: SpotCheckTask, when: dt.datetime, rules: PoolRules | None = None
) -> None:
    """Refuse a draw that would take more entities than a 一般检查事项's ratio cap allows, or
    fewer than an item's minimum ratio (generator.content.drawsize; docs/content.md §10.3).

    The eligible entities are the pool as announced (``rules``: ledger visits and 抽查频次,
    docs/workflow.md §6) minus the recently inspected ones as of the China date of ``when``,
    exactly as the draw will count them (docs/draw-v1.md §8).

    Raises:
        WorkflowError: naming the item, the cap, the most it allows and what the draw needs.
    """
    as_of = when.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    days = task.exclude_inspected_within_days
    counts = Counter(
        e.risk
        for e, last in announced_pool(repo, task, rules or PoolRules())
        if not is_recent(last.isoformat() if last else None, as_of, days)
    )
    items = {i.id: i for i in repo.content.items}
    breaches = draw_figures(task, items, counts).breaches()
    if breaches:
        raise WorkflowError("；".join(breaches))


def _participants(repo: SiteRepo, task: SpotCheckTask) -> list[str]:
    record = repo.state().tasks.tasks.get(task.id)
    if record is None:
        raise WorkflowError(f"任务“{task.id}”所在的年度计划尚未发布（gongkai plan publish）")
    if task.kind.value == "单部门":
        return [task.lead]
    accepted = [d for d, (decision, _) in record.replies.items() if decision == "accept"]
    return [task.lead, *[d for d in task.partners if d in accepted]]


def first_round_after(at: str) -> int:
    """The first drand quicknet round whose time is at least 24 hours after ``at``
    (``MIN_ANNOUNCE_LEAD``; docs/draw-v1.md §6: ``time(R) ≥ announced_at + 24 h``).

    Args:
        at: a ledger timestamp (``YYYY-MM-DDTHH:MM:SSZ``).

    Raises:
        OptionError: if ``at`` + 24 h is before the chain's first round.
    """
    target = int(parse_ts(at).timestamp() + MIN_ANNOUNCE_LEAD.total_seconds())
    if target < drand.QUICKNET_GENESIS:
        genesis = dt.datetime.fromtimestamp(drand.QUICKNET_GENESIS, dt.UTC)
        raise OptionError(
            f"--round-at：{at} 的 24 小时之后早于 drand quicknet 的第一轮（{format_china(genesis)}）"
        )
    round_ = drand.round_at(target)
    return round_ if drand.round_time(round_) >= target else round_ + 1


def pick_round(round_: int | None, round_at: str | None) -> int:
    """The announced round: ``--round`` itself, or the first round 24 hours after ``--round-at``.

    Raises:
        OptionError: unless exactly one of the two is given, or as :func:`first_round_after`.
    """
    if (round_ is None) == (round_at is None):
        raise OptionError("须指定 --round 或 --round-at 之一（不能同时指定）")
    return round_ if round_ is not None else first_round_after(str(round_at))


def round_datetime(round_: int) -> dt.datetime:
    """The UTC time of drand quicknet round ``round_`` (≥ 1)."""
    return dt.datetime.fromtimestamp(drand.round_time(round_), dt.UTC)


def format_china(when: dt.datetime) -> str:
    """``when`` as Beijing time for staff: ``2024-03-02 10:00:03（北京时间）``."""
    china = when.astimezone(dt.timezone(dt.timedelta(hours=8)))
    return f"{china:%Y-%m-%d %H:%M:%S}（北京时间）"


def _commitments(
    repo: SiteRepo,
    task_id: str,
    departments: list[str],
    given: Mapping[str, str] | None,
    secrets_dir: Path,
) -> tuple[Commitment, ...]:
    """Each participating department's commitment, in byte order of the department ids.

    ``given`` holds the commitments the departments made on their own machines
    (:mod:`generator.drawsecret`). Without it the secrets are created here, which is honest only
    for a department committing for itself (a single-department task) or on an example site.

    Raises:
        WorkflowError: if a department's commitment is missing or one is not a participant's, or
            several departments' secrets would be created in one process on a real site.
    """
    ordered = sorted(departments, key=lambda s: s.encode())
    if given is None:
        if len(departments) > 1 and not repo.content.site.example:
            raise WorkflowError(
                f"任务“{task_id}”由 {'、'.join(departments)} 共同参与：各部门的抽取秘密必须在本部门"
                "自己的计算机上生成（gongkai draw commit），公告须经签署申请由各部门分别签署"
                "（gongkai request announce，见 docs/signing.md）"
            )
        given = {
            d: commitment(task_id, d, department_secret(repo, task_id, d, secrets_dir, create=True))
            for d in ordered
        }
    missing = [d for d in ordered if d not in given]
    if missing:
        raise WorkflowError(f"缺少部门 {'、'.join(missing)} 的承诺文件（gongkai draw commit）")
    extra = sorted(set(given) - set(departments))
    if extra:
        raise WorkflowError(f"部门 {'、'.join(extra)} 不参与任务“{task_id}”，不能提交承诺")
    return tuple(Commitment(dept=d, commitment=given[d]) for d in ordered)


def announce_body(
    repo: SiteRepo,
    task_id: str,
    round_: int,
    at: str,
    secrets_dir: Path,
    commitments: Mapping[str, str] | None = None,
    progress: Progress = _noop,
    *,
    algorithms: DrawAlgorithms,
) -> tuple[DrawAnnounce, list[bytes]]:
    """The ``draw.announce`` body and its three snapshot blobs (nothing is signed or written),
    for :data:`ANNOUNCE_ALGORITHM` as ``algorithms`` defines it (its rules and entry classes).

    Raises:
        OptionError: if the round is too far ahead.
        ContentError: if the task's plan, or the rules of its items, changed since the plan was
            recorded (the draw uses the rules the ledger holds: docs/workflow.md §6.1).
        WorkflowError: if the task cannot be announced now, or a commitment is missing
            (:func:`_commitments`).
    """
    lead = drand.round_time(round_) - parse_ts(at).timestamp()
    if lead > MAX_ANNOUNCE_LEAD.total_seconds():
        raise OptionError(
            f"--round：drand 第 {round_} 轮在公告时间 {at} 之后 {lead / 86400:.0f} 天，超过上限 "
            f"{MAX_ANNOUNCE_LEAD.days} 天；请指定公告后 24 小时到 {MAX_ANNOUNCE_LEAD.days} 天之间的轮次"
        )
    plan, task = find_task(repo, task_id)
    items = {i.id: i for i in repo.content.items}
    require_published(repo, plan, task)  # the plan and checklist the ledger holds (§8)
    require_library(repo)  # the 检查对象名录库 the ledger holds (§9)
    departments = _participants(repo, task)
    rules = pool_rules(repo, task, departments, items)
    check_ratio_cap(repo, task, parse_ts(at), rules)
    if rules.excluded:
        progress(f"按抽查频次排除本年度已抽中的 {len(rules.excluded)} 户（docs/workflow.md §6）")
    progress("冻结检查对象、执法检查人员和回避关系快照")
    snaps = snapshots(repo, task, departments, rules)
    parts = {p.dept: p for p in task.parts}
    strata = tuple(
        StratumRule(stratum=r.value, ratio=_ratio_text(task.ratio_for(r))) for r in CreditRisk
    )
    committed = _commitments(repo, task.id, departments, commitments, secrets_dir)
    deadline = drand.round_time(round_) - 2 * 3600
    refs = {kind: PoolRef(**snapshot_ref(data)) for kind, data in snaps.items()}
    algorithm = announce_algorithm(algorithms)
    body = draw_payloads(algorithm.name, algorithm.rules).announce(
        id=entryids.draw_announce(task.id),
        ts=at,
        dept=task.lead,
        schema=f"{algorithm.name}/announce",
        algorithm=algorithm.name,
        task_id=task.id,
        title=task.name,
        announced_at=at,
        pools=Pools(
            entities=refs[ENTITIES], inspectors=refs[INSPECTORS], conflicts=refs[CONFLICTS]
        ),
        rules=algorithm.rules(
            strata=strata,
            as_of=parse_ts(at).astimezone(dt.timezone(dt.timedelta(hours=8))).date(),
            exclude_inspected_within_days=task.exclude_inspected_within_days,
            min_count=task.min_count,
            lead=task.lead,
            departments=tuple(
                DeptRule(
                    dept=d,
                    per_entity=parts[d].inspectors_per_entity,
                    required_tags=tuple(sorted(set(parts[d].required_tags))),
                )
                for d in departments
            ),
        ),
        randomness=Randomness(
            drand=DrandRef(chain_hash=drand.QUICKNET_CHAIN_HASH.hex(), round=round_),
            commitments=committed,
        ),
        reveal_deadline=dt.datetime.fromtimestamp(deadline, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return body, list(snaps.values())


def announce(
    repo: SiteRepo,
    task_id: str,
    round_: int,
    at: str,
    keys: Mapping[str, Path | None],
    log_key: Path | None,
    secrets_dir: Path,
    progress: Progress = _noop,
    *,
    algorithms: DrawAlgorithms,
) -> Checkpoint:
    """Freeze the pools, commit the secret and announce the drand round, signed in this process
    (the body of :func:`announce_body`).

    Honest only where one process may hold every signer: a single-department task (the
    department commits and signs for itself) or an example site. A joint task on a real site goes
    through a signing request (:mod:`generator.signing`).

    Raises:
        WorkflowError: if the task cannot be announced now (the state machine's reason), or it is
            a joint task on a real site.
    """
    body, blobs = announce_body(
        repo, task_id, round_, at, secrets_dir, progress=progress, algorithms=algorithms
    )
    departments = [r.dept for r in body.rules.departments]
    signers = [repo.signer(d, keys.get(d)) for d in departments]
    line = sign(repo.trust.origin, body, signers[:1])
    if signers[1:]:
        line = add_signatures(repo.trust.origin, line, signers[1:])
    progress("保存快照并记入账本")
    log = repo.log_signer(log_key)
    return repo.append([line], log, blobs=blobs)


def _task_entries(repo: SiteRepo, task_id: str) -> tuple[Any, list[Entry]]:
    state = repo.state()
    record = state.tasks.tasks.get(task_id)
    if record is None:
        raise WorkflowError(f"任务“{task_id}”不在已发布的年度计划中")
    entries = [e for e in state.entries if getattr(e.payload, "task_id", None) == task_id]
    return record, entries


def reveal(
    repo: SiteRepo,
    task_id: str,
    dept: str,
    at: str,
    key: Path | None,
    log_key: Path | None,
    secrets_dir: Path,
) -> Checkpoint:
    """Record ``draw.reveal``: the department's secret, checked against its commitment by anyone."""
    secret = department_secret(repo, task_id, dept, secrets_dir, create=False)
    body = DrawReveal(
        id=entryids.draw_reveal(task_id, dept),
        ts=at,
        dept=dept,
        task_id=task_id,
        secret=secret.hex(),
    )
    return repo.append(
        [sign(repo.trust.origin, body, [repo.signer(dept, key)])], repo.log_signer(log_key)
    )


def beacon(
    repo: SiteRepo, task_id: str, signature: str, at: str, key: Path | None, log_key: Path | None
) -> Checkpoint:
    """Record ``draw.beacon`` after checking the drand signature offline.

    Raises:
        WorkflowError: if the task has no announcement or the signature does not verify.
    """
    record, _ = _task_entries(repo, task_id)
    if record.announce is None:
        raise WorkflowError(f"任务“{task_id}”尚未公告抽取")
    signature = signature.strip().lower()
    body = DrawBeacon(
        id=entryids.draw_beacon(task_id),
        ts=at,
        dept=record.lead,
        task_id=task_id,
        chain_hash=drand.QUICKNET_CHAIN_HASH.hex(),
        round=record.round,
        signature=signature,
    )
    try:
        drand.verify_beacon_record(encode(body), drand.QUICKNET_CHAIN_HASH.hex())
    except UnverifiableError:
        raise  # no BLS library: the signature was not checked, so it is not called invalid
    except LedgerError as exc:
        raise WorkflowError(f"drand 第 {record.round} 轮的签名无效：{exc}") from exc
    return repo.append(
        [sign(repo.trust.origin, body, [repo.signer(record.lead, key)])],
        repo.log_signer(log_key),
    )


def compute_result(
    repo: SiteRepo, task_id: str, algorithms: DrawAlgorithms, progress: Progress = _noop
) -> dict[str, Any]:
    """Re-run the announced draw from the ledger's own inputs (what every auditor does), with
    the algorithm of ``algorithms`` that the announcement names.

    Raises:
        WorkflowError: if the beacon is not recorded yet, or ``algorithms`` lacks the
            announced algorithm.
    """
    record, entries = _task_entries(repo, task_id)
    if record.announce is None or record.beacon is None:
        raise WorkflowError(f"任务“{task_id}”尚未取得 drand 随机数（gongkai draw beacon）")
    pools: Pools = record.announce.payload.pools
    ent, ins, con = (
        repo.store.get_blob(p.sha256) for p in (pools.entities, pools.inspectors, pools.conflicts)
    )
    reveals = {e.payload.dept: e.payload.secret for e in entries if e.type == "draw.reveal"}
    algorithm = _announced_algorithm(algorithms, record.announce.payload)
    announce: DrawAnnounce = record.announce.payload
    return algorithm.run(
        record.announce.body,
        ent,
        ins,
        con,
        reveals,
        record.beacon.body,
        progress=progress,
        rules=announce.rules,  # as the ledger's entry parser read them
    )


def _announced_algorithm(algorithms: DrawAlgorithms, announce: DrawAnnounce) -> DrawAlgorithm:
    try:
        return algorithms.get_algorithm(announce.algorithm)
    except LedgerError as exc:
        raise WorkflowError(str(exc)) from exc


def run(
    repo: SiteRepo,
    task_id: str,
    at: str,
    key: Path | None,
    log_key: Path | None,
    progress: Progress = _noop,
    *,
    algorithms: DrawAlgorithms,
) -> Checkpoint:
    """Run the draw and record ``draw.result`` (the record is a blob; the entry carries its hash),
    with the announced algorithm of ``algorithms`` (:func:`compute_result`)."""
    record, _ = _task_entries(repo, task_id)
    phases = {
        "snapshots": "校验名录库快照",
        "seed": "验证 drand 签名并计算种子",
        "entities": "抽取检查对象",
        "inspectors": "匹配执法检查人员",
    }
    result = compute_result(
        repo, task_id, algorithms, lambda phase: progress(phases.get(phase, phase))
    )
    data = canonical.dumps(result)
    progress("保存抽取结果并记入账本")
    log = repo.log_signer(log_key)
    signer = repo.signer(record.lead, key)
    digest = hashlib.sha256(data).hexdigest()
    body = DrawResult(
        id=entryids.draw_result(task_id),
        ts=at,
        dept=record.lead,
        task_id=task_id,
        result=BlobRef(sha256=digest, size=len(data), media="application/json"),
        result_sha256=digest,
    )
    return repo.append([sign(repo.trust.origin, body, [signer])], log, blobs=[data])


def replace_entity(
    repo: SiteRepo,
    task_id: str,
    entity: str,
    reason: str,
    at: str,
    key: Path | None,
    log_key: Path | None,
    *,
    algorithms: DrawAlgorithms,
) -> Checkpoint:
    """Record ``draw.replace``: the next reserve of the entity's stratum takes its place, as
    the announced algorithm of ``algorithms`` chooses it.

    Raises:
        WorkflowError: if the task is not drawn, the entity is not in the current sample, or
            ``algorithms`` lacks the announced algorithm.
    """
    record, entries = _task_entries(repo, task_id)
    if record.result is None or record.state is not TaskState.DRAWN:
        raise WorkflowError(f"任务“{task_id}”尚未抽取或名单已确认，不能替补")
    if not reason.strip():
        raise WorkflowError("替补须用 --reason 说明理由")
    assert record.announce is not None
    entities = repo.store.get_blob(record.announce.payload.pools.entities.sha256)
    result = canonical.loads(repo.store.get_blob(record.result.payload.result.sha256))
    prior = [e.payload.record() for e in entries if e.type == "draw.replace"]
    algorithm = _announced_algorithm(algorithms, record.announce.payload)
    try:
        rec = algorithm.replace(
            record.announce.body,
            entities,
            result,
            entity,
            reason.strip(),
            prior,
            rules=record.announce.payload.rules,
        )
    except LedgerError as exc:
        raise WorkflowError(str(exc)) from exc
    # The record comes from the draw engine as JSON: parsed, it is checked like any body.
    common = {"type": DrawReplace.TYPE, "id": entryids.draw_replace(task_id, len(prior) + 1)}
    try:
        types = ENTRY_TYPES.with_algorithms(algorithms)
        body = types.parse_body({**common, "ts": at, "dept": record.lead, **rec})
    except BodyError as exc:
        raise WorkflowError(f"替补记录的字段 {exc.where} {exc.reason}") from exc
    return repo.append(
        [sign(repo.trust.origin, body, [repo.signer(record.lead, key)])],
        repo.log_signer(log_key),
    )
