"""What reading a page removed, and why: the one record both the cleaner
(:mod:`bot.reading.clean`) and the PDF reader (:mod:`bot.reading.pdfpages`) keep."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Removal"]


@dataclass(frozen=True, slots=True)
class Removal:
    """A piece of a page's visible text that is not the statement, and why it went.

    ``text`` is the removed text as it stood (after markup was read), ``reason`` a
    short label such as "end marker" or "share widget". Every word a reader sees on
    the page is either in a clause or in one of these: nothing goes silently.
    """

    text: str
    reason: str

    def to_json(self) -> dict[str, str]:
        """``{"text", "reason"}``."""
        return {"text": self.text, "reason": self.reason}
