"""A page's date: a copyright line's year is the site's, never the statement's date."""

from __future__ import annotations

from datetime import date

import pytest

from bot.fetch import raw_from_bytes
from bot.library import preview_source

BODY = (
    "<h1>Joint statement on fisheries</h1>"
    "<p>The two governments agreed to review the fisheries agreement and to meet again "
    "before the end of the season. They will publish a report on quotas.</p>"
    "<p>The ministers welcomed the progress made by the working group on quotas and on "
    "inspection at sea, and asked it to report to them.</p>"
)


FOOTER = "© 2019 Ministry of Foreign Affairs"


def page(head: str = "", body: str = BODY, footer: str = FOOTER) -> bytes:
    return (
        f"<html><head><title>Joint statement on fisheries</title>{head}</head><body>"
        f"<main>{body}</main><footer><p>{footer}</p></footer></body></html>"
    ).encode()


def page_date(data: bytes) -> date | None:
    raw = raw_from_bytes(data, content_type="text/html", name="fisheries", url="")
    return preview_source(raw).date


@pytest.mark.parametrize(
    "footer",
    [
        "© 2019 Ministry of Foreign Affairs",
        "&copy; 2019 Ministry of Foreign Affairs",
        "Copyright © 2015-2019 Ministry of Foreign Affairs. All rights reserved.",
        "(c) 2019 Ministry of Foreign Affairs",
    ],
)
def test_a_copyright_year_is_not_the_date(footer):
    assert page_date(page(footer=footer)) is None


def test_the_page_published_date_wins_over_the_copyright_year():
    head = '<meta property="article:published_time" content="2021-03-04T10:00:00Z">'
    assert page_date(page(head=head)) == date(2021, 3, 4)


def test_a_date_in_the_text_wins_over_the_copyright_year():
    body = BODY + "<p>Issued in Oslo on 7 May 2021.</p>"
    assert page_date(page(body=body)) == date(2021, 5, 7)


def test_a_real_first_of_january_is_kept():
    # The statement's own date is 1 January of the copyright year: written out, it counts.
    head = '<meta property="article:published_time" content="2019-01-01">'
    assert page_date(page(head=head)) == date(2019, 1, 1)
    body = BODY + "<p>Issued on 1 January 2019.</p>"
    assert page_date(page(body=body)) == date(2019, 1, 1)
