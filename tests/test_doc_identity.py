"""One statement, one document (issue 17 item 4).

Ids follow one rule (``YYYY-MM-DD_slug`` from the date and the short title) whatever the
input was called, except the ids users already hold (files named that way, stored
statements); the same statement arriving again by file, URL or paste, in another
layout or with boilerplate, is refused with its id (``--replace`` stores it as a new
version); witnesses and observers are not parties.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from clirun import run, use_fresh_env
from paths import CORPUS
from webfixtures import STATEMENT_PAGE, web_server

from bot.adding import duplicate_of
from bot.ingest import IngestError, ingest_file, prepare_text
from bot.library import DuplicateStatement, Library, preview
from bot.reading.documents import load_corpus
from bot.reading.parties import infer_parties
from bot.store import Store

CABLES_ID = "2026-03-03_joint-statement-on-undersea-cables"

# The statement of STATEMENT_PAGE as someone saved it from the page into a file.
CABLES_FILE = """Joint Statement on Undersea Cables

Lisbon, 3 March 2026

1. Portugal and Norway share an interest in secure undersea cables that carry the world's data and underpin the economies of both countries.

2. The two sides will complete a joint survey of undersea cable routes in the North Atlantic by the end of 2027.

3. They call on industry to report cable faults to the competent authorities within 24 hours of detection.

Share on Facebook | Share on Twitter | Email
"""  # noqa: E501

# The same statement as other routes bring it.
CABLES_MARKDOWN = """# Joint Statement on Undersea Cables

**Lisbon, 3 March 2026**

1\\. Portugal and Norway share an interest in secure undersea cables that carry the
world’s data and underpin the economies of both countries.

2\\. The two sides will complete a joint survey of undersea cable routes in the North
Atlantic by the end of 2027.

3\\. They call on industry to report cable faults to the competent authorities within
24 hours of detection.

\\###
"""
CABLES_WITH_HEADING = "Ministry of Foreign Affairs - Press releases\n\n" + CABLES_FILE.replace(
    "Share on Facebook | Share on Twitter | Email\n", "Print this page | Back to top\n"
)


def front(title: str, when: str, body: str) -> str:
    return f"---\ntitle: {title}\ndate: {when}\nparties: [Portugal, Norway]\n---\n\n{body}"


@pytest.fixture
def web():
    with web_server() as server:
        yield server


@pytest.fixture
def library(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'lib.db'}")
    yield Library(store, load_corpus(CORPUS))
    store.close()


@pytest.fixture
def env(tmp_path, monkeypatch):
    return use_fresh_env(tmp_path, monkeypatch)


# ------------------------------------------------------------------------------ ids


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("2026-03-03-joint-statement-on-undersea-cables.txt", f"{CABLES_ID}.md"),
        ("Statement (final).txt", f"{CABLES_ID}.md"),
        ("cables.md", f"{CABLES_ID}.md"),
        ("2026-03-03-Cables.txt", f"{CABLES_ID}.md"),
        # already named as an id (the bundled corpus is rebuilt from such files): kept
        ("2026-03-03_cables.txt", "2026-03-03_cables.md"),
        ("2026-03-03_cables.raw.txt", "2026-03-03_cables.md"),
    ],
)
def test_ingest_names_a_statement_by_the_rule_whatever_the_file_is_called(tmp_path, name, target):
    src = tmp_path / name
    src.write_text(CABLES_FILE, "utf-8")
    rep = ingest_file(src, tmp_path / "out", parties=["Portugal", "Norway"])
    assert (rep.target.name, rep.doc_id) == (target, target.removesuffix(".md"))
    assert [d.doc_id for d in load_corpus(tmp_path / "out").documents] == [rep.doc_id]


@pytest.mark.parametrize(
    ("short_title", "doc_id"),
    [
        ("China–Russia Joint Communiqué", "2026-03-03_china-russia-joint-communique"),
        ("U.S.–Iraq Joint Statement", "2026-03-03_us-iraq-joint-statement"),
        (
            "Joint Statement of the Leaders of the Five Nuclear-Weapon States on Preventing "
            "Nuclear War",
            "2026-03-03_joint-statement-of-the-leaders-of-the-five-nuclear-weapon",
        ),
        ("中俄联合声明", "2026-03-03_statement-b191d365"),
    ],
)
def test_the_slug_is_short_lowercase_ascii_cut_at_a_word(short_title, doc_id):
    assert preview(CABLES_FILE, short_title=short_title).doc_id == doc_id


def test_corpus_files_not_named_as_ids_get_the_rule_and_id_named_files_keep_theirs(tmp_path):
    (tmp_path / "2026-03-03-cables.md").write_text(
        front("Joint Statement on Undersea Cables", "2026-03-03", CABLES_FILE), "utf-8"
    )
    (tmp_path / "Statement (final).md").write_text(
        front("Joint Statement on Fisheries", "2026-04-01", "The two sides will meet.\n"),
        "utf-8",
    )
    # The id users hold stays, though the rule would name this title otherwise.
    (tmp_path / "2012-06-06_china-russia-joint-statement.md").write_text(
        front("PRC-Russian Federation Joint Statement", "2012-06-06", "They will meet.\n"),
        "utf-8",
    )
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == [
        "2012-06-06_china-russia-joint-statement",
        CABLES_ID,
        "2026-04-01_joint-statement-on-fisheries",
    ]
    assert corpus.renamed == {
        "2026-03-03-cables": CABLES_ID,
        "statement-final": "2026-04-01_joint-statement-on-fisheries",
    }


def test_the_bundled_corpus_keeps_its_ids(corpus):
    names = sorted(p.stem for p in CORPUS.glob("*.md") if p.name != "README.md")
    assert sorted(d.doc_id for d in corpus.documents) == names
    assert corpus.renamed == {}


def test_a_url_is_named_by_the_rule_not_by_its_last_segment(web):
    url = web.add("/news/2026-03-03-joint-statement-on-undersea-cables", STATEMENT_PAGE)
    assert preview(url, allow_private=True).doc_id == CABLES_ID


def test_a_stored_statement_keeps_its_stored_id(library):
    draft = preview(CABLES_FILE)
    # Stored before ids followed the rule: named after a URL's last segment.
    legacy = dataclasses.replace(
        draft, document=dataclasses.replace(draft.document, doc_id="2026-03-03-cables")
    )
    assert library.add(legacy, added_by="a").doc_id == "2026-03-03-cables"
    assert [d.doc_id for d in library.documents()] == ["2026-03-03-cables"]
    fixed = library.replace(
        "2026-03-03-cables", preview(CABLES_FILE.replace("2027", "2028")), added_by="b"
    )
    assert (fixed.doc_id, fixed.version) == ("2026-03-03-cables", 2)


# ------------------------------------------------------------------ the same statement


def test_the_same_statement_from_its_url_after_its_file_is_refused_unless_replace(env, web):
    src = env / "cables.txt"
    src.write_text(CABLES_FILE, "utf-8")
    code, out, err = run("ingest", str(src))
    assert (code, err) == (0, "") and f"-> stored as {CABLES_ID}\n" in out

    url = web.add("/news/2026-03-03-joint-statement-on-undersea-cables", STATEMENT_PAGE)
    code, out, err = run("ingest", url)
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        f"error: {url}: the same statement (other layout or boilerplate aside) is already "
        f"stored as {CABLES_ID}; to store this text as its new version, replace it "
        f"(briefbot ingest --replace {CABLES_ID})"
    ]
    added = [r["doc_id"] for r in json.loads(run("docs", "--json")[1]) if r["origin"] == "added"]
    assert added == [CABLES_ID]

    code, out, err = run("ingest", url, "--replace", CABLES_ID)
    assert (code, err) == (0, "") and f"-> replaced {CABLES_ID} (version 2)" in out


@pytest.mark.parametrize(
    "again",
    [CABLES_MARKDOWN, CABLES_WITH_HEADING],
    ids=["markdown-rewrapped", "heading-and-other-footer"],
)
def test_the_same_statement_in_another_layout_is_refused_with_the_existing_id(library, again):
    first = library.add(preview(CABLES_FILE), added_by="a")
    draft = preview(again)
    assert draft.checksum != first.checksum  # not the same text: the same statement
    with pytest.raises(DuplicateStatement) as exc:
        library.add(draft, added_by="b")
    assert (exc.value.existing_id, exc.value.near) == (first.doc_id, True)
    assert duplicate_of(library, draft) == first.doc_id  # what the Slack form checks
    assert [s.doc_id for s in library.list_statements()] == [first.doc_id]


READOUT = """Readout of President Biden's Call with {leader}

President Joseph R. Biden, Jr. spoke today with {leader} of {country}. The two leaders \
underscored their strong commitment to the transatlantic relationship and pledged to \
continue working closely together on shared priorities, including combating COVID-19, \
strengthening global health security, and addressing the climate crisis. The leaders \
expressed concern about the build-up of Russian troops on Ukraine's borders, and \
reaffirmed their support for Ukraine's sovereignty and territorial integrity.
"""
JOINT = """Joint Statement on Undersea Cables

Lisbon, 3 March 2026

1. Portugal and Norway share an interest in secure undersea cables.

2. The two sides will complete a joint survey of undersea cable routes in the North \
Atlantic by the end of 2027.

3. They call on industry to report cable faults within 24 hours of detection.
"""
FACT_SHEET = """Fact Sheet: Portugal and Norway Protect Undersea Cables

Lisbon, 3 March 2026

Today Portugal and Norway issued a joint statement on undersea cables. They share an \
interest in secure undersea cables. Under the statement:

- The two sides will complete a joint survey of undersea cable routes in the North \
Atlantic by the end of 2027.
- Industry is called on to report cable faults within 24 hours of detection.
- Norway will fund two repair ships; Portugal will host a cable security centre in Sines.
"""
LETTER = """Letter to Certain Congressional Committees

{when}

Dear Mr. Chairman: (Dear Madam Chair:)

I am providing the report on the {state}'s Accession to the North Atlantic Treaty \
Organization, prepared consistent with section 3(2)(E){ii} of the Resolution of Advice and \
Consent to{the} Ratification of the Protocols to the North Atlantic Treaty of 1949 on the \
Accession of Poland, Hungary, and the Czech Republic of April 30, 1998.

Sincerely,

JOSEPH R. BIDEN JR.
"""


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            READOUT.format(leader="Chancellor Angela Merkel", country="Germany"),
            READOUT.format(leader="President Emmanuel Macron", country="France"),
        ),
        (JOINT, FACT_SHEET),
        (
            LETTER.format(when="May 19, 2022", state="Republic of Finland", ii="", the=""),
            LETTER.format(when="May 19, 2022", state="Kingdom of Sweden", ii="", the=""),
        ),
        (  # nearly the same words, sent again six weeks later: another letter
            LETTER.format(when="May 19, 2022", state="Republic of Finland", ii="", the=""),
            LETTER.format(when="July 2, 2022", state="Republic of Finland", ii="(ii)", the=" the"),
        ),
    ],
    ids=["readouts-of-two-calls", "fact-sheet-and-its-joint-statement", "template", "resent"],
)
def test_different_statements_sharing_boilerplate_are_both_kept(library, first, second):
    a = library.add(preview(first), added_by="a")
    b = library.add(preview(second), added_by="a")
    assert a.doc_id != b.doc_id and len(library.list_statements()) == 2


def test_a_corpus_directory_with_the_same_statement_twice_loads_it_once(tmp_path):
    (tmp_path / f"{CABLES_ID}.md").write_text(
        front("Joint Statement on Undersea Cables", "2026-03-03", CABLES_FILE), "utf-8"
    )
    # sorts first, but is not named by its id: the id-named file is the one kept
    (tmp_path / "2026-03-03-cables-copy.md").write_text(
        front("Joint Statement on Undersea Cables", "2026-03-03", CABLES_MARKDOWN), "utf-8"
    )
    (tmp_path / "other.md").write_text(front("Other", "2026-03-03", FACT_SHEET), "utf-8")
    corpus = load_corpus(tmp_path)
    assert [d.doc_id for d in corpus.documents] == [CABLES_ID, "2026-03-03_other"]
    assert corpus.warnings == [
        f"2026-03-03-cables-copy.md: the same statement as {CABLES_ID}.md ({CABLES_ID}); "
        f"skipped, {CABLES_ID}.md is kept"
    ]


def test_ingest_out_refuses_the_same_statement_under_another_name_unless_force(tmp_path):
    out = tmp_path / "out"
    first = tmp_path / "2026-03-03_cables.txt"
    first.write_text(CABLES_FILE, "utf-8")
    ingest_file(first, out)
    again = tmp_path / "page.md"
    again.write_text(CABLES_MARKDOWN, "utf-8")
    with pytest.raises(
        IngestError,
        match=r"page\.md: the same statement is already in .*"
        r"2026-03-03_cables\.md .*use --force to replace that file",
    ):
        ingest_file(again, out)
    rep = ingest_file(again, out, force=True)  # replaced in place: the id stays
    assert rep.target.name == "2026-03-03_cables.md"
    assert [p.name for p in out.iterdir()] == ["2026-03-03_cables.md"]


# ------------------------------------------------------------------------- parties

KL_DECLARATION = """# Joint Declaration by the Prime Minister of the Kingdom of Cambodia and the Prime Minister of the Kingdom of Thailand on the Outcome of Their Meeting in Kuala Lumpur, Malaysia

The Prime Minister of the Kingdom of Cambodia and the Prime Minister of the Kingdom of Thailand, meeting in Kuala Lumpur, Malaysia, on 26 October 2025,

1. Reaffirm their commitment to the ceasefire agreed in Putrajaya on 28 July 2025.

2. Agree to withdraw heavy weapons from the border area within 30 days, under the observation of the ASEAN Observer Team.

Signed in Kuala Lumpur, Malaysia, on 26 October 2025.

For the Kingdom of Cambodia:
HUN MANET
Prime Minister

For the Kingdom of Thailand:
ANUTIN CHARNVIRAKUL
Prime Minister

Witnessed by:

ANWAR IBRAHIM
Prime Minister of Malaysia

DONALD J. TRUMP
President of the United States of America
"""  # noqa: E501


def test_a_witness_is_not_a_party_of_the_declaration_it_witnessed():
    prepared = prepare_text(KL_DECLARATION, "kl-declaration.txt")
    assert (prepared.parties, prepared.short_title) == (
        ["Cambodia", "Thailand"],
        "Cambodia–Thailand Joint Declaration",
    )


@pytest.mark.parametrize(
    ("title", "body", "parties"),
    [
        (
            "Joint Statement",
            "Cambodia and Thailand agreed on a ceasefire in the presence of the Prime "
            "Minister of Malaysia, as ASEAN Chair.",
            ["Cambodia", "Thailand"],
        ),
        (
            "Joint Statement",
            "Cambodia and Thailand signed the accord in Putrajaya, with the United States "
            "and China as observers.",
            ["Cambodia", "Thailand"],
        ),
        (
            "Cambodia–Thailand–Malaysia Joint Statement",
            "The two sides agreed.\n\nObservers: Malaysia, China",
            ["Cambodia", "Thailand"],
        ),
        (
            "Joint Declaration of Cambodia and Thailand, Witnessed by Malaysia",
            "The two sides agreed.",
            ["Cambodia", "Thailand"],
        ),
        (  # "witnessed" and "observer" that name no witness change nothing
            "PRC-Russian Federation Joint Statement",
            "China and Russia witnessed frequent exchanges and welcomed the SCO granting "
            "the observer status to Afghanistan.",
            ["China", "Russia"],
        ),
    ],
)
def test_witnesses_and_observers_are_not_parties(title, body, parties):
    assert infer_parties(title, body) == parties
