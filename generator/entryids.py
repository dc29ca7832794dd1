"""The entry ids ``gongkai`` writes, and how long a task id and a department id may be together.

Every id form of docs/workflow.md §2 is built here and nowhere else, so the bound below is
computed from the forms themselves (docs/ledger.md §14.6): an entry id is at most
:data:`MAX_ENTRY_ID` characters (the grammar of docs/ledger.md §13.1), and the longest form,
``followup.record/<task>/<dept>/<entity>/<ts>``, leaves :data:`TASK_DEPT_BUDGET` characters for
the task id and the department id together. ``gongkai check`` refuses a plan task whose id and
one of its departments' ids exceed it (:func:`over_budget`), so no writer ever meets an id the
ledger would refuse.
"""

from __future__ import annotations

from typing import Final

from ledger.checkpoint import MAX_TREE_SIZE

#: ``^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$`` (ledger/entries.py): 128 characters at most.
MAX_ENTRY_ID: Final = 128
#: An entity id is a 统一社会信用代码 (18 characters) or a 注册号 (15 digits), docs/content.md §4.
ENTITY_ID_MAX: Final = 18
#: A ``ts`` is ``YYYY-MM-DDTHH:MM:SSZ`` (docs/ledger.md §13.1).
TS_EXAMPLE: Final = "2000-01-01T00:00:00Z"


def plan_publish(plan: str, version: int = 1) -> str:
    """``plan.publish/<plan>``; a later version ``plan.publish/<plan>/v<n>``."""
    return f"plan.publish/{plan}" if version == 1 else f"plan.publish/{plan}/v{version}"


def checklist_publish(dept: str, version: int) -> str:
    """``checklist.publish/<dept>/v<n>``."""
    return f"checklist.publish/{dept}/v{version}"


def vocabulary_publish(dept: str, version: int) -> str:
    """``vocabulary.publish/<dept>/v<n>``."""
    return f"vocabulary.publish/{dept}/v{version}"


def library_publish(library: str, version: int) -> str:
    """``library.publish/<entities|inspectors>/v<n>``."""
    return f"library.publish/{library}/v{version}"


def task_invite(task: str) -> str:
    """``task.invite/<task>``."""
    return f"task.invite/{task}"


def task_reply(task: str, dept: str) -> str:
    """``task.reply/<task>/<dept>``."""
    return f"task.reply/{task}/{dept}"


def draw_announce(task: str) -> str:
    """``draw.announce/<task>``."""
    return f"draw.announce/{task}"


def draw_reveal(task: str, dept: str) -> str:
    """``draw.reveal/<task>/<dept>``."""
    return f"draw.reveal/{task}/{dept}"


def draw_beacon(task: str) -> str:
    """``draw.beacon/<task>``."""
    return f"draw.beacon/{task}"


def draw_result(task: str) -> str:
    """``draw.result/<task>``."""
    return f"draw.result/{task}"


def draw_replace(task: str, n: int) -> str:
    """``draw.replace/<task>/<n>``: ``n`` = 1 for the task's first replacement (§14.6)."""
    return f"draw.replace/{task}/{n}"


def task_confirm(task: str) -> str:
    """``task.confirm/<task>``."""
    return f"task.confirm/{task}"


def result_publish(task: str, dept: str, entity: str) -> str:
    """``result.publish/<task>/<dept>/<entity>``."""
    return f"result.publish/{task}/{dept}/{entity}"


def result_correct(task: str, dept: str, entity: str, refers: int) -> str:
    """``result.correct/<task>/<dept>/<entity>/<index of the version corrected>``."""
    return f"result.correct/{task}/{dept}/{entity}/{refers}"


def followup(task: str, dept: str, entity: str, ts: str, *, close: bool) -> str:
    """``followup.record/…`` or ``followup.close/<task>/<dept>/<entity>/<ts>``."""
    return f"followup.{'close' if close else 'record'}/{task}/{dept}/{entity}/{ts}"


def case_open(task: str, source_dept: str, entity: str, ts: str) -> str:
    """``case.open/<task>/<inspecting dept>/<entity>/<ts>``: the inspecting department's id,
    a department of the task, keeps the form within :data:`TASK_DEPT_BUDGET` (the handling
    department, which signs, is in the body)."""
    return f"case.open/{task}/{source_dept}/{entity}/{ts}"


def case_progress(case_index: int, ts: str) -> str:
    """``case.progress/<log index of the case.open>/<ts>``."""
    return f"case.progress/{case_index}/{ts}"


def case_close(case_index: int) -> str:
    """``case.close/<log index of the case.open>``: a case closes once."""
    return f"case.close/{case_index}"


def notice_copy(task: str, dept: str, entity: str, ts: str) -> str:
    """``notice.copy/<task>/<sending dept>/<entity>/<ts>`` (the addressee is in the body)."""
    return f"notice.copy/{task}/{dept}/{entity}/{ts}"


def notice_ack(notice_index: int) -> str:
    """``notice.ack/<log index of the notice.copy>``: a notice is acknowledged once."""
    return f"notice.ack/{notice_index}"


def key_add(dept: str, key_id: int) -> str:
    """``key.add/<dept>/<key ID as 8 hex digits>``."""
    return f"key.add/{dept}/{key_id:08x}"


def key_revoke(dept: str, key_id: int) -> str:
    """``key.revoke/<dept>/<key ID as 8 hex digits>``: a key is revoked once."""
    return f"key.revoke/{dept}/{key_id:08x}"


def root_update(ts: str) -> str:
    """``root.update/<ts>``."""
    return f"root.update/{ts}"


def logkey_rotate(ts: str) -> str:
    """``logkey.rotate/<ts>``."""
    return f"logkey.rotate/{ts}"


def inspector_enrol(dept: str, key_id: int) -> str:
    """``inspector.enrol/<dept>/<key ID of the inspector key as 8 hex digits>``."""
    return f"inspector.enrol/{dept}/{key_id:08x}"


def inspector_revoke(dept: str, key_id: int) -> str:
    """``inspector.revoke/<dept>/<key ID of the revoked inspector key as 8 hex digits>``."""
    return f"inspector.revoke/{dept}/{key_id:08x}"


def _longest_without_task_and_dept() -> int:
    """The characters of the longest form that embeds both a task and a department id, the
    other parts at their longest (an entity of 18 characters, a log index of 19 digits)."""
    entity, index = "X" * ENTITY_ID_MAX, MAX_TREE_SIZE - 1
    forms = (
        task_reply("", ""),
        draw_reveal("", ""),
        result_publish("", "", entity),
        result_correct("", "", entity, index),
        followup("", "", entity, TS_EXAMPLE, close=False),
        followup("", "", entity, TS_EXAMPLE, close=True),
        case_open("", "", entity, TS_EXAMPLE),
        notice_copy("", "", entity, TS_EXAMPLE),
    )
    return max(len(f) for f in forms)


#: 128 − 57 = 71: a task id and a department id of the same task together.
TASK_DEPT_BUDGET: Final = MAX_ENTRY_ID - _longest_without_task_and_dept()


def over_budget(task: str, dept: str) -> int:
    """How many characters ``task`` and ``dept`` together exceed :data:`TASK_DEPT_BUDGET` by
    (0 when they fit)."""
    return max(0, len(task) + len(dept) - TASK_DEPT_BUDGET)
