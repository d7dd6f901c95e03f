"""Listing pages: a site without a feed lists its statements as links on a page.

Which links are statements:

- with a CSS selector (``--selector``), the links it selects (an ``<a>`` itself, or the
  ``<a href>`` elements inside what it selects);
- without one, every link inside the page's ``<main>`` (or ``<body>``) that stays on
  the same site, except links to the page itself, to the site's home page and the
  pagination links.

Relative links are resolved against the page (its ``<base href>`` included). The next
page is the one named by ``rel="next"`` (a ``<link>`` or an ``<a>``), else an ``<a>``
whose text is "Next" / "Older" (with or without arrows).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from bot.sources.items import Item, clean_key, clean_text

__all__ = ["SelectorError", "check_selector", "parse_listing"]

_NEXT_TEXT = re.compile(r"^\W*(next|older|more)(\s+(page|posts|entries|statements))?\W*$", re.I)


class SelectorError(ValueError):
    """A CSS selector that cannot be used."""


def check_selector(selector: str) -> None:
    """Raise :class:`SelectorError` (one line) for a selector lxml cannot use."""
    from cssselect import SelectorError as CssError
    from lxml.cssselect import CSSSelector

    try:
        CSSSelector(selector)
    except (CssError, ValueError) as exc:
        raise SelectorError(
            f"{selector!r} is not a CSS selector briefbot can use ({exc})"
        ) from None


def _same_site(a: str, b: str) -> bool:
    return urlsplit(a).netloc.lower() == urlsplit(b).netloc.lower()


def parse_listing(html: str, page_url: str, selector: str = "") -> tuple[list[Item], str]:
    """The statement links on a listing page (in page order, each once) and the next
    page's URL ("" when none)."""
    import lxml.html
    from lxml.cssselect import CSSSelector

    if not html.strip():
        return [], ""
    root = lxml.html.document_fromstring(html)
    base = page_url
    for b in root.iter("base"):
        href = b.get("href")
        if href:
            base = clean_key(href, page_url) or page_url
            break
    next_url = _next_page(root, base)
    if selector:
        check_selector(selector)
        anchors = []
        for el in CSSSelector(selector)(root):
            if el.tag == "a":
                anchors.append(el)
            else:
                anchors.extend(el.iter("a"))
    else:
        scope = next(iter(root.iter("main")), None)
        if scope is None:
            scope = root.find("body")
        if scope is None:
            scope = root
        anchors = list(scope.iter("a"))
    here = clean_key(page_url, page_url)
    home = {clean_key("/", page_url)}
    items: list[Item] = []
    seen: set[str] = set()
    for a in anchors:
        url = clean_key(a.get("href") or "", base)
        if not url or url in seen or url in (here, next_url):
            continue
        rel = (a.get("rel") or "").lower().split()
        if "next" in rel or "prev" in rel or "previous" in rel:
            continue
        if not selector and (url in home or not _same_site(url, page_url)):
            continue
        title = clean_text(a.text_content())
        if not selector and _NEXT_TEXT.match(title or ""):
            continue
        seen.add(url)
        items.append(Item(key=url[:500], url=url, title=title[:500]))
    return items, next_url


def _next_page(root: object, base: str) -> str:
    for el in root.iter("link", "a"):  # type: ignore[attr-defined]
        if "next" in (el.get("rel") or "").lower().split():
            url = clean_key(el.get("href") or "", base)
            if url:
                return url
    for a in root.iter("a"):  # type: ignore[attr-defined]
        if _NEXT_TEXT.match(clean_text(a.text_content())):
            url = clean_key(a.get("href") or "", base)
            if url:
                return url
    return ""
