"""Fictional publishers and their boilerplate-heavy page templates.

Used three ways: `python deploy/demo/sitegen.py` writes the bundled demo pages under
`deploy/demo/site/` (committed; `make demo` ingests them), the tests read those pages, and
`bench/` wraps real article texts in the same templates to make large corpora.

Every template injects the SEO boilerplate the project exists to remove, with the article's
title in its slots, so the cleaner is exercised the way real sites exercise it.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ARTICLES", "TEMPLATES", "Article", "render", "write_demo_site"]


@dataclass(frozen=True)
class Article:
    slug: str
    title: str
    author: str
    published: str
    paragraphs: tuple[str, ...]


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _paras(article: Article) -> str:
    return "\n".join(f"<p>{_e(p)}</p>" for p in article.paragraphs)


def harbor_ledger(a: Article, url: str, related: list[str], canonical: str | None = None) -> str:
    """WordPress-style: read-time banner, repeated title, TOC, keywords, thank-you paragraph,
    related posts, comment form."""
    words = sum(len(p.split()) for p in a.paragraphs)
    rel = "".join(f"<li><a href='#'>{_e(t)}</a></li>" for t in related)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{_e(a.title)} - The Harbor Ledger</title>
<link rel="canonical" href="{_e(canonical or url)}">
<meta property="og:site_name" content="The Harbor Ledger">
<meta name="author" content="{_e(a.author)}">
<meta property="article:published_time" content="{a.published}">
</head><body><header><nav><a href="/">Home</a> <a href="/news">News</a></nav></header>
<main><article>
<h1>{_e(a.title)}</h1>
<p>You need {max(1, words // 200)} min read Post on {a.published}</p>
<p>{_e(a.title)}</p>
<p>Article with TOC</p><p>Table of Contents</p>
{_paras(a)}
<p>Keywords: {_e(", ".join(a.title.split()[:6]))}, news, analysis, latest updates</p>
<p>{_e(a.title)}</p>
<p>Thank you for visiting our website wich cover about {_e(a.title)}. We hope the information
provided has been useful to you. Feel free to contact us if you have any questions or need further
assistance. See you next time and dont miss to bookmark.</p>
<h3>Related Posts</h3><ul>{rel}</ul>
<h3>Leave a Reply</h3>
<p>Your email address will not be published. Required fields are marked *</p>
<form><label>Comment *</label><textarea></textarea><label>Name *</label><input>
<p>Save my name, email, and website in this browser for the next time I comment.</p></form>
</article></main><footer>© The Harbor Ledger</footer></body></html>"""


def valley_post(a: Article, url: str, related: list[str], canonical: str | None = None) -> str:
    """News site: byline, "Also Read |" plugs inside the body, share row, newsletter box."""
    paras = list(a.paragraphs)
    mid = max(1, len(paras) // 2)
    also = f"<p>Also Read | {_e(related[0] if related else 'Markets in brief')}</p>"
    body = "\n".join(f"<p>{_e(p)}</p>" for p in paras[:mid]) + also
    body += "\n".join(f"<p>{_e(p)}</p>" for p in paras[mid:])
    body += f"<p>Related Read | {_e(related[-1] if related else 'Weather this week')}</p>"
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{_e(a.title)} | Valley Daily Post</title>
<link rel="canonical" href="{_e(canonical or url)}">
<meta property="og:site_name" content="Valley Daily Post">
<meta property="article:published_time" content="{a.published}">
</head><body>
<div class="cookie">We use cookies to improve your experience. Accept all cookies</div>
<article><h1>{_e(a.title)}</h1>
<p>By {_e(a.author)}</p>
<p>Published on {a.published}</p>
{body}
<p>Share this article</p><p>Facebook Twitter LinkedIn Email</p>
<p>Subscribe to our newsletter for daily updates in your inbox.</p>
</article>
<aside><h4>Trending</h4><ul><li>Local team wins</li><li>Road closures</li></ul></aside>
</body></html>"""


def metro_briefs(a: Article, url: str, related: list[str], canonical: str | None = None) -> str:
    """Heavy template for short briefs: author photo, tags, affiliate plug, latest posts."""
    latest = "".join(f"<p>{_e(t)}</p>" for t in related)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{_e(a.title)} — Metro Briefs</title>
<link rel="canonical" href="{_e(canonical or url)}">
<meta property="og:site_name" content="Metro Briefs">
<meta property="article:published_time" content="{a.published}">
</head><body><div id="content"><article>
<h1>{_e(a.title)}</h1>
<p>Photo of author</p>
<p>By {_e(a.author)}</p>
{_paras(a)}
<p>Tags: city, briefs, {_e(a.slug.replace("-", ", "))}</p>
<p>Unlock the secrets of smart city living with ‘The Metro Guide: 50 Ways to Love Your City’,
your comprehensive guide to urban life. https://metrobriefs.example/e-book/</p>
<p>Thanks for reading! We hope this article was helpful. Don't forget to share it with your
friends and bookmark our site.</p>
<h4>Latest Posts</h4>
{latest}
</article></div></body></html>"""


def northwind(a: Article, url: str, related: list[str], canonical: str | None = None) -> str:
    """Syndication network: plain wrapper, a canonical link back to the original."""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{_e(a.title)}</title>
<link rel="canonical" href="{_e(canonical or url)}">
<meta property="og:site_name" content="Northwind Syndicate">
</head><body><article><h2>{_e(a.title)}</h2>
<p>{a.published} · 4 min read</p>
{_paras(a)}
<p>Read more: {_e(related[0] if related else "More from Northwind")}</p>
<p>Filed under: World, Syndicated</p>
</article></body></html>"""


TEMPLATES = {
    "harbor-ledger": harbor_ledger,
    "valley-post": valley_post,
    "metro-briefs": metro_briefs,
    "northwind": northwind,
}
HOSTS = {
    "harbor-ledger": "harborledger.example",
    "valley-post": "valleypost.example",
    "metro-briefs": "metrobriefs.example",
    "northwind": "northwind.example",
}


def render(
    template: str, article: Article, related: list[str], canonical: str | None = None
) -> tuple[str, str]:
    """(url, html) of `article` on the site of `template`."""
    url = f"https://{HOSTS[template]}/{article.published[:4]}/{article.slug}"
    return url, TEMPLATES[template](article, url, related, canonical)


ARTICLES: tuple[Article, ...] = (
    Article(
        "river-bridge-reopens",
        "Old River Bridge Reopens After Two-Year Repair",
        "Dana Whitlock",
        "2026-03-04",
        (
            "The Old River Bridge reopened to traffic on Tuesday morning after a two-year repair "
            "project that replaced its corroded steel deck and strengthened the stone piers that "
            "have carried the crossing since 1911.",
            "City engineers said the work came in four months late but slightly under its budget of "
            "38 million, largely because the contractor reused the original granite facing instead "
            "of quarrying new stone.",
            "Commuters who spent two years on a twelve-minute detour through the industrial district "
            "lined up before dawn to be among the first across. A cyclist from the east bank said "
            "the new protected lane was the best thing the council had built in a decade.",
            "The bridge now carries two traffic lanes, a bus lane in each direction and a separated "
            "path for walkers and cyclists. Load limits that had kept lorries off the span since "
            "2019 have been lifted.",
            "Officials warned that night closures will continue through April while crews finish "
            "painting the railings and installing the lighting that gives the bridge its evening glow.",
        ),
    ),
    Article(
        "library-late-fees",
        "County Library Drops Late Fees for Good",
        "Priya Castellanos",
        "2026-02-11",
        (
            "The county library system will stop charging late fees on books, films and music from "
            "the first of next month, ending a policy its director called a tax on the people who "
            "need the library most.",
            "A two-year trial at three branches found that returns arrived about as quickly without "
            "fines as with them, while the number of young readers with blocked cards fell by more "
            "than half.",
            "Fees brought in roughly 90,000 a year, less than one percent of the system's budget, "
            "and staff spent hundreds of hours collecting them. The board voted seven to two to end "
            "them permanently.",
            "Readers who lose an item will still be asked to pay for a replacement, and the library "
            "said it would forgive existing fines for anyone who brings back overdue materials before "
            "the summer reading season begins.",
        ),
    ),
    Article(
        "harbor-wind-farm",
        "Harbor Wind Farm Wins Final Approval",
        "Tomas Eriksen",
        "2026-01-20",
        (
            "State regulators gave final approval on Monday to a twelve-turbine wind farm off the "
            "northern breakwater, clearing the last hurdle for a project first proposed nine years ago.",
            "The developer expects construction to begin next spring and the turbines to supply "
            "power to about 40,000 homes once they are spinning in late 2028.",
            "Fishing crews had opposed earlier designs that placed turbines across the channel used by "
            "the autumn herring fleet. The approved layout moves the array two kilometres east and "
            "leaves the channel open.",
            "Bird conservation groups said they would monitor the site closely after the developer "
            "agreed to pause the turbines during the spring migration when radar shows large flocks "
            "approaching the coast.",
            "The harbor authority will lease the old ferry terminal to the developer as a staging "
            "yard, bringing an estimated 200 construction jobs to the waterfront.",
        ),
    ),
    Article(
        "school-lunch-program",
        "Free School Lunches Extended to Every Pupil",
        "Marguerite Olufemi",
        "2026-04-02",
        (
            "Every pupil in the district's primary and middle schools will receive a free lunch from "
            "September, after the school board approved a plan to cover the cost from the state's "
            "new nutrition fund.",
            "Until now only children from families below an income threshold qualified, and teachers "
            "said the paperwork kept many eligible families from applying at all.",
            "The district's kitchens will hire fifteen additional cooks and buy more produce from "
            "farms within fifty miles, part of a push to serve fresh meals rather than reheated ones.",
            "Parents at Thursday's meeting welcomed the decision, though several asked the board to "
            "publish menus in advance so families with allergies can plan ahead.",
        ),
    ),
    Article(
        "museum-night-hours",
        "Science Museum Adds Late Opening on Fridays",
        "Ilse Varga",
        "2026-05-15",
        (
            "The science museum will stay open until ten o'clock every Friday starting in June, "
            "with planetarium shows, live experiments and a rooftop telescope for visitors who come "
            "after work.",
            "The museum trialled three late openings last winter and drew more than 6,000 visitors, "
            "most of them adults without children, a group its director said the museum had long "
            "struggled to reach.",
            "Tickets after six o'clock will cost half the daytime price, and the cafe will serve a "
            "short evening menu. Members get in free.",
        ),
    ),
    Article(
        "market-hall-vendors",
        "Market Hall Vendors Face Rent Rise",
        "Owen Achterberg",
        "2026-03-28",
        (
            "Traders at the covered market hall say a planned rent increase of nearly thirty percent "
            "could force some of the oldest stalls to close before the end of the year.",
            "The council, which owns the building, says the rise is needed to pay for a new roof and "
            "fire safety work and that rents have not changed since 2014.",
            "A butcher whose family has run the same corner stall for three generations said customers "
            "would not accept higher prices and that he was considering moving to a shop on the high "
            "street instead.",
            "Councillors agreed to phase the increase over three years after a petition with more than "
            "4,000 signatures was delivered to the town hall on Wednesday.",
        ),
    ),
)

_BRIEF_TOPICS = (
    (
        "tram-timetable",
        "Tram Timetable Changes on Sunday",
        "The number 4 tram will run every eight minutes instead of every twelve from Sunday, the "
        "transit authority said, after ridership on the route grew by a fifth this year. Early morning "
        "services will start half an hour sooner to serve hospital shift workers, and the last tram "
        "will leave the terminus at midnight on weekends.",
    ),
    (
        "park-pond-cleanup",
        "Volunteers Clear Two Tonnes From Park Pond",
        "More than eighty volunteers pulled two tonnes of rubbish out of the pond in Elm Park on "
        "Saturday, including three shopping trolleys, a moped and hundreds of plastic bottles. The "
        "parks department will install a new filter at the inlet next month and said ducks and "
        "herons had already returned to the cleared water.",
    ),
    (
        "bakery-award",
        "Corner Bakery Wins National Bread Prize",
        "A small bakery on Canal Street has won the national sourdough prize, beating more than three "
        "hundred entries with a rye loaf made from grain grown on a farm outside the city. The owner "
        "started baking in her kitchen during a long winter of unemployment and opened the shop four "
        "years ago with a loan from her brother.",
    ),
)


def _briefs() -> tuple[Article, ...]:
    return tuple(
        Article(slug, title, "Sam Okafor", "2026-06-0" + str(i + 1), (text,))
        for i, (slug, title, text) in enumerate(_BRIEF_TOPICS)
    )


def _copy(article: Article, **changes: object) -> Article:
    fields = {**article.__dict__, **changes}
    return Article(**fields)  # type: ignore[arg-type]


def demo_pages() -> list[tuple[str, str, str]]:
    """(file name, url, html) of every bundled demo page."""
    titles = [a.title for a in ARTICLES]
    pages: list[tuple[str, str, str]] = []

    def add(name: str, template: str, article: Article, canonical: str | None = None) -> str:
        related = [t for t in titles if t != article.title][:3]
        url, page = render(template, article, related, canonical)
        pages.append((f"{name}.html", url, page))
        return url

    sites = ("harbor-ledger", "valley-post", "metro-briefs")
    originals = {}
    for i, article in enumerate(ARTICLES):
        originals[article.slug] = add(f"{sites[i % 3]}-{article.slug}", sites[i % 3], article)
    bridge, library, wind = ARTICLES[0], ARTICLES[1], ARTICLES[2]
    # Syndicated copies: new headline, other wrapper, a dropped last paragraph, an editor's
    # note, a few changed words. Each must be found as a near-duplicate of its original.
    add(
        "northwind-bridge-copy",
        "northwind",
        _copy(
            bridge,
            slug="bridge-back-open",
            title="Commuters Cheer as Historic Crossing Returns",
            published="2026-03-05",
            paragraphs=bridge.paragraphs[:-1],
        ),
    )
    add(
        "valley-post-library-copy",
        "valley-post",
        _copy(
            library,
            slug="no-more-fines",
            title="Library Ends Fines",
            published="2026-02-12",
            paragraphs=(
                "Editor's note: this story first appeared in The Harbor Ledger.",
                *library.paragraphs,
            ),
        ),
    )
    add(
        "northwind-wind-copy",
        "northwind",
        _copy(
            wind,
            slug="offshore-turbines-approved",
            title="Offshore Turbines Get the Green Light",
            published="2026-01-21",
            paragraphs=tuple(
                p.replace("Monday", "Tuesday")
                .replace("twelve", "12")
                .replace("radar shows", "radar detects")
                for p in wind.paragraphs
            ),
        ),
    )
    # The same page saved twice under another name: a URL duplicate.
    name, url, page = pages[0]
    pages.append(("mirror-" + name, url, page))
    # Short, different briefs on one heavy template: must never be merged.
    for brief in _briefs():
        add(f"metro-briefs-{brief.slug}", "metro-briefs", brief)
    return pages


def write_demo_site(root: Path) -> int:
    """Write the demo pages under `root`; returns how many were written."""
    root.mkdir(parents=True, exist_ok=True)
    pages = demo_pages()
    for name, _url, page in pages:
        (root / name).write_text(page + "\n", encoding="utf-8")
    return len(pages)


def shuffled_templates(seed: int) -> list[str]:
    """Template names in a seeded random order (for generated corpora)."""
    names = list(TEMPLATES)
    random.Random(seed).shuffle(names)
    return names


if __name__ == "__main__":
    count = write_demo_site(Path(__file__).parent / "site")
    print(f"wrote {count} pages to {Path(__file__).parent / 'site'}")
