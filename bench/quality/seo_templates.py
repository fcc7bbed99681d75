"""Boilerplate-heavy site templates for the SEO dev set (`bench/quality/seo.py`).

Each template wraps a real article (AEB ground truth) in one fictional site's page and injects
SEO boilerplate *inside the article container* — where trafilatura keeps it — returning the page
and the exact lines it injected (the truth). Slots change on every page: the title, dates,
counts, authors, other articles' titles.

`TUNED` templates were used while writing the cleaner's rules; `HELD_OUT` templates were written
afterwards, with their own wording, and are the test: the targets are reported on them.
"""

from __future__ import annotations

import html
import random
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["HELD_OUT", "TEMPLATES", "TUNED", "Block", "SeoArticle", "Template"]


@dataclass(frozen=True)
class SeoArticle:
    slug: str
    title: str
    author: str
    date: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class Block:
    """One line of the page body: an article paragraph or an injected boilerplate line."""

    text: str
    boilerplate: bool
    tag: str = "p"


Builder = Callable[[SeoArticle, random.Random, list[str]], list[Block]]


@dataclass(frozen=True)
class Template:
    name: str
    host: str
    sitename: str
    build: Builder

    def render(
        self, article: SeoArticle, rng: random.Random, others: list[str]
    ) -> tuple[str, str, list[Block]]:
        """(url, html, blocks) of the article on this site."""
        url = f"https://{self.host}/{article.slug}"
        blocks = self.build(article, rng, others)
        body = "\n".join(_tag(b) for b in blocks)
        page = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{_e(article.title)} | {_e(self.sitename)}</title>
<link rel="canonical" href="{_e(url)}">
<meta property="og:site_name" content="{_e(self.sitename)}">
<meta name="author" content="{_e(article.author)}">
<meta property="article:published_time" content="{article.date}">
</head><body><header><nav><a href="/">Home</a> <a href="/latest">Latest</a></nav></header>
<main><article><h1>{_e(article.title)}</h1>
{body}
</article></main><footer><p>{_e(self.sitename)}</p></footer></body></html>"""
        return url, page, blocks


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _tag(block: Block) -> str:
    if block.tag == "li":
        return f"<ul><li>{_e(block.text)}</li></ul>"
    return f"<{block.tag}>{_e(block.text)}</{block.tag}>"


def _bp(text: str, tag: str = "p") -> Block:
    return Block(text, True, tag)


def _paras(article: SeoArticle) -> list[Block]:
    return [Block(p, False) for p in article.paragraphs]


def _middle(article: SeoArticle, inserted: list[Block]) -> list[Block]:
    paras = _paras(article)
    mid = max(1, len(paras) // 2)
    return [*paras[:mid], *inserted, *paras[mid:]]


def _words(article: SeoArticle) -> int:
    return sum(len(p.split()) for p in article.paragraphs)


# --- templates used while tuning the rules ------------------------------------------------


def seo_farm(a: SeoArticle, rng: random.Random, others: list[str]) -> list[Block]:
    """A WordPress SEO farm: the seeds' own kinds of lines."""
    mins = max(1, _words(a) // 220)
    keywords = ", ".join(w.lower() for w in a.title.split()[:5])
    return [
        _bp(f"You need {mins} min read Post on {a.date}"),
        _bp(a.title),
        _bp("Article with TOC"),
        _bp("Table of Contents"),
        *_paras(a),
        _bp(f"Keywords: {keywords}, latest news, trending"),
        _bp(
            f"Thank you for visiting our website wich cover about {a.title}. We hope the "
            "information provided has been useful to you. Feel free to contact us if you have "
            "any questions or need further assistance. See you next time and dont miss to "
            "bookmark."
        ),
        _bp("Latest Posts", "h3"),
        *[_bp(t, "li") for t in others[:3]],
        _bp("Photo of author"),
        _bp("Leave a Reply", "h3"),
        _bp("Your email address will not be published. Required fields are marked *"),
    ]


def gadget_plug(a: SeoArticle, rng: random.Random, others: list[str]) -> list[Block]:
    """A review blog with affiliate plugs and "Also Read |" lines between paragraphs."""
    topic = a.title.split()[0].lower()
    return [
        *_middle(a, [_bp(f"Also Read | {others[0]}")]),
        _bp(f"Related Read | {others[1]}"),
        _bp(
            f"Grab your free copy of our {topic} e-book and unlock 30 expert tips: "
            f"https://gadgetplug.example/ebook/{a.slug}"
        ),
        _bp("Share on Facebook Twitter Pinterest Email"),
        _bp("Subscribe to our newsletter to get the latest reviews in your inbox"),
        _bp(f"GadgetPlug: honest reviews since {rng.randint(2005, 2012)}."),
    ]


def city_wire(a: SeoArticle, rng: random.Random, others: list[str]) -> list[Block]:
    """A wire-style news site: byline, dateline, ads, cookie notice, credits, copyright."""
    editor = rng.choice(["Mark Potter", "Alison Williams", "Chris Reese", "Diane Craft"])
    return [
        _bp(f"By {a.author}"),
        _bp(f"Published: {a.date}"),
        *_middle(a, [_bp("Advertisement"), _bp("Story continues below")]),
        _bp(f"Reporting by {a.author}; Editing by {editor}"),
        _bp("Follow us on Twitter for breaking news and live updates"),
        _bp(
            "We use cookies to improve your experience. By continuing to browse you accept "
            "our cookie policy."
        ),
        _bp(f"© {a.date[:4]} CityWire Media. All rights reserved."),
    ]


def kitchen_blog(a: SeoArticle, rng: random.Random, others: list[str]) -> list[Block]:
    """A lifestyle blog: disclosures, pin prompts, comment counts, category lines."""
    return [
        _bp("Jump to Recipe"),
        _bp("This post may contain affiliate links. Please read our disclosure policy."),
        *_paras(a),
        _bp("Pin it"),
        _bp(
            "If you found this article helpful, share it with your friends and don't forget "
            "to bookmark our blog."
        ),
        _bp(f"{rng.randint(2, 90)} Comments", "h3"),
        _bp(f"Posted in {rng.choice(['Lifestyle', 'Home', 'Food', 'Travel'])}"),
    ]


def regional_daily(a: SeoArticle, rng: random.Random, others: list[str]) -> list[Block]:
    """A regional paper: update stamps, listen prompts, tip lines, trending lists."""
    return [
        _bp(f"Updated {a.date} {rng.randint(1, 12)}:{rng.randint(10, 59)} pm"),
        _bp(f"Listen to this article {max(1, _words(a) // 180)} min"),
        *_middle(a, [_bp(f"Read more: {others[0]}")]),
        _bp("Sign up to our Morning Briefing newsletter"),
        _bp("Do you have a story for us? Email newsdesk@regionaldaily.example"),
        _bp("Trending now", "h3"),
        *[_bp(t, "li") for t in others[1:4]],
        _bp("Comments are closed."),
    ]


# --- held-out templates: written after tuning, not used to write rules ----------------------


def deal_hub(a: SeoArticle, rng: random.Random, others: list[str]) -> list[Block]:
    """A deals-and-explainers site with its own wording for the same ideas."""
    return [
        _bp(f"Estimated reading time: {max(1, _words(a) // 200)} minutes"),
        _bp("In this article"),
        *_middle(a, [_bp(f"See also: {others[0]}")]),
        _bp(
            f"DealHub may earn a commission when you buy through links on this page about "
            f"{a.title}."
        ),
        _bp(
            f"Thanks for reading {a.title}! We hope this guide was helpful. Visit our site "
            "again for more guides."
        ),
        _bp("You might also like", "h3"),
        *[_bp(t, "li") for t in others[1:3]],
        _bp("Join the conversation"),
    ]


def the_courier(a: SeoArticle, rng: random.Random, others: list[str]) -> list[Block]:
    """A metro daily with a house style: staff credits, print edition notes, app plugs."""
    page = rng.randint(2, 30)
    return [
        _bp(f"Written by {a.author} · {a.date}"),
        *_middle(a, [_bp(f"Don't miss: {others[0]}")]),
        _bp(f"A version of this story appeared in print on page A{page} of The Courier."),
        _bp("Get The Courier app for the fastest local news on iOS and Android."),
        _bp(f"Contact {a.author} at tips@thecourier.example with news about {a.title}."),
        _bp("Share this article"),
        _bp("Please enable JavaScript to view the comments."),
    ]


def answer_site(a: SeoArticle, rng: random.Random, others: list[str]) -> list[Block]:
    """An SEO Q&A farm: tables of contents, FAQ prompts, tag clouds, visitor thanks."""
    return [
        _bp(f"{a.title}"),
        _bp("Contents [hide]"),
        *_paras(a),
        _bp(f"Tags: {', '.join(w.lower() for w in a.title.split()[:4])}, guide, faq"),
        _bp(
            f"Thank you for stopping by and reading about {a.title}. Feel free to share this "
            "post, and do not forget to bookmark us for later."
        ),
        _bp("Related Articles", "h3"),
        *[_bp(t, "li") for t in others[:3]],
        _bp(f"{rng.randint(1, 40)} responses"),
        _bp("Cancel reply"),
    ]


TUNED = (
    Template("seo-farm", "dailydigesthub.example", "Daily Digest Hub", seo_farm),
    Template("gadget-plug", "gadgetplug.example", "GadgetPlug", gadget_plug),
    Template("city-wire", "citywire.example", "CityWire", city_wire),
    Template("kitchen-blog", "kitchenjoy.example", "Kitchen Joy", kitchen_blog),
    Template("regional-daily", "regionaldaily.example", "Regional Daily", regional_daily),
)
HELD_OUT = (
    Template("deal-hub", "dealhub.example", "DealHub", deal_hub),
    Template("the-courier", "thecourier.example", "The Courier", the_courier),
    Template("answer-site", "answersite.example", "AnswerSite", answer_site),
)
TEMPLATES = (*TUNED, *HELD_OUT)
