"""Boilerplate removal on the user's seeds (real scraped articles) and on generalised variants.

For every seed, the boilerplate lines are labelled by hand below; every other line is article
text and must survive (in the title or the text), every labelled line must be gone.
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
from pathlib import Path

import pytest

from pipelines import clean
from pipelines.clean import (
    _SEO_PHRASES,
    RULES,
    Cleaner,
    LineRule,
    _seo_score,
    normalize,
    text_hash,
    word_count,
)
from pipelines.config import ExtractOptions
from pipelines.extract import extract
from pipelines.records import Document, Page

BOILERPLATE: dict[str, list[str]] = {
    "000_bc7cba856f6147bf.txt": [
        "You need 3 min read Post on Jan 22, 2025",
        "Xi, Putin Discuss Relations, Ukraine",  # the title, repeated four times in the text
        "Article with TOC",
        "Table of Contents",
        "Keywords: Xi Jinping, Vladimir Putin, China, Russia, Ukraine, Ukraine Conflict, "
        "Sino-Russian Relations, Geopolitics, International Relations, Multipolar World, Belt and "
        "Road Initiative, Western Sanctions, Peace Negotiations, Global Power Dynamics.",
        "Thank you for visiting our website wich cover about Xi, Putin Discuss Relations, Ukraine. "
        "We hope the information provided has been useful to you. Feel free to contact us if you "
        "have any questions or need further assistance. See you next time and dont miss to bookmark.",
        "Latest Posts",
    ],
    "001_425fc67f1fadd79e.txt": [],
    "002_b4d1e2a150973906.txt": [],
    "003_dcbcbc1c66a60055.txt": [
        "Photo of author",
        "By Jordan Martinez",
        "Unlock the secrets of small business success with ‘How to Start a Small Business: A "
        "Step-by-Step Guide to Putting Together a Start-Up’, your comprehensive guide to turning "
        "your entrepreneurial vision into a thriving reality. https://oneupblogs.com/e-book/",
    ],
    "004_98ffcff286fe7b4b.txt": [
        "Also Read | Russia Ukraine War History",
        "Related Read | Biden Visits Kyiv",
        "Leave a Reply",
        "Your email address will not be published. Required fields are marked *",
    ],
}


def _clean_file(path: Path) -> Document:
    page = Page(
        url=path.as_uri(),
        body=path.read_text(encoding="utf-8"),
        source=str(path),
        content_type="text/plain",
    )
    doc = extract(page, ExtractOptions(), "test")
    assert isinstance(doc, Document)
    return Cleaner().clean(doc)


@pytest.mark.parametrize("name", sorted(BOILERPLATE))
def test_seed_boilerplate_gone_and_article_kept(seeds: Path, name: str) -> None:
    path = seeds / name
    doc = _clean_file(path)
    kept_lines = {normalize(line) for line in doc.text.splitlines()}
    boilerplate = {normalize(line) for line in BOILERPLATE[name]}
    for line in BOILERPLATE[name]:
        assert normalize(line) not in kept_lines, f"boilerplate survived: {line!r}"
    article = [
        ln
        for ln in path.read_text(encoding="utf-8").splitlines()
        if ln.strip() and normalize(ln) not in boilerplate
    ]
    for line in article:
        assert normalize(line) in kept_lines or normalize(line) == normalize(doc.title or ""), (
            f"article line lost: {line!r}"
        )
    assert doc.boilerplate_lines_removed >= len(BOILERPLATE[name])


def test_seed_byline_becomes_author(seeds: Path) -> None:
    assert _clean_file(seeds / "003_dcbcbc1c66a60055.txt").author == "Jordan Martinez"


@pytest.mark.parametrize(
    "line",
    [
        # The same kinds of line with other wording, typos, titles and separators.
        "Thanks so much for visiting our blog which covers about Rain Floods Downtown Again. "
        "We hope this article is helpful; don't forget to bookmark us.",
        "thank you for reading our site that cover about Local Elections. see you again soon!",
        "12 mins read Posted on March 3, 2024",
        "Estimated reading time: 4 minutes",
        "Table of contents [hide]",
        "Tags: economy, inflation, central bank",
        "Related searches: best phones 2025, cheap phones",
        "READ ALSO: Why prices keep rising",
        "Must Read – Ten things to know about the budget",
        "See also » The history of the bridge",
        "Recent Articles",
        "You might also like",
        "Leave a Comment",
        "Get your copy of ‘The Budget Planner Handbook’ today, our best-selling e-book: "
        "https://example.org/shop/planner",
        "We use cookies to give you the best experience on our site.",
        "Please enable JavaScript to view the comments.",
        "Photo of the author",
        "Share this post",
        # C4-style page furniture
        "2019-11-19T08:57:40+01:00",
        "https://static.example.com/img/5dd3a081-500-250/lead.jpg",
        "Updated at 1:23 p.m.",
        "Updated 2025-12-22 12:16 pm",
        "Thanks for signing up!",
        "Keep an eye on your inbox for the latest sports news.",
        "Get Motor Cycle Monthly delivered through your letterbox every month.",
        "- Order Reprints",
        "Print Article",
        "This copy is for your personal, non-commercial use only. To order copies, visit us.",
        "Write to Al Root at allen.root@example.com",
        "There was an error processing your subscription.",
        "Tell us what YOU think...",
        "Like this story? Share it with a friend!",
        "Also on rt.com Journalists threatened with arrests",
        "GET FOX BUSINESS ON THE GO BY CLICKING HERE",
        "[button link=”http://example.com/submit/”] Send us YOUR review[/button]",
        "(Leggi anche su: I Cavalieri dello Zodiaco, ecco gli attori)",
        "SEE MORE: Hong Kong protests: 800 students under siege",
        "Pick Six Newsletter",
        "Trending now",
    ],
)
def test_generalised_boilerplate_is_removed(line: str) -> None:
    text = "A long enough article sentence about the city council and its budget.\n" + line
    verdicts = Cleaner().explain(text, "Some Title")
    assert verdicts[0].kept
    assert not verdicts[1].kept, f"not removed: {line!r}"


@pytest.mark.parametrize(
    "line",
    [
        # Article sentences that merely mention the same words must stay.
        "Thank you for visiting, the mayor told the delegation, before the talks began.",
        "Readers who visited our website last year will remember the flood maps.",
        "By Monday evening, the river had risen another metre.",
        "Tags on the recovered crates showed they had come from the northern port.",
        "The report, which covers about 3,000 households, found rents rose sharply.",
        "Leave a reply slip at the front desk, the clerk said, and someone will call you back.",
        "The company's e-book sales, detailed at https://example.org/report, doubled last year.",
        "Table of contents pages were missing from the recovered manuscript, historians said.",
        "Click here to get more information or download this game.",
        "You can also subscribe to this newsletter here — just tick the box.",
        "http://amzn.to/2iJFhRj",
        "AUSTRALIA AHEAD",
        "Don't Miss",
        "Updated figures from the agency arrived at 3:15 pm on Friday.",
    ],
)
def test_article_sentences_are_kept(line: str) -> None:
    verdicts = Cleaner().explain("Intro paragraph of the story.\n" + line, "Some Title")
    assert all(v.kept for v in verdicts), [v for v in verdicts if not v.kept]


def test_a_repeated_block_is_cut_but_a_repeated_question_is_kept() -> None:
    body = [f"Paragraph {w} of the story has enough words to be a sentence." for w in "abcd"]
    question = "What inspired you to start cooking for other people at home?"
    text = "\n".join([*body, question, "An answer.", question, "Another answer.", *body])
    rules = [ln.rule for ln in Cleaner().explain(text, "Cooking for others")]
    assert rules[:8] == [None] * 8
    assert rules[8:] == ["repeated_block"] * 4


def test_a_line_that_is_the_pages_own_url_is_removed() -> None:
    url = "https://www.example.com/news/cat-found-14848175.php"
    lines = Cleaner().explain(f"The cat was found.\n{url}", None, (url,))
    assert [ln.rule for ln in lines] == [None, "own_url"]


def test_comment_section_is_cut_to_the_end() -> None:
    text = "\n".join(
        [
            *(f"Article sentence number {i} about the harbor." for i in range(6)),
            "Leave a Reply",
            "Great article, thanks!",
            "I disagree with paragraph two.",
        ]
    )
    lines = Cleaner().explain(text, None)
    assert [ln.rule for ln in lines][-3:] == [
        "comment_heading",
        "comment_section",
        "comment_section",
    ]
    assert all(ln.kept for ln in lines[:6])


def _corpus_lines(seeds: Path) -> list[str]:
    """Real lines: the seeds, the bundled demo site's texts, and the SEO dev set's pages (its
    injected boilerplate, with slots filled as on its pages)."""
    import random

    from bench.quality.seo_templates import TEMPLATES as SEO_TEMPLATES
    from bench.quality.seo_templates import SeoArticle
    from deploy.demo.sitegen import ARTICLES

    lines = [ln for p in sorted(seeds.iterdir()) for ln in p.read_text().splitlines()]
    lines += [para for a in ARTICLES for para in a.paragraphs]
    for n, a in enumerate(ARTICLES):
        art = SeoArticle(a.slug, a.title, a.author, a.published, a.paragraphs)
        others = [b.title for b in ARTICLES[:3]]
        for template in SEO_TEMPLATES:
            lines += [b.text for b in template.build(art, random.Random(n), others)]
    return [ln.strip() for ln in lines if ln.strip()]


def test_rule_prefilters_never_hide_a_match(seeds: Path) -> None:
    """The shortcuts in `Cleaner._rule_for` (one combined pattern for the anchored rules,
    `needs` substrings, `_SEO_NEEDS`) decide exactly as trying every rule in turn."""
    examples = [
        "We use cookies to improve your experience",
        "This website uses cookies",
        "Accept all cookies",
        "Read our Cookie Policy",
        "Please enable JavaScript to view the comments",
        "JavaScript is disabled in your browser",
        "Thanks for subscribing!",
        "Keep an eye on your inbox",
        "Delivered to your door every week",
        "12 issues for £10",
        "CLICK HERE to get the app",
        "Thank you for visiting our website wich cover about Rain in Oslo",
        "We hope the information in this article is useful to you.",
        "Feel free to contact us. Don't forget to bookmark this page.",
        "See you next time! Share this with your friends.",
        "If you found this article useful, visit our blog again.",
        "5 min read",
        "Posted on March 3, 2024",
        "Grab your free e-book at https://deals.example/ebook today",
        "Download the guide: WWW.Example.com/guide, and unlock your discount",
    ]
    cleaner = Cleaner()

    def naive(text: str) -> str | None:
        words = len(text.split())
        for rule in RULES:
            if words <= rule.max_words and rule.pattern.search(text):
                return rule.code
        return None

    for line in examples + _corpus_lines(seeds):
        for text in (line, line.upper(), line.lower()):
            found = cleaner._rule_for(text)
            expected = naive(text)
            if expected is not None:
                assert found == expected, text
            else:
                assert found in (None, "seo_template", "affiliate", "byline"), text
            seo = sum(1 for phrase in _SEO_PHRASES if phrase.search(text))
            assert _seo_score(text) == seo, text
            plug = all(p.search(text) for p in (clean._URL, clean._PROMO, clean._CALL_TO_ACTION))
            if expected is None and seo < 2:
                assert (found == "affiliate") == plug, text


def _numbered(rules: tuple[LineRule, ...]) -> tuple[LineRule, ...]:
    # Each rule's code is its position: which rule decided is visible, not only its kind.
    return tuple(LineRule(str(i), r.pattern, r.max_words, r.needs) for i, r in enumerate(rules))


_RULE_SETS = {
    "default": _numbered(RULES),
    # Reversed: unanchored rules come before most anchored ones, and rules that match the same
    # lines swap precedence.
    "reversed": _numbered(RULES[::-1]),
    # Case-sensitive and multi-line patterns among the case-blind ones (flags scoped to their
    # group), and a verbose one, whose flag cannot be: every rule is tried.
    "mixed flags": _numbered(
        (
            LineRule("a", re.compile(r"^Share\W*$"), 3),
            *RULES[:8],
            LineRule("b", re.compile(r"^tags:.*$", re.I | re.M), 6),
            *RULES[8:],
        )
    ),
    "verbose": _numbered(
        (*RULES[:5], LineRule("v", re.compile(r"^ share \W* $", re.X)), *RULES[5:])
    ),
    # Two patterns with a group of the same name, which cannot be joined into one expression.
    "same group names": _numbered(
        (
            *RULES[:3],
            LineRule("g", re.compile(r"^(?P<word>share)\W*$", re.I)),
            LineRule("h", re.compile(r"^(?P<word>tweet)\W*$", re.I)),
            *RULES[3:],
        )
    ),
}


@pytest.mark.parametrize("name", _RULE_SETS)
def test_the_first_matching_rule_decides_whatever_the_shortcuts(seeds: Path, name: str) -> None:
    """`Cleaner._rule_for` finds the first rule, in the cleaner's order, that matches a line —
    as trying each rule in turn does — through its combined expression of the anchored rules
    that allow the line's word count: on real lines, in three cases, cut or padded to every
    word limit of the rules and one word over it, and with rules in another order or with
    other flags."""
    rules = _RULE_SETS[name]
    cleaner = Cleaner(rules)
    limits = sorted({r.max_words for r in rules})
    lines = [
        "Subscribe to our newsletter, we use cookies",
        "Tags: rain, Oslo. Thanks for subscribing!",
        "Share",
        "share",
        "Related Posts: CLICK HERE for more",
        "Read more: Also on example.com the news",
        *_corpus_lines(seeds),
    ]
    tried = 0
    for line in lines:
        words = line.split()
        variants = {line, line.upper(), line.lower()}
        for limit in limits:
            for n in (limit, limit + 1):
                variants.add(" ".join((words * (n // len(words) + 1))[:n]))
                variants.add(" ".join(words + ["again"] * (n - len(words))))
        for text in variants:
            count = len(text.split())
            expected = next((r.code for r in rules if r.matches(text, count)), None)
            found = cleaner._rule_for(text)
            if expected is not None:
                tried += 1
                assert found == expected, (text, found, expected)
            else:
                assert found in (None, "seo_template", "affiliate", "byline"), text
    assert tried > 1000


def test_metadata_is_trafilaturas_for_the_fields_records_keep() -> None:
    """`trafilatura_shortcuts.metadata` skips the categories, tags and license of trafilatura's
    `extract_metadata`; every field a record keeps must come out the same."""
    import gzip

    from trafilatura import bare_extraction
    from trafilatura.metadata import extract_metadata
    from trafilatura.settings import Extractor, set_date_params
    from trafilatura.utils import load_html

    from bench.quality.aeb import AEB
    from pipelines.trafilatura_shortcuts import metadata as _metadata
    from tests.conftest import DEMO_SITE

    pages = [p.read_text(encoding="utf-8") for p in sorted(DEMO_SITE.glob("*.html"))]
    pages += [
        gzip.decompress(p.read_bytes()).decode("utf-8", "replace")
        for p in sorted((AEB / "html").glob("*.html.gz"))[:60]
    ]
    assert len(pages) > 10
    params = set_date_params(False)
    options = Extractor(output_format="python", precision=True, comments=False)
    for n, html in enumerate(pages):
        url = f"https://example.org/page-{n}"
        expected = extract_metadata(load_html(html), url, params, False)
        # As `extract` does: one parsed tree, extracted from first, then read for metadata.
        tree = load_html(html)
        bare_extraction(tree, options=options)
        found = _metadata(tree, url, params)
        for name in ("title", "author", "url", "date", "sitename"):
            assert getattr(found, name) == getattr(expected, name), (n, name)


def test_cleaned_hash_and_word_count_are_those_of_the_cleaned_text(
    seeds: Path, tmp_path: Path
) -> None:
    # `Cleaner.clean` hashes the kept lines' normalized forms instead of normalizing the text
    # again: the result must be `text_hash` of the text it returns.
    odd = tmp_path / "odd.txt"
    odd.write_text(
        "Σοφία ΟΔΟΣ\nΚΑΛΗΣΠΕΡΑ ΣΑΣ\n\n東京都の天気\nIt's   a—test.\nLeave a Reply\nΑΣ\n"
        "İstanbul'da İİ ﬁre ǅ\nsnake_case __init__ 3.14 v2 _\ntab\tseparated  words\n"
        "Tokyo 東京 mixed line\n-- ... --\n",
        encoding="utf-8",
    )
    docs = [_clean_file(path) for path in [*sorted(seeds.iterdir()), odd]]
    # HTML pages as workers process them: words counted once, by the cleaner.
    from tests.conftest import DEMO_SITE

    for path in sorted(DEMO_SITE.glob("*.html")):
        page = Page(url=path.as_uri(), body=path.read_text(encoding="utf-8"), source=str(path))
        found = extract(page, ExtractOptions(), "r", count_words=False)
        if isinstance(found, Document):
            docs.append(Cleaner().clean(found))
    assert sum(doc.boilerplate_lines_removed > 0 for doc in docs) >= 3
    for doc in docs:
        assert doc.text_hash == text_hash(doc.text)
        assert doc.word_count == word_count(doc.text)


def test_normalize_is_the_lower_cased_words_of_any_text() -> None:
    """`normalize` blanks every character but ASCII letters, digits and "_" where a text's
    words are ASCII, and every character outside ASCII that is no word's in the lower-cased
    text where they are not: exact only if lower-casing never turns a character that is not a
    word character into one (checked over all of Unicode), and equal to its definition on
    random texts of ASCII, punctuation, letters with case rules of their own and other
    digits; `text_hash` hashes that form."""
    word = re.compile(r"\w")
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if not word.match(char):
            assert not word.search(char.lower()), hex(code)

    def definition(text: str) -> str:
        return " ".join(re.findall(r"\w+", text.lower()))

    rng = random.Random(7)
    alphabet = [chr(c) for c in range(128)] * 3 + list("’“”—–…•©®™«»¿¡\u00a0\u2009\u200b")
    alphabet += list("éßİıſKﬁǅΣσςΑ٣²½東_\ud800")
    for n in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        if n % 2:  # mostly ASCII, as most lines are
            text = "".join(ch if rng.random() < 0.1 else rng.choice(alphabet[:384]) for ch in text)
        assert normalize(text) == definition(text), repr(text)
        assert text_hash(text) == hashlib.sha1(definition(text).encode()).hexdigest(), repr(text)


def test_token_count_is_the_number_of_whitespace_separated_tokens() -> None:
    """`_token_count` counts spaces where a line's only whitespace is single spaces: exact only
    if every other character `str.split` splits on is unprintable (checked over all of
    Unicode), and equal to `len(line.split())` on random lines."""
    from pipelines.clean import _token_count

    for code in range(sys.maxunicode + 1):
        char = chr(code)
        if char.isspace() and char != " ":
            assert not char.isprintable(), hex(code)
    rng = random.Random(11)
    alphabet = list("ab. ,") * 4 + list("  \t\n\u00a0\u2009\u3000\x1c\x85\u200b\xad—é東")
    for _ in range(20_000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert _token_count(line) == len(line.split()), repr(line)


def test_a_bare_comments_label_removes_its_line_and_cuts_nothing() -> None:
    text = "\n".join(
        [
            *(f"Article sentence number {i} about the harbor." for i in range(4)),
            "Comments?",
            *(f"More of the article, paragraph {i}, after a label." for i in range(4)),
        ]
    )
    lines = Cleaner().explain(text, None)
    assert [ln.rule for ln in lines] == [None] * 4 + ["comment_label"] + [None] * 4


def _doc(text: str) -> Document:
    return Document(
        "id", "https://x.example/a", "https://x.example/a", "x.example", "A title", None,
        None, None, None, text, 0, "", None, "r", "s", None, 0,
    )  # fmt: skip


def test_the_safety_net_undoes_a_cut_that_would_take_most_of_a_page() -> None:
    article = [f"Short line {i} of the story." for i in range(5)]
    rest = [
        f"A long paragraph {i} of the same article, which only looks like a comment section "
        "because of the heading above it, and it goes on for many words."
        for i in range(4)
    ]
    text = "\n".join([*article, "Leave a Reply", *rest, "We use cookies to improve your visit."])
    cleaner = Cleaner()
    cut = [ln.rule for ln in cleaner.explain(text, "A title")]
    assert cut.count("comment_section") == 4  # without the net: most of the page goes
    doc = cleaner.clean(_doc(text))
    assert doc.fallback == "cleaning_cut"
    assert all(line in doc.text for line in [*article, *rest])
    # Lines that line rules remove still go: they are boilerplate wherever they are.
    assert "cookies" not in doc.text and "Leave a Reply" not in doc.text
    assert doc.removed_by_rule == {"comment_heading": 1, "cookies": 1}


def test_the_safety_net_leaves_line_rules_alone_on_a_page_mostly_boilerplate() -> None:
    text = "\n".join(
        [
            "A short article of one line.",
            "We use cookies to improve your visit.",
            "Share on Facebook Twitter Pinterest Email",
            "Subscribe to our newsletter to get the latest reviews in your inbox",
            "Leave a Reply",
            "Your email address will not be published. Required fields are marked *",
        ]
    )
    doc = Cleaner().clean(_doc(text))
    assert doc.text == "A short article of one line."
    assert doc.fallback is None


def test_the_safety_net_leaves_an_ordinary_cut_alone() -> None:
    text = "\n".join(
        [
            *(
                f"A long paragraph {i} of the article, with enough words to be the page."
                for i in range(6)
            ),
            "Leave a Reply",
            "Great article, thanks!",
        ]
    )
    doc = Cleaner().clean(_doc(text))
    assert doc.fallback is None
    assert "Great article" not in doc.text


# Kinds of lines in several languages (`clean._FAMILY_RULES`), and article sentences with the
# same words, which must stay.
@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("6 min read", "read_time"),
        ("Lesezeit: 4 Minuten", "read_time"),
        ("Lettura di 3 minuti", "read_time"),
        ("Inhaltsverzeichnis", "toc"),
        ("Contenido [ocultar]", "toc"),
        ("Palavras-chave: banco, futuro", "keywords"),
        ("Mehr zum Thema: Die Zukunft der Banken", "read_also"),
        ("Leia a seguir", "related_heading"),
        ("Laat een reactie achter", "comment_heading"),
        ("Tap to share on LinkedIn", "share"),
        ("Artikel teilen: Facebook, X, WhatsApp", "share"),
        ("Compártelo en tus redes sociales", "share"),
        ("Siga-nos no Instagram", "follow"),
        ("Word lid van ons Telegram-kanaal", "follow"),
        ("Jetzt den Newsletter abonnieren", "newsletter"),
        ("Iscriviti alla nostra newsletter", "newsletter"),
        (
            "Dit artikel bevat affiliate links: wij ontvangen een commissie op aankopen.",
            "affiliate",
        ),
        ("Werbung | Bezahlte Partnerschaft", "sponsored"),
        ("Contenuto sponsorizzato", "sponsored"),
        ("Sponsored content: this story was made with our sponsor.", "sponsored"),
        ("Follow me on Instagram: @harborblog", "follow"),
        ("© 2025 CityWire Media. All rights reserved.", "copyright"),
        ("Photo: © Jane Doe/Getty Images", "image_credit"),
        ("Enjoyed this piece? We need your help to keep publishing.", "appeal"),
        ("Merci d'avoir lu Pluie à Oslo ! Revenez bientôt sur Le Port.", "seo_template"),
        (
            "Vielen Dank für Ihren Besuch. Speichern Sie Hafenblatt in Ihren Lesezeichen.",
            "seo_template",
        ),
        ("This story is brought to you by our partners.", "sponsored"),
    ],
)
def test_kinds_of_lines_are_known_in_several_languages(line: str, rule: str) -> None:
    assert Cleaner()._rule_for(line) == rule


@pytest.mark.parametrize(
    "sentence",
    [
        "I read the report in 20 minutes.",
        "The minister shared the post on Facebook after the vote.",
        "Users can share photos on Facebook and Instagram, the company said.",
        "Follow the money, investigators told the committee on Tuesday.",
        "Join the strike, the union told its members by email.",
        "The company said customers who subscribe get the newsletter for free.",
        "Amazon said its affiliate program pays creators a commission on purchases.",
        "The marathon was sponsored by a local bank.",
        "Werbung im Internet wächst schneller als jede andere Branche.",
        "Das Inhaltsverzeichnis des Berichts umfasst zwölf Kapitel.",
        "Die Themen der Konferenz waren Klima und Energie, sagte sie.",
        "Los temas: clima, energía y empleo dominaron el debate.",
        "He left a comment on the minister's page that went viral.",
        "Subscribe now and pay later, the telecom's new offer by email says.",
        "Follow my advice on this: buy a bike and ride it on Instagram-worthy trails.",
        "Copyright law protects authors, the court said.",
        "The photo was taken by a Reuters photographer in Kyiv.",
        "The charity asked people to donate blood, and we did.",
        "Vielen Dank, sagte der Minister, und kam bald wieder zurück nach Berlin.",
        "Merci, a dit le ministre, qui reviendra à bientôt trois ans de mandat.",
        "The partner at the firm said its links to the bank earned it a fee, we learned.",
    ],
)
def test_article_sentences_with_the_same_words_stay(sentence: str) -> None:
    assert Cleaner()._rule_for(sentence) is None, sentence


def test_a_page_whose_text_is_its_title_keeps_it() -> None:
    doc = Cleaner().clean(_doc("A title"))
    assert doc.text == "A title" and doc.fallback == "cleaning_cut"
