"""The generator's own error family: a refused staff action and a bad value the user gave.

Content problems are :class:`generator.content.errors.ContentError` (exit code 10); ledger
problems are :class:`ledger.errors.LedgerError` (their own codes). Everything else a user can
cause in the generator is one of the two classes below, raised by library code (never
``click``) and turned into a Chinese message and an exit code in one place,
:func:`generator.cli_errors.handle_errors` (the table of codes is in README, “退出码”).
"""

from __future__ import annotations

__all__ = ["BundleError", "OptionError", "SigningError", "WorkflowError"]


class WorkflowError(Exception):
    """A staff action was refused; the message says why. Nothing was appended (exit code 11)."""

    exit_code = 11


class OptionError(WorkflowError):
    """A value the command needs was not given or is malformed (a key file, ``--accept``, an
    unknown ``--dept``): a usage error rather than a refusal by the workflow (exit code 2).
    Nothing was written."""

    exit_code = 2


class SigningError(WorkflowError):
    """A signing request cannot be signed or appended: it is expired, does not match the
    signer's view of the ledger, or a department's signature is missing (exit code 14,
    ``docs/signing.md``). Nothing was written."""

    exit_code = 14


class BundleError(WorkflowError):
    """An inspector's enrolment file or signed result bundle is refused: altered after signing,
    signed by a key that is not enrolled, revoked or of an inspector outside the business's
    team, or not in the documented format (exit code 15, ``docs/mobile.md``). Nothing was
    appended."""

    exit_code = 15
