"""Loading corpus files: front matter, inference, and bad files skipped with warnings."""

from __future__ import annotations

from datetime import date

import pytest
from paths import COMMUNIQUE, STATEMENT

from bot.reading.documents import CorpusError, infer_date, load_corpus

GOOD = "---\ntitle: A Statement\ndate: 2020-05-01\nparties: [A, B]\n---\n\nThe parties will meet.\n"


def write(tmp_path, name, content):
    p = tmp_path / name
    p.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return p


def test_bundled_corpus_loads_without_warnings(corpus):
    assert corpus.warnings == []
    ids = [d.doc_id for d in corpus.documents]
    assert STATEMENT in ids and COMMUNIQUE in ids
    comm = corpus.get(COMMUNIQUE)
    assert comm.date == date(2012, 12, 6) and comm.cite_title == "China–Russia Joint Communiqué"
    assert comm.parties == ("China", "Russia")


def test_front_matter_fields(tmp_path):
    write(tmp_path, "a.md", GOOD)
    doc = load_corpus(tmp_path).documents[0]
    assert (doc.doc_id, doc.title, doc.date, doc.parties) == (
        "2020-05-01_a-statement",
        "A Statement",
        date(2020, 5, 1),
        ("A", "B"),
    )
    assert doc.body == "The parties will meet.\n"


@pytest.mark.parametrize(
    ("name", "content", "warning"),
    [
        ("latin1.txt", "Caf\xe9 statement".encode("latin-1"), "latin1.txt: not UTF-8"),
        ("empty.md", "", "empty.md: empty file"),
        ("blank.md", "  \n\n ", "blank.md: empty file"),
        (
            "broken.md",
            "---\ntitle: [unclosed\ndate: 2020-01-01\n---\nText.\n",
            "broken.md: line 3: broken front matter",
        ),
        (
            "open.md",
            "---\ntitle: x\nText without a closing fence.\n",
            "open.md: line 1: front matter opened",
        ),
        (
            "list.md",
            "---\n- a\n- b\n---\nText.\n",
            "list.md: line 2: front matter is not a mapping",
        ),
        ("nobody.md", "---\ntitle: x\ndate: 2020-01-01\n---\n\n", "nobody.md: no statement text"),
    ],
)
def test_bad_file_is_skipped_with_a_warning_naming_it(tmp_path, name, content, warning):
    write(tmp_path, "good.md", GOOD)
    write(tmp_path, name, content)
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == ["2020-05-01_a-statement"]
    assert any(w.startswith(warning) for w in corpus.warnings), corpus.warnings


def test_raw_file_without_front_matter_is_inferred_with_a_warning(tmp_path):
    raw = (
        "World / Asia-Pacific\n\nLeaders issue statement\n\n"
        "(Xinhua) Updated: 2012-12-07 02:23\n\nThe two sides will meet.\n"
    )
    write(tmp_path, "statement.txt", raw)
    corpus = load_corpus(tmp_path)
    doc = corpus.documents[0]
    assert doc.title == "Leaders issue statement"
    assert doc.date == date(2012, 12, 7)
    assert "The two sides will meet." in doc.body and "Xinhua" not in doc.body
    assert "guessed title 'Leaders issue statement' and date 2012-12-07" in corpus.warnings[0]


@pytest.mark.parametrize(
    ("text", "filename", "expected"),
    [
        (
            "Beijing, 6 June – Joint Statement\n\nvisit from 5 to 6 June 2012.",
            "x.txt",
            date(2012, 6, 6),
        ),
        ("(Xinhua) Updated: 2012-12-07 02:23", "x.txt", date(2012, 12, 7)),
        ("anything", "2012-06-06_statement.raw.txt", date(2012, 6, 6)),
        ("Issued on May 12, 2025 in Geneva.", "x.txt", date(2025, 5, 12)),
        ("Signed at Bali on 16 November 2022.", "x.txt", date(2022, 11, 16)),
        ("No date anywhere.", "x.txt", None),
        # A copyright or footer line's year or date is the site's, never the statement's.
        ("Joint Statement\n\nThe sides agreed.\n\n© 2019 Ministry of Foreign", "x.txt", None),
        ("Beijing, 6 June – Joint Statement\n\nThey agreed.\n\n© 2019 Ministry", "x.txt", None),
        ("Joint Statement\n\nThey agreed.\n\nCopyright © 1 January 2019 Ministry", "x.txt", None),
        ("Statement\n\nThey agreed.\n\n(c) 2019 Ministry. All rights reserved.", "x.txt", None),
        (
            "Beijing, 6 June – Joint Statement\n\nvisit from 5 to 6 June 2012.\n\n© 2019 Ministry",
            "x.txt",
            date(2012, 6, 6),
        ),
        ("Signed on 16 November 2022.\n\nCopyright 2019 Ministry", "x.txt", date(2022, 11, 16)),
        # A paragraph of the statement that speaks of copyright keeps its date.
        (
            "The parties will review copyright rules by 1 June 2023 and report.",
            "x.txt",
            date(2023, 6, 1),
        ),
    ],
)
def test_infer_date(text, filename, expected):
    assert infer_date(text, filename)[0] == expected


def test_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusError, match=r"does not exist.*briefbot ingest"):
        load_corpus(tmp_path / "nope")


def test_directory_with_nothing_loadable_is_a_clear_error(tmp_path):
    write(tmp_path, "empty.md", "")
    with pytest.raises(CorpusError, match=r"no statements .*1 file\(s\) skipped"):
        load_corpus(tmp_path)


def test_readme_and_hidden_files_are_not_statements(tmp_path):
    write(tmp_path, "good.md", GOOD)
    write(tmp_path, "README.md", "# About this corpus\n")
    write(tmp_path, ".draft.md", GOOD)
    assert [d.doc_id for d in load_corpus(tmp_path).documents] == ["2020-05-01_a-statement"]
