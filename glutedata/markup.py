"""The one place where text from the data becomes markup.

Everything in ``data/`` is untrusted text: an exercise name, a note or a .bib title may hold
``<script>``. Whatever turns data into HTML, Markdown, chart labels or terminal output goes through
these helpers, so a value is always shown as the characters it contains and never runs.
"""

from __future__ import annotations

import html as _html
import re
import unicodedata
from urllib.parse import quote

# Markdown's inline syntax characters; a backslash makes each literal (CommonMark "backslash escapes").
# '<', '>' and '&' are left to HTML escaping; '(' and ')' only act after ']', which is escaped.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~$])")
# characters that start a block (list item, quote, heading) only at the start of a line
_MD_LINE_START = re.compile(r"^([0-9]*)([-+>=.)])")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def html(value) -> str:
    """``value`` as HTML text: ``<``, ``>``, ``&`` and quotes become entities."""
    return _html.escape("" if value is None else str(value), quote=True)


def chart(value) -> str:
    """``value`` for plotly text (labels, hover, titles), which reads a small subset of HTML.

    plotly decodes entities but would act on tags such as ``<a href>``; escaping ``<``, ``>`` and
    ``&`` keeps every tag inert while the reader still sees the original characters.
    """
    return _html.escape(one_line(value), quote=False)


def md(value) -> str:
    """``value`` as literal inline Markdown text: HTML-escaped, Markdown syntax backslash-escaped,
    on one line (a line break in the data cannot start a new block)."""
    text = " ".join(str("" if value is None else value).split())
    text = _MD_LINE_START.sub(r"\1\\\2", _MD_SPECIAL.sub(r"\\\1", text))
    return _html.escape(text, quote=False)


def one_line(value) -> str:
    """``value`` on one line, with control characters shown as escapes (``\\n``, ``\\x00``, ``\\x1b``).

    Used for terminal output and ``file:line: field: message`` problems, so data cannot move the
    cursor, colour the terminal or split one problem over several lines.
    """
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def url(value) -> str | None:
    """An http(s) address made safe for an ``href`` attribute, or None when it is not one."""
    text = "" if value is None else str(value).strip()
    if not re.match(r"^https?://[^\s]+$", text, flags=re.IGNORECASE):
        return None
    # percent-encode anything outside the characters an address is made of (quotes, <, > ...)
    return quote(text, safe=":/?#[]@!$&'()*+,;=%-._~")


def link(text, href) -> str:
    """An HTML ``<a>`` to an http(s) address, or the escaped text alone when ``href`` is not one."""
    safe = url(href)
    return f'<a href="{html(safe)}">{html(text)}</a>' if safe else html(text)


def doi_url(doi) -> str | None:
    """The https://doi.org/ address of a DOI, percent-encoded."""
    if not doi:
        return None
    return "https://doi.org/" + quote(str(doi).strip(), safe="/:;()._-")


def looks_like_markup(value) -> str | None:
    """Why ``value`` looks like HTML or script (a reason for validation), or None."""
    text = unicodedata.normalize("NFKC", str(value))
    if re.search(r"<\s*[A-Za-z/!?]", text):
        return "contains an HTML tag ('<' followed by a letter, '/', '!' or '?')"
    if re.search(r"\bjavascript\s*:|\bdata\s*:\s*text/html|\bvbscript\s*:", text, flags=re.IGNORECASE):
        return "contains a script address (javascript:, vbscript: or data:text/html)"
    if re.search(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", text, flags=re.IGNORECASE):
        return "contains an HTML entity (&...;); write the character itself"
    return None


class Markdown(str):
    """A Markdown string built by the package (data in it already escaped with :func:`md`).

    JupyterLab and the site render it as Markdown; printed, it is plain text.
    """

    def _repr_markdown_(self) -> str:
        return str(self)
