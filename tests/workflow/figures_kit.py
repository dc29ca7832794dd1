"""Read the figures of docs/workflow.md §4.2 from each output: ``gongkai metrics``, the built site
(home and statistics pages) and ``data/figures.csv``, to check that they agree."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from click.testing import CliRunner

from generator.cli import main

FIGURE = re.compile(r"(抽查完成率|按时公示率|后续处置完结率)：(\S+?)（\S+ (\d+) / \S+ (\d+)）")
SITE_FIGURE = re.compile(
    r"<dt>(抽查完成率|按时公示率|后续处置完结率)</dt><dd>([^<]+)</dd>"
    r'<dd class="small">\S+ (\d+) / \S+ (\d+)</dd>'
)


def cli_figures(site: Path, as_of: str) -> set[tuple[str, ...]]:
    """(name, percent, numerator, denominator) of each rate, as ``gongkai metrics`` prints."""
    out = CliRunner().invoke(main, ["metrics", "--site", str(site), "--at", as_of])
    assert out.exit_code == 0, out.output
    return set(FIGURE.findall(out.output))


def site_figures(page: Path) -> set[tuple[str, ...]]:
    """The same, read from a built page (home or statistics)."""
    return set(SITE_FIGURE.findall(page.read_text("utf-8")))


def data_figures(out: Path) -> set[tuple[str, ...]]:
    """The same, read from ``data/figures.csv``."""
    rows = list(csv.DictReader(io.StringIO((out / "data/figures.csv").read_text("utf-8-sig"))))
    return {(r["指标"], r["比率"], r["分子"], r["分母"]) for r in rows}


def assert_one_definition(site: Path, out: Path) -> set[tuple[str, ...]]:
    """The three outputs give the same figures, as of the date the site states."""
    as_of = re.search(r"统计截至 (\d{4}-\d\d-\d\d)", (out / "index.html").read_text("utf-8"))
    assert as_of is not None
    cli = cli_figures(site, as_of.group(1))
    assert len(cli) == 3
    assert site_figures(out / "index.html") == cli
    assert site_figures(out / "results/stats/index.html") == cli
    assert data_figures(out) == cli
    return cli
