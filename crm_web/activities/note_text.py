"""A note's text as HTML: escaped first, then its web and mail addresses made links. Line
breaks stay characters (the note's element keeps them: white-space: pre-wrap), so nothing
the rep typed can become markup, and only http, https and mailto addresses become links."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# An address starts a word with http://, https:// or mailto: and runs to the next space or
# angle bracket or quote; `javascript:` and friends never match, so they stay text.
_ADDRESS = re.compile(r"(?<![\w/.:@-])(?:https?://|mailto:)[^\s<>\"']+", re.IGNORECASE)
# Sentence punctuation after an address belongs to the sentence, not the address.
_TRAILING = ".,;:!?)]}'*"


def _split_address(match: str) -> tuple[str, str]:
    """(address, what follows it) with trailing punctuation moved out; a closing parenthesis
    stays when the address opened one (Wikipedia-style links)."""
    end = len(match)
    while end and match[end - 1] in _TRAILING:
        if match[end - 1] == ")" and match[:end].count("(") >= match[:end].count(")"):
            break
        end -= 1
    return match[:end], match[end:]


def _link(address: str) -> Markup:
    scheme, _, rest = address.partition(":")
    if not rest.strip("/"):
        return escape(address)  # "https://" alone is no address
    if scheme.lower() == "mailto":
        return Markup('<a href="{0}" rel="noopener nofollow">{0}</a>').format(address)
    return Markup('<a href="{0}" rel="noopener nofollow" target="_blank">{0}</a>').format(address)


def note_html(text: str | None) -> Markup:
    """`text` escaped, its http(s) addresses as links opening a new tab, mailto ones too."""
    text = text or ""
    parts: list[Markup] = []
    position = 0
    for match in _ADDRESS.finditer(text):
        address, rest = _split_address(match.group(0))
        parts.append(escape(text[position : match.start()]))
        parts.append(_link(address) if address else escape(""))
        parts.append(escape(rest))
        position = match.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)
