"""Where the site templates are, in a source checkout and in an installed wheel.

``site_templates/`` stays at the top of the repository. A wheel carries it as the package data
of ``gongkai_site_templates`` (``[tool.setuptools.package-dir]`` in ``pyproject.toml`` maps that
package name to ``site_templates/``), found with :mod:`importlib.resources`.

The order of the search:

1. ``$GONGKAI_TEMPLATES``, when set;
2. the ``site_templates/`` next to the running ``generator`` package (a source checkout or an
   editable install: the templates always match the code that renders them, also when several
   checkouts share one virtual environment);
3. the installed ``gongkai_site_templates`` package (``pip install .``, ``pipx install``).
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

__all__ = ["TEMPLATES_PACKAGE", "TemplatesNotFoundError", "default_templates"]

#: The package that holds ``site_templates/`` in a wheel.
TEMPLATES_PACKAGE = "gongkai_site_templates"
#: A file every template directory has (tells a template directory from a stray one).
_MARKER = "base.html"


class TemplatesNotFoundError(RuntimeError):
    """Neither a checkout's ``site_templates/`` nor the installed package data exists."""


def default_templates() -> Path:
    """The template directory (see the module docstring for the order of the search).

    Raises:
        TemplatesNotFoundError: if no template directory is found (a broken installation).
    """
    override = os.environ.get("GONGKAI_TEMPLATES")
    if override:
        return Path(override)
    checkout = Path(__file__).resolve().parents[2] / "site_templates"
    if (checkout / _MARKER).is_file():
        return checkout
    return installed_templates()


def installed_templates() -> Path:
    """The templates installed as the package data of :data:`TEMPLATES_PACKAGE`.

    Raises:
        TemplatesNotFoundError: if the package is missing or not a directory on disk.
    """
    try:
        marker = importlib.resources.files(TEMPLATES_PACKAGE).joinpath(_MARKER)
    except ModuleNotFoundError:
        marker = None
    # A namespace package's files() is a MultiplexedPath, whose joinpath() is a Path.
    if not isinstance(marker, Path) or not marker.is_file():
        raise TemplatesNotFoundError(
            f"找不到网站模板：既没有源码目录中的 site_templates/，也没有已安装的 {TEMPLATES_PACKAGE}"
            "（安装不完整？请重新安装 gongkai，或用环境变量 GONGKAI_TEMPLATES 指定模板目录）"
        )
    return marker.parent
