"""Cleaning the model's answer sentence before anyone's browser draws it.

The sentence is shown as Markdown. An image in it would be fetched by the browser of whoever
opens the answer, with whatever the model (or a cell value that steered it) put in the URL; a
link invites a click to the same place. The answer keeps the words and loses every URL.
"""

from __future__ import annotations

import re

_IMAGE = re.compile(r"!\[([^\]]*)\]\s*(\([^)]*\)|\[[^\]]*\])?")
_LINK = re.compile(r"\[([^\]]+)\]\s*(\([^)]*\)|\[[^\]]*\])")
_REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_URL = re.compile(r"\b(?:https?|ftp|file|data|javascript):\S*", re.IGNORECASE)
_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^>]*)>", re.IGNORECASE)
_HTML = re.compile(r"</?[a-zA-Z][^>]*>")


def clean_sentence(text: str) -> str:
    """The model's words without images, links, URLs or HTML tags."""
    text = _REFERENCE.sub("", text)
    text = _IMAGE.sub(lambda m: m.group(1), text)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = _AUTOLINK.sub("", text)
    text = _HTML.sub("", text)
    text = _URL.sub("[link removed]", text)
    return re.sub(r"[ \t]+\n", "\n", text).strip()
