"""A fresh, non-example site driven through the ``gongkai`` CLI (Click's runner, in process):
``init`` through the key ceremony (each root key on its own medium), the mini content copied in,
department keys made and registered through ``key.add`` requests.

Shared by the end-to-end workflow test and the search XSS browser test.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import openpyxl
from click.testing import CliRunner, Result

from generator.cli import main
from tests.workflow.ceremony import Media, ceremony, register

MINI = Path(__file__).resolve().parents[1] / "generator" / "fixtures" / "mini"
ORIGIN = "scjg.test.example/gongkai/ledger"
#: The BLS signature of drand (quicknet) round 5358915, the round the mini task announces.
SIG = "95f058cbd1294bc3fa28647dabded06d50b543643fb04e1cb2c5b6204daf20935782f7cae5fa7718cf87b4c43d108842"
TASK = "2024-YYYC-CY"
CONTENT_FILES = (
    "departments.yaml",
    "checklist.yaml",
    "entities.csv",
    "inspectors.csv",
    "conflicts.yaml",
    "plans/2024.yaml",
)


class Site:
    """A site directory, its keys and commitment secrets, and a CLI runner."""

    def __init__(self, tmp: Path) -> None:
        self.root, self.keys, self.secrets = tmp / "site", tmp / "keys", tmp / "secrets"
        self.media = Media(tmp / "media", ORIGIN)
        self.runner = CliRunner()

    @property
    def content(self) -> Path:
        return self.root / "content"

    def run(self, *args: str, ok: bool = True) -> Result:
        """Run ``gongkai *args``; with ``ok`` assert exit code 0 (the output is the message)."""
        result = self.runner.invoke(main, list(args))
        if ok:
            assert result.exit_code == 0, result.output
        return result

    def key(self, name: str) -> str:
        return str(self.keys / f"{name.replace('/', '_')}.key")

    @property
    def log_key(self) -> str:
        return str(self.media.log_key)

    def root_key(self, n: int) -> str:
        """Root holder ``n``'s key, on that holder's own medium."""
        return str(self.media.root_key(n))

    def dept_key(self, dept: str) -> str:
        return self.key(f"scjg.test.example/gongkai/dept/{dept}/1")

    def site(self, *args: str, dept: str | None = None, ok: bool = True) -> Result:
        """Run a ledger command on this site with the log key (and ``dept``'s key)."""
        extra = ["--site", str(self.root), "--log-key", self.log_key]
        if dept is not None:
            extra += ["--key", self.dept_key(dept)]
        return self.run(*args, *extra, ok=ok)

    def multi(self, *args: str, depts: tuple[str, ...], ok: bool = True) -> Result:
        """Run a ledger command that takes one ``--key dept=path`` per department (honest for
        one department only: a joint task goes through :meth:`jointly`)."""
        keys = [a for d in depts for a in ("--key", f"{d}={self.dept_key(d)}")]
        return self.site(*args, *keys, ok=ok)

    def office_secrets(self, dept: str) -> Path:
        """The directory where ``dept`` keeps its own draw secrets."""
        return self.secrets / dept

    def jointly(
        self, kind: str, task: str, at: str, depts: tuple[str, ...], *args: str, ok: bool = True
    ) -> Result:
        """``request announce`` (``args``: ``--round …``) or ``request confirm`` (``--forms
        DIR``) as separate offices do it (docs/signing.md): each department commits (announce)
        and signs with only its own key and secrets; the lead prepares and appends."""
        work = self.root.parent / "requests" / f"{task}.{kind}"
        work.mkdir(parents=True, exist_ok=True)
        extra: list[str] = []
        if kind == "announce":
            for d in depts:
                self.run("draw", "commit", task, "--dept", d, "--secrets",
                         str(self.office_secrets(d)), "--out", str(work / f"{d}.commitment"))  # fmt: skip
            extra = ["--commitments", str(work)]
        request = work / "request.json"
        prepared = self.run("request", kind, task, *args, *extra, "--out", str(request),
                            "--site", str(self.root), "--at", at, ok=ok)  # fmt: skip
        if prepared.exit_code != 0:
            return prepared
        for d in depts:
            self.run("sign", str(request), "--key", self.dept_key(d), "--ledger",
                     str(self.root / "draws"), "--secrets", str(self.office_secrets(d)),
                     "--out", str(work), "--at", at)  # fmt: skip
        return self.site("request", "append", str(request), "--signatures", str(work),
                         "--at", at, ok=ok)  # fmt: skip


def new_site(tmp: Path, name: str = "测试县“双随机、一公开”公示") -> Site:
    """``gongkai init`` a site under ``tmp`` (dated 2024-01-02), copy the mini content files
    into it, check it, make and register keys for departments scjg and wsjk, and publish their
    checklists (version 1)."""
    s = Site(tmp)
    ceremony(s.run, s.root, s.media, ["--name", name, "--region-code", "620823",
             "--region-name", "甘肃省平凉市崇信县", "--base-url", "https://scjg.test.example/gongkai/"],
             "2024-01-02")  # fmt: skip
    for rel in CONTENT_FILES:
        shutil.copy(MINI / rel, s.content / rel)
    assert "检查通过" in s.run("check", "--content", str(s.content)).output
    for dept in ("scjg", "wsjk"):
        s.run("keys", "new", "--content", str(s.content), "--dept", dept, "--out", str(s.keys))
        register(s.run, s.root, s.media, dept, Path(s.dept_key(dept)), "2024-01-03")
    # Plans and draws may use only published checklists (docs/workflow.md §8.2).
    for dept in ("scjg", "wsjk"):
        s.site("checklist", "publish", "--dept", dept, "--at", "2024-01-03", dept=dept)
    # Draws are derived from the published libraries (docs/workflow.md §9).
    for kind in ("entities", "inspectors"):
        s.site("library", "publish", kind, "--dept", "scjg", "--at", "2024-01-03", dept="scjg")
    return s


def confirm_joint(
    s: Site, forms: Path | None = None, before_confirm: Callable[[], object] | None = None
) -> Path:
    """Publish the plan, invite wsjk (which accepts), draw the joint task, run
    ``before_confirm`` (e.g. a replacement) and confirm its list; return the folder of the result
    forms (``forms``, default ``<tmp>/forms``; ``<folder>/<task>/<dept>.xlsx``)."""
    s.site("plan", "publish", "2024", "--at", "2024-01-10", dept="scjg")
    s.site("task", "invite", TASK, "--at", "2024-01-15", dept="scjg")
    s.site("task", "reply", TASK, "--dept", "wsjk", "--accept", "--at", "2024-01-18", dept="wsjk")
    both = ("scjg", "wsjk")
    s.jointly("announce", TASK, "2024-02-22T10:00:00+08:00", both, "--round", "5358915")
    for dept in both:
        s.site("draw", "reveal", TASK, "--dept", dept, "--secrets", str(s.office_secrets(dept)),
               "--at", "2024-02-23", dept=dept)  # fmt: skip
    s.site("draw", "beacon", TASK, "--signature", SIG, "--at", "2024-02-26", dept="scjg")
    s.site("draw", "run", TASK, "--at", "2024-02-26T10:00:00+08:00", dept="scjg")
    if before_confirm is not None:
        before_confirm()
    forms = forms if forms is not None else s.root.parent / "forms"
    s.jointly("confirm", TASK, "2024-02-27", both, "--forms", str(forms))
    return forms


def fill_row(form: Path, row: int, values: dict[str, object]) -> str:
    """Fill one row of a result-entry form; return the row's entity code."""
    from generator.workflow import forms

    wb = openpyxl.load_workbook(form)
    sheet = wb[forms.RESULT_SHEET]
    header = [c.value for c in sheet[1]]
    for column, value in values.items():
        sheet.cell(row=row, column=header.index(column) + 1).value = value
    wb.save(form)
    return str(sheet.cell(row=row, column=header.index(forms.COL_CODE) + 1).value)
