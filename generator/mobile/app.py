"""``gongkai task app``: the offline phone app of a confirmed task, one file per department team.

docs/mobile.md §8. The app is one self-contained HTML page (its style, script and data inline;
opened from a file it makes no network request of any kind), so it works opened from a file or
from the department's HTTPS intranet with the network cut; served over HTTPS it also installs a
service worker that keeps the page for offline use, and can be added to the home screen (§8.1).
It draws its QR codes (§5.2) with a vendored copy of the npm package ``qrcode-generator``,
inlined like its own script. Its data is the department's part of the confirmed task, read
from the ledger and the content as the result form is (:func:`generator.workflow.forms.form_rows`):
the drawn businesses with this department's team, the items, the fixed result categories,
methods and follow-up measures of :mod:`ledger.vocabulary`, after the categories the words of the
department's own vocabulary in force when the app is generated (its latest ``vocabulary.publish``,
docs/workflow.md §10), and the log origin the phone's signatures are bound to. The same inputs
give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from generator.content.results import OTHER_RULE_FINDINGS, OWN_RULE_FINDINGS, findings_in_force
from generator.errors import WorkflowError
from generator.mobile.icons import ICON_SIZES, icon_png
from generator.workflow.actions import find_task
from generator.workflow.forms import form_rows
from generator.workflow.site import SiteRepo
from ledger import canonical
from ledger.durable import write_atomic
from ledger.tasks import TaskState, china_date
from ledger.vocabulary import FOLLOWUP_MEASURES, INSPECTION_METHODS, RESULT_CATEGORY_TABLE

__all__ = ["app_data", "app_files", "render_app", "write_apps"]


def app_data(repo: SiteRepo, task_id: str, dept: str) -> dict[str, Any]:
    """The JSON data of ``dept``'s app for the confirmed task ``task_id``.

    Raises:
        WorkflowError: the task is not confirmed or ``dept`` does not take part in it.
    """
    record = repo.state().tasks.tasks.get(task_id)
    if record is None or record.state is not TaskState.CONFIRMED or record.result is None:
        raise WorkflowError(f"任务“{task_id}”尚未名单确认下发，不能生成移动检查应用")
    if dept not in record.participants:
        raise WorkflowError(f"部门“{dept}”不是任务“{task_id}”的检查部门")
    _, task = find_task(repo, task_id)
    rows = form_rows(repo.content, task, dept, sorted(record.drawn), record.teams)
    items = {i.id: i.name for i in repo.content.items}
    own = {c.value for c in OWN_RULE_FINDINGS}
    other = {c.value for c in OTHER_RULE_FINDINGS}
    book = repo.state().tasks.vocabularies
    vocabulary = book.in_force(dept)
    words = findings_in_force(book, dept)
    people: dict[str, str] = {}
    for row in rows:
        people.update(row.inspectors)
    return {
        "origin": repo.trust.origin,
        "site": repo.content.site.name,
        "task_id": task_id,
        "task_name": task.name,
        "dept": dept,
        "dept_name": repo.content.department(dept).name,
        "draw_date": china_date(record.result.ts).isoformat(),
        "inspectors": [{"id": i, "name": n} for i, n in sorted(people.items())],
        "assignments": [
            {
                "entity": r.entity_id,
                "name": r.entity_name,
                "address": r.address,
                "items": [{"id": i, "name": items.get(i, i)} for i in r.items],
                "team": [i for i, _ in r.inspectors],
            }
            for r in rows
            if r.inspectors
        ],
        "categories": [
            {"word": c.word, "problem": c.problem, "own": c.word in own, "other": c.word in other}
            for c in RESULT_CATEGORY_TABLE
        ]
        + [
            # The department's own 检查结果 in force now (docs/workflow.md §10): one that records
            # a problem is a finding under its own rules (what 责令改正 needs), never another's.
            {
                "word": f.value,
                "problem": f.problem_found,
                "own": f.problem_found,
                "other": False,
                "dept_word": True,
            }
            for f in words
        ],
        "vocabulary": vocabulary.version if vocabulary is not None else None,
        "methods": list(INSPECTION_METHODS),
        "measures": list(FOLLOWUP_MEASURES),
    }


def _json_for_script(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">``: ``<``, ``>`` and ``&`` escaped."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return Markup(text)  # noqa: S704  # no <, > or & is left: it cannot close the script


def render_app(data: dict[str, Any]) -> str:
    """The app page for ``data`` (:func:`app_data`): HTML with its CSS, script and data inline."""
    files = resources.files("generator.mobile")
    env = jinja2.Environment(
        autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True
    )
    template = env.from_string(files.joinpath("app.html").read_text(encoding="utf-8"))
    return template.render(
        data=data,
        data_json=_json_for_script(data),
        # The package's own files, not input:
        style=Markup(files.joinpath("app.css").read_text(encoding="utf-8")),  # noqa: S704
        qrcode_script=Markup(_vendored_qrcode()),  # noqa: S704
        script=Markup(files.joinpath("app.js").read_text(encoding="utf-8")),  # noqa: S704
    )


#: SHA-256 of ``qrcode-generator.js``: dist/qrcode.js of the npm package qrcode-generator 2.0.4
#: (MIT, Kazuhiko Arase; its notice in ``qrcode-generator.LICENSE`` beside it), unmodified.
QRCODE_GENERATOR_SHA256 = "79ec86f82856005b1c887905cfccfcfbec3821ca61c7fd5a952faa5f778f791c"


def _vendored_qrcode() -> str:
    """The QR encoder the page draws its codes with (docs/mobile.md §5.2, §8), checked unchanged.

    Raises:
        RuntimeError: the vendored file is not the one recorded (edited or replaced).
    """
    data = resources.files("generator.mobile").joinpath("qrcode-generator.js").read_bytes()
    if hashlib.sha256(data).hexdigest() != QRCODE_GENERATOR_SHA256:
        raise RuntimeError("generator/mobile/qrcode-generator.js 已被改动，与记录的版本不符")
    lowered = data.lower()
    if b"</script" in lowered or b"<!--" in lowered:  # inlined in <script>: nothing may end it
        raise RuntimeError("generator/mobile/qrcode-generator.js 会提前结束 <script>，不能内嵌")
    return data.decode("utf-8")


def app_files(data: dict[str, Any]) -> dict[str, bytes]:
    """Every file of one department's app, by name in the task's folder (docs/mobile.md §8.1):
    the page ``<dept>.html``; for installing it over HTTPS, its service worker ``<dept>.sw.js``
    (which carries the page's SHA-256) and manifest ``<dept>.webmanifest``; and the icons
    ``icon-<size>.png`` that every department's manifest names."""
    dept = data["dept"]
    page = render_app(data).encode("utf-8")
    icons = {f"icon-{n}.png": icon_png(n) for n in ICON_SIZES}
    manifest = {
        "background_color": "#f4f5f7",
        "display": "standalone",
        "icons": [
            {"sizes": f"{n}x{n}", "src": f"icon-{n}.png", "type": "image/png"} for n in ICON_SIZES
        ],
        "lang": "zh-CN",
        "name": f"移动检查 · {data['task_name']} · {data['dept_name']}",
        "scope": f"{dept}.html",
        "short_name": "移动检查",
        "start_url": f"{dept}.html",
        "theme_color": "#8b0000",
    }
    worker = {
        "cache": f"gongkai-app/{data['task_id']}/{dept}",
        "files": [f"{dept}.webmanifest", *icons],
        "sha256": hashlib.sha256(page).hexdigest(),
    }
    script = resources.files("generator.mobile").joinpath("sw.js").read_text(encoding="utf-8")
    return {
        f"{dept}.html": page,
        f"{dept}.sw.js": script.replace("/*APP*/", _json_for_script(worker)).encode("utf-8"),
        f"{dept}.webmanifest": canonical.dumps(manifest) + b"\n",
        **icons,
    }


def write_apps(repo: SiteRepo, task_id: str, dept: str | None, out: Path) -> list[Path]:
    """Write the files of :func:`app_files` under ``out/<task>/`` for ``dept`` (default: every
    participating department); returns the pages written.

    Raises:
        WorkflowError: the task is not confirmed, or ``dept`` does not take part in it.
    """
    record = repo.state().tasks.tasks.get(task_id)
    depts = (dept,) if dept is not None else (record.participants if record else ())
    datas = [app_data(repo, task_id, d) for d in depts] if depts else [app_data(repo, task_id, "")]
    written = []
    for data in datas:
        folder = out / task_id
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in app_files(data).items():
            write_atomic(folder / name, content)
        written.append(folder / f"{data['dept']}.html")
    return written
