"""A site at the moment the phones go out: the example county's year played up to 名单确认下发
(every task confirmed, no result imported), and helpers to make enrolment files and bundles with
Python keys exactly as the phone app makes them (docs/mobile.md §2.3, §5)."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner, Result

from generator.cli import main
from generator.example.ledger import build_example_ledger
from generator.example.year import Year
from generator.mobile.formats import enrolment_from_signer, inspector_signer, sign_bundle
from generator.workflow.site import SiteRepo
from ledger.note import Signer
from ledger.payloads import FollowupState
from ledger.payloads import Result as ResultBody

ROOT = Path(__file__).resolve().parents[2]
TASK = "2024-SC-DJGS"
DEPT = "scjg"


class _UpToConfirm(Year):
    def _results(self, tasks: object) -> None:  # no result is imported
        return None


#: The confirmed year played once per test process (~20 s), copied for each caller.
_played: dict[str, Path] = {}


def _play(tmp: Path) -> Path:
    site = tmp / "site"
    site.mkdir()
    shutil.copytree(ROOT / "content", site / "content")
    # Without the checklists: the year publishes them itself.
    build_example_ledger(site / "content", site / "draws", checklists=False)
    _UpToConfirm(site, tmp / "forms").run()
    return tmp


def confirmed_site(tmp: Path) -> Path:
    """A copy of the example content with the year played up to every task's confirmation.

    The year is played once per process into a directory beside ``tmp`` (pytest keeps it for the
    session) and copied into ``tmp``; the caller owns its copy and may change it.
    Precondition: ``tmp`` is an empty directory made by ``tmp_path_factory``.
    """
    if "dir" not in _played:
        template = tmp.parent / "confirmed-year"
        template.mkdir()
        _played["dir"] = _play(template)
    for part in ("site", "forms"):
        if (_played["dir"] / part).exists():
            shutil.copytree(_played["dir"] / part, tmp / part, symlinks=True)
    return tmp / "site"


def gk(site: Path, *args: str) -> Result:
    """Run ``gongkai *args --site site`` (no exception escapes: the exit code is the answer)."""
    return CliRunner().invoke(main, [*args, "--site", str(site)])


def size(site: Path) -> int:
    """How many entries the site's ledger holds (to see that a refusal appended nothing)."""
    return len((site / "draws" / "entries.jsonl").read_bytes().splitlines())


def team_of(site: Path, inspector: str) -> list[str]:
    """The entities of :data:`TASK` whose :data:`DEPT` team includes ``inspector``, sorted."""
    record = SiteRepo.open(site).state().tasks.tasks[TASK]
    return sorted(e for e, team in record.teams.items() if inspector in team.get(DEPT, set()))


def team_members(site: Path, entity: str) -> tuple[str, ...]:
    record = SiteRepo.open(site).state().tasks.tasks[TASK]
    return tuple(sorted(record.teams[entity][DEPT]))


def origin(site: Path) -> str:
    return SiteRepo.open(site).trust.origin


def key_for(site: Path, inspector: str, label: str) -> Signer:
    """A test inspector key (seed = SHA-256 of ``label``), named as the phone names it."""
    import hashlib

    return inspector_signer(origin(site), DEPT, inspector, hashlib.sha256(label.encode()).digest())


def write_enrolment(site: Path, inspector: str, signer: Signer, out: Path) -> Path:
    out.write_bytes(enrolment_from_signer(origin(site), DEPT, inspector, signer).dumps())
    return out


def result_for(site: Path, entity: str, *, problem: bool = False) -> ResultBody:
    """A result of ``entity`` on 2024-03-04 (a finding ordered to be corrected, or none)."""
    day = dt.date(2024, 3, 4)
    return ResultBody(
        entity=entity,
        items=(),
        methods=("现场检查",),
        categories=("违反市场监管相关规定",) if problem else ("未发现问题",),
        detail="进货查验记录不完整，已责令限期整改" if problem else "",
        inspectors=team_members(site, entity),
        inspected_on=day,
        completed_on=day,
        followup=FollowupState(
            measure="违反本部门相关规定，责令改正；后续跟踪由日常监管部门负责"
            if problem
            else "未发现问题或相关问题已规范、已改正，无需后续处置",
            state="未完结",
        ),
    )


def write_bundle(site: Path, signer: Signer, results: list[ResultBody], out: Path) -> Path:
    bundle = sign_bundle(origin(site), TASK, DEPT, signer, [(r, ()) for r in results])
    out.write_bytes(bundle.dumps())
    return out


def gk_verify(site: Path) -> Result:
    """``gongkai verify`` of the site's ledger."""
    return CliRunner().invoke(main, ["verify", str(site / "draws")])


@dataclass(frozen=True)
class Pair:
    """The co-signing pair of an inspector (docs/mobile.md §5.1): his teammate on the most
    businesses of :data:`TASK` (ties: the smaller 执法证号), those businesses, one of his
    businesses without that teammate, and a :data:`DEPT` inspector outside the first shared
    business's team."""

    partner: str
    shared: list[str]
    only_a: str
    outsider: str


def pair_of(site: Path, inspector: str) -> Pair:
    record = SiteRepo.open(site).state().tasks.tasks[TASK]
    teams = {e: t.get(DEPT, set()) for e, t in record.teams.items()}
    mine = sorted(e for e, t in teams.items() if inspector in t)
    mates = [i for e in mine for i in teams[e] if i != inspector]
    partner = min(set(mates), key=lambda i: (-mates.count(i), i))
    shared = [e for e in mine if partner in teams[e]]
    assert len(shared) >= 2, "the example year gives the inspector a teammate on two businesses"
    pool = sorted({i for t in teams.values() for i in t} - teams[shared[0]])
    return Pair(partner, shared, next(e for e in mine if e not in shared), pool[0])
