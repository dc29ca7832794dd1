"""Regenerate ``tests/site/golden/`` from the mini fixture: ``python tests/site/regen.py``."""

from __future__ import annotations

import shutil

from site_helpers import GOLDEN, build_mini

from generator.site.build import MANIFEST

if __name__ == "__main__":
    shutil.rmtree(GOLDEN, ignore_errors=True)
    report = build_mini(GOLDEN, incremental=False)
    (GOLDEN / MANIFEST).unlink()  # holds a hash of the site code; compared by other tests
    print(f"已重新生成 {GOLDEN}（{report.files} 个文件）")
