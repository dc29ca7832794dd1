"""Staff commands on a damaged or interrupted ledger (docs/ledger.md §12.6–12.8).

On a copy of the example site: a command never extends a ledger it cannot verify (exit code 7,
nothing written); an append killed at any step is finished or undone by the next command, which
says so, while ``gongkai verify`` reports the interrupted state (exit code 8); what a command
shows after its own append is derived from the ledger after it; a refused append leaves no
blobs. The crash test injects SIGKILL and EIO/ENOSPC at real system calls of
``gongkai results import`` with ``strace`` (skipped, saying why, where strace is missing).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import form_kit
import pytest
from click.testing import CliRunner, Result
from example_facts import RECTIFY, example_size, open_rectify_followup

from generator.cli import main
from generator.ledgerops import open_store, read_trust
from generator.workflow import results
from generator.workflow.actions import find_task
from generator.workflow.forms import form_rows, write_form
from generator.workflow.site import SiteRepo
from ledger.__main__ import main as ledger_main
from ledger.journal import AppendJournal
from ledger.store import LedgerStore
from ledger.tasks import china_date

REPO = Path(__file__).resolve().parents[2]
TASK = "2024-SC-DJGS"
FOLLOWUP = open_rectify_followup()  # a result ordered to correct whose follow-up is still open
MEASURE = RECTIFY
#: The example ledger's size; its last line is SIZE - 1, its newest checkpoint is SIZE.
SIZE = example_size()
LAST = SIZE - 1


def snapshot(directory: Path) -> dict[str, bytes]:
    """Every file below ``directory`` but ``LOCK`` (an empty file the first writer creates)."""
    return {
        str(p.relative_to(directory)): p.read_bytes()
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != "LOCK"
    }


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site with a filled result form (one corrected row) in ``forms/f.csv``."""
    site = tmp_path_factory.mktemp("site")
    shutil.copytree(REPO / "content", site / "content")
    shutil.copytree(REPO / "draws", site / "draws")
    repo = SiteRepo.open(site)
    record = repo.state().tasks.tasks[TASK]
    _, task = find_task(repo, TASK)
    assert record.result is not None
    draw_date = china_date(record.result.ts)
    (site / "forms").mkdir()
    write_form(
        site / "forms" / "f.xlsx", site / "forms" / "f.csv", site_name=repo.content.site.name,
        task_id=TASK, task_name=task.name, dept_id="scjg",
        dept_name=repo.content.department("scjg").name,
        rows=form_rows(repo.content, task, "scjg", sorted(record.drawn), record.teams),
        items={i.id: i for i in repo.content.items}, draw_date=draw_date,
    )  # fmt: skip
    day = draw_date + dt.timedelta(days=30)
    form_kit.fill_csv(
        site / "forms" / "f.csv",
        {2: {"检查日期": day, "完成日期": day, "检查方式1": "现场检查", "检查结果1": "未发现问题",
             "后续处置措施": form_kit.NONE_NEEDED, "后续处置是否完结": "已完结", "完结日期": day}},
    )  # fmt: skip
    return site


@pytest.fixture
def site(template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "site"
    shutil.copytree(template, target)
    return target


def gk(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def import_form(site: Path) -> Result:
    return gk("results", "import", TASK, str(site / "forms" / "f.csv"), "--dept", "scjg",
              "--site", str(site), "--at", "2024-12-20")  # fmt: skip


def followup(site: Path) -> Result:
    return gk("followup", "record", *FOLLOWUP, "--dept", "scjg", "--measure", MEASURE,
              "--site", str(site), "--at", "2024-12-21")  # fmt: skip


def verify(site: Path) -> int:
    return ledger_main(["verify", str(site / "draws")])


def store_of(site: Path) -> LedgerStore:
    """The site's store, after the recovery every command runs when it opens the site."""
    return SiteRepo.open(site).store


# --------------------------------------------------------------------------- issue 4


def _edit_checkpointed_line(draws: Path) -> None:
    lines = (draws / "entries.jsonl").read_bytes().split(b"\n")
    lines[100] = lines[100].replace(b'"ts":"2024', b'"ts":"2023', 1)
    (draws / "entries.jsonl").write_bytes(b"\n".join(lines))


def _unsigned_lines_after_the_checkpoint(draws: Path) -> None:
    # A line whose checkpoint (SIZE) is gone: no signed checkpoint and no journal cover it.
    (draws / "checkpoints" / str(SIZE)).unlink()
    (draws / "checkpoint").write_bytes((draws / "checkpoints" / str(LAST)).read_bytes())


def _edited_after_an_interrupted_append(draws: Path) -> None:
    _unsigned_lines_after_the_checkpoint(draws)
    lines = (draws / "entries.jsonl").read_bytes().split(b"\n")
    # The journal of the interrupted append of the last line, then the line edited on disk.
    base = b"".join(line + b"\n" for line in lines[:LAST])
    journal = AppendJournal(
        LAST, len(base), SIZE, (draws / "checkpoints" / str(LAST)).read_bytes(), lines[LAST] + b"\n"
    )
    (draws / "journal").write_bytes(journal.encode())
    edited = lines[LAST].replace(b'"ts":"2024', b'"ts":"2023', 1)
    assert edited != lines[LAST]
    lines[LAST] = edited
    (draws / "entries.jsonl").write_bytes(b"\n".join(lines))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        # The first archived checkpoint covering line 100 (its number depends on the example).
        (_edit_checkpointed_line, r"checkpoints/\d+：签名的根 .*第 \d+\.\.\d+ 行中有条目"),
        (
            _unsigned_lines_after_the_checkpoint,
            rf"第 {LAST}\.\.{LAST} 行.*不在任何签名检查点内.*truncate -s",
        ),
        (_edited_after_an_interrupted_append, r"journal：追加日志.*与账本不符"),
    ],
    ids=["edited checkpointed line", "unsigned lines", "edited after interrupted append"],
)
def test_a_command_never_extends_a_ledger_it_cannot_verify(
    site: Path, damage: object, message: str
) -> None:
    draws = site / "draws"
    damage(draws)  # type: ignore[operator]
    before = snapshot(draws)
    refused = followup(site)
    assert refused.exit_code == 7, refused.output
    assert refused.output.startswith("错误：账本已损坏，未做任何修改：")
    assert re.search(message, refused.output), refused.output
    assert snapshot(draws) == before  # nothing signed, nothing repaired


# --------------------------------------------------------------------------- issue 6 and 13


def test_state_shown_after_an_append_includes_it(site: Path) -> None:
    repo = SiteRepo.open(site)
    before = repo.state()
    count = len(before.entries)
    results.followup(
        repo, FOLLOWUP[0], "scjg", FOLLOWUP[1], close=False, note="", measure=MEASURE,
        at="2024-12-20T01:00:00Z", key=None, log_key=None,
    )  # fmt: skip
    after = repo.state()
    assert len(after.entries) == count + 1
    assert after.entries[-1].type == "followup.record"


def test_a_refused_announcement_leaves_no_snapshot_blobs(site: Path) -> None:
    inspectors = site / "content" / "inspectors.csv"
    text = inspectors.read_text(encoding="utf-8-sig")
    changed = text.replace(",scjg,食品安全、登记注册,", ",scjg,食品安全,", 1)
    assert changed != text  # so the snapshot is new
    inspectors.write_text(changed, encoding="utf-8-sig")
    # The changed library is published first (a draw uses only the published one, docs/workflow.md §9).
    published = gk("library", "publish", "inspectors", "--dept", "scjg", "--site", str(site),
                   "--at", "2024-12-01")  # fmt: skip
    assert published.exit_code == 0, published.output
    before = snapshot(site / "draws")
    refused = gk("draw", "announce", TASK, "--round", "5358915", "--site", str(site),
                 "--at", "2024-12-01", "--secrets", str(site / "secrets"))  # fmt: skip
    assert refused.exit_code == 11, refused.output
    assert "id 重复" in refused.output
    assert snapshot(site / "draws") == before


# --------------------------------------------------------------------------- issue 5


@pytest.mark.skipif(shutil.which("strace") is None, reason="需要 strace（make test 会安装）")
@pytest.mark.parametrize(
    "inject",
    [
        "fsync:signal=SIGKILL:when=1",  # the journal's temp file: nothing happened
        "write:signal=SIGKILL:when=2",  # journal written, no line yet: roll forward
        "linkat:signal=SIGKILL:when=1",  # line written, not archived: roll forward
        "unlinkat:signal=SIGKILL:when=2",  # published, journal left: delete it
        "write:error=ENOSPC:when=2",  # disk full at the line: the next command finishes it
    ],
)
def test_crash_of_a_real_results_import(site: Path, inject: str) -> None:
    draws = site / "draws"
    archive_before = snapshot(draws / "checkpoints")
    lines_before = (draws / "entries.jsonl").read_bytes()
    gongkai = Path(sys.executable).with_name("gongkai")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        ["strace", "-f", "-o", os.devnull, "-e", f"inject={inject}", str(gongkai), "results",
         "import", TASK, str(site / "forms" / "f.csv"), "--dept", "scjg", "--site", str(site),
         "--at", "2024-12-20"],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode != 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    state = open_store(draws, read_trust(draws)).read_state()  # read-only: no recovery
    # gongkai verify reports the interrupted state precisely (exit code 8) instead of passing.
    assert verify(site) == (8 if state.needs_recovery else 0)
    # The next run of the same import finishes or undoes the interrupted append and says so.
    again = import_form(site)
    assert again.exit_code == 0, again.output
    assert ("账本恢复：" in again.output) == state.needs_recovery, again.output
    assert "更正 1 条" in again.output or "未改动 1 条" in again.output
    clean = store_of(site).read_state()
    assert not clean.needs_recovery
    assert clean.size == SIZE + 1  # the correction exactly once
    assert (draws / "entries.jsonl").read_bytes().startswith(lines_before)  # nothing lost
    archive = snapshot(draws / "checkpoints")
    assert {k: archive[k] for k in archive_before} == archive_before  # no fork
    assert (draws / "checkpoint").read_bytes() == archive[str(SIZE + 1)]
    assert not [p for p in draws.rglob(".tmp.*")]
    assert not (draws / "journal").exists()
    assert verify(site) == 0
    assert followup(site).exit_code == 0  # and the next append succeeds
