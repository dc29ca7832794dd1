"""A site repository as the workflow sees it: content, ledger, keys and the acting time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from generator.content.loader import load_content
from generator.content.model import Content
from generator.drafting import EntryDrafted, drafting
from generator.errors import OptionError as OptionError  # re-exported: older imports
from generator.errors import WorkflowError as WorkflowError
from generator.keynames import dept_key_name
from generator.ledgerops import (
    LedgerState,
    add_trust_log_keys,
    open_store,
    read_trust,
    registry_validator,
    replay_store,
)
from generator.timestamping import stamp_appended
from ledger.checkpoint import Checkpoint
from ledger.entries import parse_entry
from ledger.errors import StoreError, UnverifiableError, VerificationError
from ledger.examplekeys import (
    example_signer,
    example_tsas,
    refuse_example_key,
    refuse_example_ledger,
    refuse_example_tsa,
)
from ledger.keys import read_private_key
from ledger.note import Signer
from ledger.registry import TrustAnchor
from ledger.store import LedgerStore


def format_ts(when: dt.datetime) -> str:
    """``when`` as the ledger's UTC timestamp ``YYYY-MM-DDTHH:MM:SSZ``."""
    if when.tzinfo is None:
        raise WorkflowError("时间必须带时区，例如 2024-02-22T10:00:00+08:00")
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


#: Earliest acting time accepted (the programme began in 2015; older ledgers do not exist).
EARLIEST_AT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
#: Latest reporting date accepted by ``status``/``metrics`` (``allow_future=True``).
LATEST_AT = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
#: How far a signing time may lie ahead of this computer's clock (a date alone means 09:00 China
#: time, which may still be ahead in the early morning).
CLOCK_SKEW = dt.timedelta(days=1)
_CHINA = dt.timezone(dt.timedelta(hours=8))


def parse_at(text: str | None, *, allow_future: bool = False) -> str:
    """The acting time: ``--at`` (ISO 8601 with a zone, or a date meaning 09:00 China time) or now.

    The time must lie in [2000-01-01, now + 1 day] (with ``allow_future``: before 2100-01-01):
    a signing time in the future would make every later entry look earlier than it.

    Raises:
        WorkflowError: if the text is not a valid time or is out of range.
    """
    now = dt.datetime.now(dt.UTC)
    if text is None:
        return format_ts(now)
    shown = text if len(text) <= 40 else text[:37] + "…"
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            when = dt.datetime(day.year, day.month, day.day, 9, tzinfo=_CHINA)
        else:
            when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        if when.tzinfo is None:
            raise WorkflowError(f"时间“{shown}”缺少时区，例如 2024-02-22T10:00:00+08:00")
    except ValueError:
        raise WorkflowError(
            f"无法识别的时间“{shown}”；应为 2024-02-22 或 2024-02-22T10:00:00+08:00"
        ) from None
    latest = LATEST_AT if allow_future else now + CLOCK_SKEW
    if not EARLIEST_AT <= when <= latest:  # aware comparisons never overflow
        bound = "2100 年以前" if allow_future else "当前时间（不能签署将来的时间）"
        raise WorkflowError(f"时间“{shown}”超出范围：应在 2000-01-01 到{bound}之间")
    return format_ts(when)


@dataclass
class SiteRepo:
    """``content/`` and ``draws/`` of one site, loaded and verified."""

    root: Path
    content: Content
    trust: TrustAnchor
    store: LedgerStore
    recovered: tuple[str, ...] = ()
    _state: LedgerState | None = field(default=None, repr=False)
    _state_generation: int = field(default=-1, repr=False)

    @classmethod
    def open(cls, root: Path, notify: Callable[[str], None] | None = None) -> SiteRepo:
        """Load ``root/content`` and ``root/draws``; finish or undo an interrupted append.

        Every command that opens a site is a potential writer, so it repairs the ledger
        directory before anything else (docs/ledger.md §12.6): an append interrupted by a crash
        is rolled forward (its checkpoint was signed before anything was written) or back.
        No key is needed. Each repair is reported through ``notify`` and kept in ``recovered``.

        Raises:
            ContentError: if the content has errors; ExampleKeyError if the ledger is signed with
                the public example keys, or its anchor names the example time-stamping
                authority, but the site is not an example; LedgerError if the
                ledger is unusable (FatalStoreError, exit code 7, if it is corrupt: nothing is
                then modified).
        """
        content, _ = load_content(root / "content")
        draws = root / "draws"
        trust = read_trust(draws)
        if trust.origin != content.site.ledger_origin:
            raise StoreError(
                f"draws/trust.txt 的 origin {trust.origin} 与 gongkai.yaml 的 ledger_origin 不符"
            )
        refuse_example_ledger((*trust.roots, *trust.log_keys), example_site=content.site.example)
        refuse_example_tsa(example_tsas(draws, trust.tsas), example_site=content.site.example)
        store = open_store(draws, trust)
        recovery = store.recover(lock_timeout=10.0)  # a reader waits for a writer to finish
        for action in recovery.actions:
            if notify is not None:
                notify(action)
        return cls(root, content, trust, store, recovery.actions)

    @property
    def draws(self) -> Path:
        """The ledger directory."""
        return self.root / "draws"

    def state(self) -> LedgerState:
        """The verified store replayed: keys and task progress.

        Replayed once and reused while the store's ``generation`` is unchanged: any write
        through the store (an append, a recovery) makes the next call replay again, so nothing
        shown after an append is derived from the ledger before it. (The append itself replays
        again under the writer's lock, so a concurrent writer cannot slip past.)
        """
        if self._state is None or self._state_generation != self.store.generation:
            generation = self.store.generation
            self.store.read_state()
            self._state = replay_store(self.store, self.trust)
            self._state_generation = generation
        return self._state

    def signer(self, dept: str, key_path: Path | None) -> Signer:
        """The acting department's signer.

        Uses ``key_path`` when given; on an example site without a key file, the public example
        key of the department. A real site always needs a key file. In drafting mode
        (:mod:`generator.drafting`) no key is read: a throwaway key stands in, never registered,
        whose signature :meth:`append` discards (``gongkai sign`` checks the key that signs the
        request).

        Raises:
            OptionError: if no key file is given on a real site.
            ExampleKeyError: if the key file holds a public example key on a real site.
            WorkflowError: if the key is not this department's.
        """
        if dept not in {d.id for d in self.content.departments}:
            raise WorkflowError(f"未知部门“{dept}”")
        if drafting():
            return Signer.generate(dept_key_name(self.trust.origin, dept))
        if key_path is not None:
            signer = read_private_key(key_path)
            refuse_example_key(signer.verifier(), example_site=self.content.site.example)
        elif self.content.site.example:
            signer = example_signer(dept_key_name(self.trust.origin, dept))
        else:
            raise OptionError(f"缺少选项 --key：请用 --key 指定部门“{dept}”的私钥文件")
        record = self.state().registry.keys.get(signer.verifier().key_ref)
        if record is None or record.dept != dept or record.revoked_at is not None:
            raise WorkflowError(
                f"密钥 {signer.verifier().key_ref} 不是部门“{dept}”在账本中登记的有效密钥"
            )
        return signer

    def scoped_signer(
        self, dept: str, key_path: Path | None, entry_type: str, guide: str
    ) -> Signer:
        """:meth:`signer`, whose key must also have ``entry_type`` among the scopes it was
        registered with (a key registered before the type existed lacks it). In drafting mode
        the stand-in key has no scopes: ``gongkai sign`` checks those of the key that signs.

        Raises:
            OptionError / ExampleKeyError / WorkflowError: as :meth:`signer`.
            WorkflowError: if the key's scopes lack ``entry_type``; the message points to
                ``guide``, the section that says how to register a new key.
        """
        signer = self.signer(dept, key_path)
        key_ref = signer.verifier().key_ref
        if not drafting() and entry_type not in self.state().registry.keys[key_ref].scopes:
            raise WorkflowError(
                f"部门“{dept}”的密钥 {key_ref} 登记时的签署范围不含 {entry_type}："
                f"请用 gongkai keys new / keys register 为本部门登记新密钥（{guide}）"
            )
        return signer

    def log_signer(self, key_path: Path | None) -> Signer:
        """The log (checkpoint) key: ``key_path``, or the example log key on an example site.

        Raises:
            OptionError: if no key file is given on a real site.
            ExampleKeyError: if the key file holds a public example key on a real site.
            WorkflowError: if it is not a log key of trust.txt, or no longer a current one
                (replaced by a ``logkey.rotate``, docs/ledger.md §13.3).
        """
        if drafting():  # nothing is appended: the request is appended later, with the log key
            return Signer.generate(self.trust.origin)
        if key_path is not None:
            signer = read_private_key(key_path)
            refuse_example_key(signer.verifier(), example_site=self.content.site.example)
        elif self.content.site.example:
            signer = example_signer(self.trust.origin)
        else:
            raise OptionError(
                "缺少选项 --log-key：请用 --log-key 指定日志密钥文件（或设置 GONGKAI_LOG_KEY）"
            )
        if signer.verifier() not in self.trust.log_keys:
            if signer.verifier() not in self.state().registry.log_keys:
                raise WorkflowError("日志密钥与 draws/trust.txt 不符")
            # The verified ledger's logkey.rotate (signed by the roots) names this key, but an
            # interrupted request append did not rewrite trust.txt: finish it (docs/signing.md §9.3).
            self.trust = add_trust_log_keys(self.draws, self.trust, [signer.verifier()])
            self.store = open_store(self.draws, self.trust)
        # trust.txt lists more than one log key only once a logkey.rotate added one
        # (docs/signing.md §9.3): then the key must be one of the current set.
        if len(self.trust.log_keys) > 1 and signer.verifier() not in (
            self.state().registry.log_keys
        ):
            raise WorkflowError(
                f"日志密钥 {signer.verifier().key_ref} 已被 logkey.rotate 替换，"
                "请用账本当前的日志密钥签署检查点"
            )
        return signer

    def append(
        self,
        lines: list[bytes],
        log_signer: Signer,
        blobs: Sequence[bytes] = (),
        also: Sequence[Signer] = (),
    ) -> Checkpoint:
        """Append entries, and the blobs they reference, after replaying keys and tasks.

        One transaction (docs/ledger.md §12.4): if an entry is refused, nothing is written,
        not even the blobs. ``also`` are further log keys that sign the new checkpoint (the new
        keys of a ``logkey.rotate``).

        In drafting mode (:mod:`generator.drafting`) nothing is appended: the entry's body and
        blobs are raised as :class:`generator.drafting.EntryDrafted`.

        Raises:
            WorkflowError: with the verifier's reason if an entry would be rejected; in drafting
                mode, if there is more than one entry (a request holds one).
            EntryDrafted: in drafting mode, always.
        """
        if drafting():
            if len(lines) != 1:
                raise WorkflowError(
                    f"此操作一次写入 {len(lines)} 条条目，签署申请只能包含一条；请用 --key 直接签署"
                )
            raise EntryDrafted(self.store, self.trust, parse_entry(lines[0]).body, blobs)
        try:
            checkpoint = self.store.append(
                lines, [log_signer, *also], registry_validator(self.store, self.trust), blobs
            )
        except UnverifiableError:
            raise  # the check could not run (a missing library or blob): not a refusal
        except VerificationError as exc:
            raise WorkflowError(str(exc)) from exc
        # RFC 3161 tokens on the new checkpoint (docs/ledger.md §15.5).
        stamp_appended(self.draws, checkpoint.size, self.content.site, self.trust, lines)
        return checkpoint
