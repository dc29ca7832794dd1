"""Markdown for the site: safe by default, and no stray spaces in Chinese paragraphs.

Content authors wrap long Chinese lines in their Markdown files. CommonMark keeps each line break
inside a paragraph as a *soft break*, written as ``"\\n"``, and browsers show it as a space — so
``本站演示“双随机、\\n一公开”`` would read ``本站演示“双随机、 一公开”``. CSS Text 3 §4.1.3 asks
browsers to drop such breaks between East Asian wide characters, but Chromium and Firefox do not.
The renderer therefore removes a soft break when the characters on both sides are wide
(:mod:`generator.cjk`: CJK ideographs, kana, full-width forms, CJK punctuation and the quotation
marks and dashes Chinese text uses; not Hangul); a break next to Latin letters or digits stays a
space.

The preset is markdown-it's ``js-default``: raw HTML is escaped, ``javascript:`` links are
refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import markupsafe
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

from generator.cjk import joins_without_space

__all__ = ["make_renderer"]


def _edge_char(children: Sequence[Token], start: int, step: int) -> str | None:
    """The character next to ``children[start]`` going in direction ``step`` (−1 or +1), or
    ``None`` at another break or the end of the inline run."""
    i = start + step
    while 0 <= i < len(children):
        token = children[i]
        if token.type in ("softbreak", "hardbreak"):
            return None
        if token.type in ("text", "code_inline") and token.content:
            return token.content[-1] if step < 0 else token.content[0]
        i += step
    return None


def _drop_cjk_softbreaks(state: StateCore) -> None:
    """markdown-it core rule: turn soft breaks between wide characters into nothing."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children = block.children
        for i, token in enumerate(children):
            if token.type != "softbreak":
                continue
            before = _edge_char(children, i, -1)
            after = _edge_char(children, i, +1)
            if before is not None and after is not None and joins_without_space(before, after):
                children[i] = Token("text", "", 0, content="")


def make_renderer() -> Callable[[str], markupsafe.Markup]:
    """Return the site's Markdown renderer (a Jinja filter).

    Returns:
        A function from Markdown source to safe HTML (``markupsafe.Markup``). It never raises
        for ``str`` input.
    """
    md = MarkdownIt("js-default")
    md.core.ruler.push("cjk_softbreak", _drop_cjk_softbreaks)

    def render(text: str) -> markupsafe.Markup:
        # Safe: js-default escapes raw HTML and refuses javascript: links.
        return markupsafe.Markup(md.render(text))  # noqa: S704

    return render
