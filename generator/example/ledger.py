"""Build the example county's ledger in ``draws/`` from the example content (deterministic).

Run ``python -m generator.example.ledger [--content content] [--draws draws]``. The keys are the
public example keys of :mod:`generator.example.keys`; timestamps are fixed.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from generator.content.loader import load_content
from generator.example.keys import dept_key_name, example_signer, key_names
from generator.example.tsa import EXAMPLE_CHAIN, EXAMPLE_TSA
from generator.ledgerops import append_entries, init_ledger, key_add_entry
from generator.timestamping import stamp_appended
from generator.workflow.drawing import announce_algorithm
from ledger.draw.algorithms import DRAW_ALGORITHMS
from ledger.tsa import add_tsa

INIT_TS = "2024-01-02T01:00:00Z"
KEYS_TS = "2024-01-02T02:00:00Z"
CHECKLIST_TS = "2024-01-02T03:00:00Z"


def build_example_ledger(content_dir: Path, draws: Path, *, checklists: bool = True) -> None:
    """Write the example ledger into ``draws`` (which must not hold a ledger yet): ``log.init``,
    the departments' keys and, with ``checklists`` when ``draws`` is a site's, each department's
    抽查事项清单 (the example year publishes them itself, :mod:`generator.example.year`).

    Raises:
        ContentError: if the content is invalid; LedgerError on a ledger problem.
    """
    content, _ = load_content(content_dir)
    if not content.site.example:
        raise SystemExit("只能为示例站点（example: true）生成示例账本")
    origin = content.site.ledger_origin
    names = key_names(origin)
    log = example_signer(names["log"])
    roots = [example_signer(names[r]) for r in ("root1", "root2", "root3")]
    draw = announce_algorithm(DRAW_ALGORITHMS)
    trust = init_ledger(draws, origin, log, roots, 2, INIT_TS, draw=draw)
    if content.site.timestamping:  # the example's local TSA (docs/ledger.md §15.6)
        trust = add_tsa(draws, EXAMPLE_TSA, EXAMPLE_CHAIN.read_bytes())
        stamp_appended(draws, 1, content.site, trust, [read_line(draws, 0)])
    lines = [
        key_add_entry(origin, example_signer(dept_key_name(origin, d.id)), d.id, roots[:2], KEYS_TS)
        for d in content.departments
    ]
    checkpoint = append_entries(draws, lines, log)
    stamp_appended(draws, checkpoint.size, content.site, trust, lines)
    if checklists and draws.parent == content_dir.parent:  # a site: publish the checklists (§8)
        _publish_checklists(draws.parent)


def _publish_checklists(site: Path) -> None:
    """Each department's 抽查事项清单, version 1 (docs/workflow.md §8), and the 检查对象名录库,
    and the 执法检查人员名录库, version 1, by the plan's organiser (§9), signed with the example keys."""
    from generator.workflow.bound import publish_checklist
    from generator.workflow.library_ledger import publish_library
    from generator.workflow.site import SiteRepo
    from ledger.draw.library import LIBRARIES

    repo = SiteRepo.open(site)
    for dept in sorted({i.dept for i in repo.content.items}):
        publish_checklist(repo, dept, CHECKLIST_TS, None, None)
    if repo.content.plans:
        for kind in LIBRARIES:
            organiser = repo.content.plans[0].organiser
            publish_library(repo, kind, organiser, CHECKLIST_TS, None, None)


def read_line(draws: Path, index: int) -> bytes:
    """Line ``index`` of ``draws/entries.jsonl`` (without its newline)."""
    return (draws / "entries.jsonl").read_bytes().split(b"\n")[index]


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--draws", type=Path, default=Path("draws"))
    parser.add_argument("--force", action="store_true", help="先删除已有的 draws 目录")
    args = parser.parse_args()
    if args.force and args.draws.exists():
        shutil.rmtree(args.draws)
    build_example_ledger(args.content, args.draws)


if __name__ == "__main__":
    main()
