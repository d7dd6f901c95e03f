"""Reading a statement: raw text, Markdown, HTML or PDF in, citable clauses out.

One module per step:

* :mod:`bot.reading.documents` — corpus files (front matter + body) into documents;
* :mod:`bot.reading.clean` — the page's debris removed (each removal kept, with its
  reason: :mod:`bot.reading.removal`), typography folded for matching;
* :mod:`bot.reading.inline` — inline Markdown read by a CommonMark parser;
* :mod:`bot.reading.pdfpages` — running headers, footers and page numbers of PDFs;
* :mod:`bot.reading.clauses` — the body cut into clauses with stable ids and paragraphs;
* :mod:`bot.reading.identity` and :mod:`bot.reading.parties` — a statement's id, date
  and parties;
* :mod:`bot.reading.view` — a statement as read, for ``briefbot show``;
* :mod:`bot.reading.safeio` — files and YAML users hand over, read as if hostile.
"""
