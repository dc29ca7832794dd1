"""Drafting: a single-department command prepares its entry for signing elsewhere instead of
signing it here (``docs/signing.md`` §11).

Every ``gongkai`` command that writes one entry signed by one department obtains that
department's signer from :meth:`generator.workflow.site.SiteRepo.signer` and hands the signed
line to :meth:`generator.workflow.site.SiteRepo.append`. :func:`draft` runs such a command with
the site in *drafting mode*: ``signer`` then reads no key and returns a throwaway key that is
never registered (its signature is discarded), and ``append`` does not append but raises
:class:`EntryDrafted` with the entry's body and blobs, before anything is written. The caller
turns that body into an unsigned signing request (:func:`generator.signing.prepare_on`), which
the department signs on its own machine with ``gongkai sign``. The command's own checks all
run as they do when it signs, so a request is only prepared for an entry the command would
have appended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from generator.errors import WorkflowError

if TYPE_CHECKING:
    from ledger.registry import TrustAnchor
    from ledger.store import LedgerStore

__all__ = ["EntryDrafted", "draft", "drafting"]

_DRAFTING: ContextVar[bool] = ContextVar("gongkai_drafting", default=False)


class EntryDrafted(BaseException):
    """The entry a command would have appended, raised by ``SiteRepo.append`` in drafting mode.

    A ``BaseException`` on purpose: it must pass every ``except Exception`` between the append
    and :func:`draft` (the command's error mapping above all), so that nothing the command does
    after an append runs as if the entry had been appended.
    """

    def __init__(
        self,
        store: LedgerStore,
        trust: TrustAnchor,
        body: Mapping[str, Any],
        blobs: Sequence[bytes],
    ) -> None:
        super().__init__(body.get("id"))
        self.store, self.trust, self.body, self.blobs = store, trust, body, tuple(blobs)


def drafting() -> bool:
    """Whether the current call runs inside :func:`draft`."""
    return _DRAFTING.get()


@contextmanager
def _mode() -> Iterator[None]:
    token = _DRAFTING.set(True)
    try:
        yield
    finally:
        _DRAFTING.reset(token)


def draft(run: Callable[[], object]) -> EntryDrafted:
    """Run ``run`` (a command that appends one entry) in drafting mode; return its entry.

    Raises:
        WorkflowError: if ``run`` returns without appending (nothing to sign); whatever ``run``
            raises otherwise (its refusals, exactly as when it signs).
    """
    with _mode():
        try:
            run()
        except EntryDrafted as drafted:
            return drafted
    raise WorkflowError("此操作没有要写入账本的条目，未生成签署申请")
