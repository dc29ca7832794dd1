"""The example year's multi-department steps, office by office (``docs/signing.md``).

:class:`OfficeYear` plays :class:`generator.example.year.Year` but routes every step that needs
more than one department — the announcement of a joint draw, each department's reveal, the
confirmation — and every statement of one department other than the operator (the plan's
organiser, 市场监管局, who runs the site: replies, the draws other departments lead, their
follow-ups and 抄告; ``--request``, ``docs/signing.md`` §11; their result imports, from
forms and from phone bundles, as batch requests, §13) through separate office directories, as
separate offices would: each office holds only its own key file and its own draw secret, and a
copy of the published ledger it synchronises before signing; only commitment, request and
signature files travel to the lead, who appends. The lead's process signs only as the
operator. The keys are the public example keys and the secrets the public example secrets
(:func:`generator.workflow.drawing.department_secret`), so the entries, and the example ledger,
are byte for byte those of the one-process example: a test compares them.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main
from generator.content.loader import load_content
from generator.content.model import Content
from generator.drawsecret import secret_path
from generator.example.keys import dept_key_name, example_signer
from generator.example.year import Year, build_year
from ledger.keys import write_private_key

#: The announce/reveal/confirm arguments Year passes: (command, subcommand).
_ROUTED = {("draw", "announce"), ("draw", "reveal"), ("task", "confirm")}
#: The commands that append one statement of one department (``--request``, docs/signing.md
#: §11): the lead prepares each as a request, the department signs it in its office.
_STATEMENTS = {
    ("checklist", "publish"), ("library", "publish"), ("vocabulary", "publish"), ("plan", "publish"), ("task", "invite"), ("task", "reply"),
    ("draw", "beacon"), ("draw", "run"), ("draw", "replace"), ("followup", "record"),
    ("followup", "close"), ("case", "open"), ("case", "progress"), ("case", "close"),
    ("notice", "copy"), ("notice", "ack"), ("inspector", "enroll"), ("inspector", "revoke"),
}  # fmt: skip


def _option(args: tuple[str, ...], name: str) -> str:
    return args[args.index(name) + 1]


class OfficeYear(Year):
    """The example year with one directory per department under ``<forms_dir>/../offices``."""

    def __init__(self, site: Path, forms_dir: Path) -> None:
        super().__init__(site, forms_dir)
        self.offices = forms_dir.parent / "offices"
        self.lead_dir = self.offices / "lead"

    # -- the offices --------------------------------------------------------------------------

    def office(self, dept: str) -> Path:
        """``dept``'s office: ``key`` (its own private key only), ``secrets/``, ``ledger/``."""
        return self.offices / f"office-{dept}"

    def key(self, dept: str) -> Path:
        return self.office(dept) / "key"

    def _open_office(self, dept: str) -> None:
        if self.office(dept).exists():
            return
        self.office(dept).mkdir(parents=True)
        origin = self._origin()
        write_private_key(self.key(dept), example_signer(dept_key_name(origin, dept)))

    @functools.cached_property
    def content(self) -> Content:
        """The site's content (loaded once: the year does not change it)."""
        content, _ = load_content(self.site / "content")
        return content

    def _origin(self) -> str:
        return self.content.site.ledger_origin

    @property
    def operator(self) -> str:
        """The department that runs the site and appends: the plan's organiser (市场监管局)."""
        return self.content.plans[0].organiser

    def _signing_dept(self, args: tuple[str, ...]) -> str:
        """The department a single-department command signs for: its ``--dept``, else the
        plan's organiser (``plan publish``) or the task's lead."""
        if "--dept" in args:
            return _option(args, "--dept")
        if args[:2] == ("plan", "publish"):
            return self.operator
        (task,) = [t for p in self.content.plans for t in p.tasks if t.id == args[2]]
        return task.lead

    def sync(self, dept: str) -> Path:
        """A fresh copy of the published ledger in ``dept``'s office (as a download would); kept
        as it is while the site's signed checkpoint is the copy's (nothing new to download)."""
        copy = self.office(dept) / "ledger"
        if copy.exists():
            if (copy / "checkpoint").read_bytes() == (
                self.site / "draws" / "checkpoint"
            ).read_bytes():
                return copy
            shutil.rmtree(copy)
        shutil.copytree(self.site / "draws", copy, ignore=shutil.ignore_patterns("LOCK"))
        return copy

    def cli(self, *args: str) -> str:
        """A ``gongkai`` command run in an office (no site); any failure stops the script."""
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
        if result.exit_code != 0:
            raise SystemExit(f"gongkai {' '.join(args)} 失败：\n{result.output}")
        return result.output

    # -- routing --------------------------------------------------------------------------------

    def gk(self, *args: str) -> str:
        """Run a step; announce, reveal, confirm and every statement or result import of a
        department other than the operator go through the offices."""
        if tuple(args[:2]) in _STATEMENTS and self._signing_dept(args) != self.operator:
            return self.statement(*args)
        if tuple(args[:2]) == ("results", "import") and _option(args, "--dept") != self.operator:
            return self.batch(*args)
        if tuple(args[:2]) not in _ROUTED:
            return super().gk(*args)
        task_id, at = args[2], _option(args, "--at")
        if args[:2] == ("draw", "announce"):
            return self.announce(task_id, _option(args, "--round"), at)
        if args[:2] == ("draw", "reveal"):
            return self.reveal(task_id, _option(args, "--dept"), at)
        return self.confirm(task_id, _option(args, "--out"), at)

    def statement(self, *args: str) -> str:
        """The lead prepares the statement as a request (no key read), the department it names
        signs it in its office with only its own key, and the lead appends it."""
        requests = self.lead_dir / "requests"
        requests.mkdir(parents=True, exist_ok=True)
        request = requests / f"{len(list(requests.glob('*.json'))):04d}.{args[0]}.{args[1]}.json"
        super().gk(*args, "--request", str(request))
        (dept,) = json.loads(request.read_bytes())["signers"]
        assert dept == self._signing_dept(args), (dept, args)
        self._open_office(dept)
        return self._signed_by(request, [dept], _option(args, "--at"))

    def batch(self, *args: str) -> str:
        """A result import of a department other than the operator: the lead prepares every
        entry it would append as one batch request (``docs/signing.md`` §13), the department
        signs them all in its office with only its own key, and the lead appends them."""
        batches = self.lead_dir / "batches"
        batches.mkdir(parents=True, exist_ok=True)
        request = batches / f"{len(list(batches.glob('*.json'))):04d}.results.json"
        dept, at = _option(args, "--dept"), _option(args, "--at")
        super().gk(*args, "--request", str(request))
        assert json.loads(request.read_bytes())["signers"] == [dept], (request, args)
        self._open_office(dept)
        outbox = self.office(dept) / "outbox"
        self.cli("sign", str(request), "--key", str(self.key(dept)), "--ledger",
                 str(self.sync(dept)), "--out", str(outbox), "--at", at)  # fmt: skip
        inbox = self.lead_dir / "signatures" / request.stem
        inbox.mkdir(parents=True)
        sigs = outbox / f"{request.stem}.{dept}.sigs"
        shutil.copyfile(sigs, inbox / sigs.name)
        return super().gk("request", "append", str(request), "--signatures", str(inbox), "--at", at)

    def _participants_of(self, task_id: str) -> list[str]:
        (task,) = [t for p in self.content.plans for t in p.tasks if t.id == task_id]
        return self._participants(task)

    def announce(self, task_id: str, round_: str, at: str) -> str:
        """Each participant commits with its own secret; the lead prepares; each signs."""
        commitments = self.lead_dir / "commitments" / task_id
        commitments.mkdir(parents=True)
        depts = self._participants_of(task_id)
        for dept in depts:
            self._open_office(dept)
            self._example_secret(task_id, dept)
            self.cli("draw", "commit", task_id, "--dept", dept, "--secrets",
                     str(self.office(dept) / "secrets"),
                     "--out", str(commitments / f"{dept}.commitment"))  # fmt: skip
        request = self.lead_dir / f"{task_id}.announce.json"
        super().gk("request", "announce", task_id, "--round", round_, "--commitments",
                   str(commitments), "--out", str(request), "--at", at)  # fmt: skip
        return self._signed_by(request, depts, at)

    def _example_secret(self, task_id: str, dept: str) -> None:
        """Put the public example secret where ``draw commit`` finds (and keeps) it."""
        from generator.workflow.drawing import department_secret
        from generator.workflow.site import SiteRepo

        repo = SiteRepo.open(self.site)
        secret = department_secret(repo, task_id, dept, self.offices, create=False)
        path = secret_path(self.office(dept) / "secrets", task_id, dept)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secret.hex() + "\n", encoding="ascii")
        path.chmod(0o600)

    def _signed_by(self, request: Path, depts: list[str], at: str) -> str:
        inbox = self.lead_dir / "signatures" / request.stem
        inbox.mkdir(parents=True)
        for dept in depts:
            outbox = self.office(dept) / "outbox"
            secrets = ["--secrets", str(self.office(dept) / "secrets")]
            self.cli("sign", str(request), "--key", str(self.key(dept)), "--ledger",
                     str(self.sync(dept)), *secrets, "--out", str(outbox), "--at", at)  # fmt: skip
            sig = outbox / f"{request.stem}.{dept}.sig"
            shutil.copyfile(sig, inbox / sig.name)
        return super().gk("request", "append", str(request), "--signatures", str(inbox), "--at", at)

    def reveal(self, task_id: str, dept: str, at: str) -> str:
        """``dept`` reveals on its own machine; the lead appends the two files."""
        outbox = self.office(dept) / "outbox"
        self.cli("draw", "reveal", task_id, "--dept", dept, "--key", str(self.key(dept)),
                 "--secrets", str(self.office(dept) / "secrets"), "--ledger", str(self.sync(dept)),
                 "--out", str(outbox), "--at", at)  # fmt: skip
        inbox = self.lead_dir / "reveals" / f"{task_id}.{dept}"
        inbox.mkdir(parents=True)
        for sent in outbox.glob(f"{task_id}.reveal.{dept}.*"):
            shutil.copyfile(sent, inbox / sent.name)
        request = inbox / f"{task_id}.reveal.{dept}.json"
        return super().gk("request", "append", str(request), "--signatures", str(inbox), "--at", at)

    def confirm(self, task_id: str, forms_dir: str, at: str) -> str:
        """The lead prepares the confirmation (and every department's form); each signs."""
        request = self.lead_dir / f"{task_id}.confirm.json"
        super().gk("request", "confirm", task_id, "--forms", forms_dir, "--out", str(request),
                   "--at", at)  # fmt: skip
        depts = self._participants_of(task_id)
        for dept in depts:
            self._open_office(dept)
        return self._signed_by(request, depts, at)


def build_year_by_offices(content_dir: Path, draws: Path, work: Path | None = None) -> None:
    """Rebuild ``draws`` from ``content_dir`` and play the year office by office (``draws`` is
    replaced); the same bytes as :func:`generator.example.year.build_year`. ``work`` keeps the
    site, forms and offices (a temporary directory when ``None``)."""
    build_year(content_dir, draws, OfficeYear, work)


def main_() -> None:
    """Command-line entry point: ``python -m generator.example.offices``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--content", type=Path, default=Path("content"))
    parser.add_argument("--draws", type=Path, default=Path("draws"))
    args = parser.parse_args()
    build_year_by_offices(args.content, args.draws)


__all__ = ["OfficeYear", "build_year_by_offices"]


if __name__ == "__main__":
    main_()
