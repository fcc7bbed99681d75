"""Cleaning stage: removes the SEO boilerplate that survives extraction, line by line.

Every removed line has a rule code (`Line.rule`), counted per document in `removed_by_rule`, so
a user can see why a line went (`contentpipe extract --explain`). Rules describe the *kind* of
line — a read-time banner, a "thank you for visiting" paragraph with any title in its slot, a
keyword list — rather than one site's exact wording, and the article's own sentences must never
match them: a rule either needs a line to be short and shaped like a label, or needs several
independent SEO phrases in one line.

The cleaner is a list of rules plus two structural passes (repeated title, trailing sections);
per-site template learning (`pipelines.templates`) marks the same `Line`s with what recurs
across a site's pages.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from pipelines.records import Document

__all__ = [
    "Cleaner",
    "Line",
    "LineRule",
    "join_lines",
    "normalize",
    "normalized_line",
    "text_hash",
    "word_count",
    "words",
]

_WORD = re.compile(r"\w+", re.UNICODE)


def normalize(text: str) -> str:
    """Lower-case words joined by single spaces: punctuation and spacing do not matter.

    >>> normalize("Xi, Putin  Discuss — Relations!")
    'xi putin discuss relations'
    """
    return _normalized(text).decode("utf-8")


def _normalized(text: str) -> bytes:
    """`normalize(text)` in UTF-8, made without the expression: tables over UTF-8 bytes."""
    raw = _ascii_words(text)
    if raw is not None:
        # Every word is ASCII (other characters are punctuation, which no lower-casing turns
        # into a letter: tested over all of Unicode): one table lower-cases the letters and
        # blanks the rest, UTF-8's bytes of other characters included — three times faster
        # than the expression.
        return b" ".join(raw.translate(_ASCII_WORDS).split())
    # Words outside ASCII: lower-cased, each character outside ASCII that is no word's (a
    # quote, a dash) replaced by a space, then the same table, which keeps the bytes of those
    # left — twice as fast as the expression on the bench's Cyrillic texts.
    lowered = text.lower()
    others = lowered.encode("utf-8", "surrogatepass").translate(None, _ASCII_BYTES)
    for char in set(others.decode("utf-8", "surrogatepass")):
        if not char.isalnum():
            lowered = lowered.replace(char, " ")
    return b" ".join(lowered.encode("utf-8").translate(_WORD_BYTES).split())


def _ascii_words(text: str) -> bytes | None:
    """The text in UTF-8 if all its words are ASCII (no character outside ASCII is one that
    `\\w` matches), else None."""
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) == len(text):  # ASCII
        return raw
    # In UTF-8 a character outside ASCII is bytes ≥ 0x80 only: deleting the ASCII bytes leaves
    # exactly those characters, in one C loop (an expression over the ASCII runs took 4 times
    # as long on the bench's texts).
    others = raw.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")
    return None if _has_word_char(others) else raw


# ASCII letters lower-cased, digits and "_" kept (`\w` in ASCII), every other byte a space.
_ASCII_WORDS = bytes(
    b + 32 if 65 <= b <= 90 else b if chr(b).isalnum() or b == 95 else 32 for b in range(128)
).ljust(256, b" ")
_ASCII_BYTES = bytes(range(128))
# The same for ASCII, every byte of another character kept.
_WORD_BYTES = _ASCII_WORDS[:128] + bytes(range(128, 256))


def _has_word_char(text: str) -> bool:
    return any(ch.isalnum() or ch == "_" for ch in text)  # what `\w` matches


# Chinese and Japanese are written without spaces: each of their characters counts as a word.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORDS = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
_HAS_CJK = re.compile(rf"[{_CJK}]")


def has_cjk(text: str) -> bool:
    """Whether the text has Chinese or Japanese characters (written without spaces)."""
    return _HAS_CJK.search(text) is not None


def words(text: str) -> list[str]:
    """The words of a text, each Chinese or Japanese character as one.

    >>> words("Tokyo: 東京都の天気")
    ['Tokyo', '東', '京', '都', 'の', '天', '気']
    """
    if _HAS_CJK.search(text):
        return _WORDS.findall(text)
    return _WORD.findall(text)


def word_count(text: str) -> int:
    """Words of a text, counting each Chinese or Japanese character as one.

    >>> word_count("The quick brown fox"), word_count("東京都の天気")
    (4, 6)
    """
    return len(words(text))


def text_hash(text: str) -> str:
    """Hash of the normalized text: texts that differ only in case, spacing or punctuation
    have the same hash."""
    return hashlib.sha1(_normalized(text)).hexdigest()


def _hash_normalized(normalized: str) -> str:
    return hashlib.sha1(normalized.encode("utf-8")).hexdigest()


# A document's lines are normalized by several passes, again for its hash and by its template
# keys (`templates.line_keys`, which a worker computes right after cleaning): each once.
normalized_line = functools.lru_cache(maxsize=1024)(normalize)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a document and the verdict on it (`rule` is None when the line is kept;
    `note` says more about a verdict, such as which site template matched)."""

    text: str
    rule: str | None = None
    note: str | None = None

    @property
    def kept(self) -> bool:
        return self.rule is None


@dataclass(frozen=True, slots=True)
class LineRule:
    """A line that matches `pattern` (and has at most `max_words` words) is boilerplate `code`."""

    code: str
    pattern: re.Pattern[str]
    max_words: int = 12
    # Substrings of which a matching line has at least one (lower-cased when the pattern
    # ignores case): a cheap test that spares most lines the pattern's scan.
    needs: tuple[str, ...] = ()
    anchored: bool = field(init=False)
    ignore_case: bool = field(init=False)

    def __post_init__(self) -> None:
        # A pattern anchored at the start is tried at the start only (`match`): `search` would
        # fail at every other position of the line, one by one.
        object.__setattr__(self, "anchored", _anchored(self.pattern.pattern))
        # Read once: testing the flag on every call costs an enum operation per line and rule.
        object.__setattr__(self, "ignore_case", bool(self.pattern.flags & re.IGNORECASE))

    def matches(self, line: str, words: int | None = None, lower: str | None = None) -> bool:
        """`words` is the line's word count and `lower` the line lower-cased, when the caller
        has them already."""
        words = len(line.split()) if words is None else words
        if words > self.max_words:
            return False
        if self.needs:
            text = line
            if self.ignore_case:
                text = line.lower() if lower is None else lower
            if not any(need in text for need in self.needs):
                return False
        found = self.pattern.match(line) if self.anchored else self.pattern.search(line)
        return found is not None


def _anchored(pattern: str) -> bool:
    """Whether a (non-MULTILINE) pattern can match only at the start: it begins with "^" and has
    no "|" outside parentheses and character classes.

    >>> _anchored(r"^(a|b)c"), _anchored(r"^a|b"), _anchored(r"^[|]x"), _anchored(r"a^")
    (True, False, True, False)
    """
    if not pattern.startswith("^"):
        return False
    depth, in_class, escaped = 0, False, False
    for ch in pattern:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            return False
    return True


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I | re.UNICODE)


_SEP = r"\s*[|:–—\-»›>]+\s*"
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (
    rf"({_MONTH}\s+\d{{1,2}},?\s+\d{{4}}|\d{{1,2}}\s+{_MONTH}\s+\d{{4}}"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4})"
)


# --- Kinds of lines as vocabulary families, in several languages ---------------------------
# Each rule names the kind of line by the words every wording of it needs (a verb of
# sharing and a channel, a number with a word for minutes and one for reading), not by one
# site's phrase; written from the SEO dev set's tuned phrasings (bench/quality/seo_families.py)
# and measured on its never-tuned half. English, German, French, Spanish, Italian, Portuguese
# and Dutch. Article sentences that use the same words are tested not to match
# (tests/test_clean.py).

_CHANNEL = (
    r"facebook|twitter|x|whatsapp|linkedin|telegram|pinterest|reddit|instagram|tiktok|youtube|"
    r"threads|mastodon|e-?mail|social media|redes sociales|réseaux sociaux|"
    r"sozialen (medien|netzwerken)|social"
)
_FRIENDS = r"friends?|freunden?|amis|amigos|amici|amigos|vrienden"
_THIS_ARTICLE = (
    r"this (article|post|story|page)|diesen (beitrag|artikel)|cet article|ce post|"
    r"este (artículo|artigo|post)|esta (nota|página)|questo articolo|dit (artikel|bericht)"
)
# The site or its author speaking of itself.
_US = (
    r"us|our|me|my|uns|unser\w*|mich|mir|nous|notre|nos|moi|mon|nuestr[oa]s?|mi|ci|"
    r"nostr[oaie]|noss[oa]s?|ons|onze|mij|mijn"
)
_MINUTE = r"min|mins|minutes?|minuten|minutos|minuti"
_READ_WORD = (
    r"read|reading|lesen|lesezeit|lesedauer|lecture|lectura|leer|lettura|leggere|leitura|"
    r"ler|leestijd|leesduur|lezen"
)
_SHARE_VERB = (
    r"share|teilen|teile|partager|partagez|compartir|comparte|compártelo|compártela|"
    r"compartilhe|compartilhar|partilhar|partilhe|condividi|condividere|deel|delen|send|"
    r"envoyer|envoyez|enviar|envía|invia|envie|stuur"
)
_FOLLOW_VERB = (
    r"follow|like|join|find|folgen|folge|folgt|abonniere|abonnieren|besuchen|suivez|"
    r"suis|rejoignez|rejoins|abonnez-vous|síguenos|sigue|sígue|síganos|siga|siga-nos|únete|"
    r"suscríbete|seguici|segui|seguite|unisciti|iscriviti|entre|inscreva-se|volg|word lid|"
    r"abonneer"
)
_NEWS = (
    r"newsletter|nieuwsbrief|boletín|lettre d'information|inbox|posteingang|e-?mail|"
    r"correo|alerts?|digest"
)
_SUBSCRIBE_VERB = (
    r"subscribe|sign up|join|get|enter your e-?mail|abonnier\w*|melden sie sich|melde dich|"
    r"bestell\w*|abonnez-vous|inscrivez-vous|recevez|suscríbete|recibe|apúntate|iscriviti|"
    r"ricevi|abbonati|assine|receba|inscreva-se|cadastre-se|schrijf je in|ontvang|abonneer|"
    r"meld je aan|the best|our best|die besten|les meilleurs|lo mejor|il meglio|o melhor"
)
_TOC = (
    r"table of contents|contents|jump to( section)?|on this page|in this (article|post|guide)|"
    r"quick navigation|inhaltsverzeichnis|inhalt|auf dieser seite|in diesem (artikel|beitrag)|"
    r"sommaire|table des matières|au sommaire|dans cet article|sur cette page|índice|indice|"
    r"tabla de contenidos?|contenidos?|en este artículo|indice dei contenuti|sommario|"
    r"in questo articolo|in questa pagina|conteúdo|sumário|neste artigo|nesta página|"
    r"inhoudsopgave|inhoud|op deze pagina|in dit artikel"
)
_TOC_TOGGLE = (
    r"hide|show|verbergen|ausblenden|anzeigen|einblenden|masquer|afficher|ocultar|mostrar|"
    r"nascondi|mostra|tonen"
)
_LABELS = (
    r"schlagw(ö|o)rter|schlagworte|stichw(ö|o)rter|stichworte|themen|mots[- ]clés|thèmes|"
    r"étiquettes|sujets|etiquetas|temas|palabras clave|archivado en|argomenti|"
    r"parole chiave|archiviato in|tópicos|palavras[- ]chave|arquivado em|onderwerpen|"
    r"trefwoorden|gearchiveerd onder"
)
_ALSO_READ = (
    r"lies auch|auch interessant|mehr zum thema|passend dazu|à lire (aussi|également)|"
    r"sur le même sujet|découvrez aussi|voir aussi|te puede interesar|relacionad[oa]s?|"
    r"más sobre este tema|ver también|potrebbe interessarti|correlat[oi]|approfondisci|"
    r"vedi anche|saiba mais|lees ook|ook interessant|gerelateerd|meer hierover|"
    r"you (may|might) also like|recommended for you|more on this( topic)?"
)
_LATEST = (
    r"neueste (beiträge|artikel|nachrichten)|meistgelesen(e)?( artikel)?|"
    r"beliebte (artikel|beiträge)|das könnte sie auch interessieren|"
    r"articles (récents|populaires|similaires)|les plus lus|à lire ensuite|"
    r"populaire en ce moment|últimas (entradas|noticias)|lo más leído|"
    r"artículos (relacionados|recientes)|te recomendamos|articoli (recenti|correlati)|"
    r"i più letti|ti potrebbe interessare|da non perdere|posts? (recentes|relacionados)|"
    r"mais lidas|leia a seguir|populares|laatste (berichten|artikelen)|meest gelezen|"
    r"lees verder|populaire artikelen|what to read next|trending stories|popular on .{1,40}"
)
_COMMENTS = (
    r"leave a comment|kommentar schreiben|schreibe einen kommentar|diskutieren sie mit|"
    r"\d+ kommentare?|laisser un commentaire|\d+ commentaires?|participez à la discussion|"
    r"ajouter un commentaire|deja (un|tu) comentario|\d+ comentarios?|"
    r"únete a la conversación|escribe un comentario|lascia un commento|\d+ comment[io]|"
    r"partecipa alla discussione|scrivi un commento|deixe (um|seu) comentário|"
    r"\d+ comentários?|participe da discussão|escreva um comentário|"
    r"laat een reactie achter|\d+ reacties?|doe mee aan de discussie|schrijf een reactie|"
    r"what do you think\? let us know( below)?|\d+ thoughts on .{1,160}"
)
_SPONSORED_LABEL = (
    r"sponsored( content| post| article)?|advertiser content|paid (partnership|post)|"
    r"advertorial|gesponsert(er)? (beitrag|inhalt)|contenu sponsorisé|article sponsorisé|"
    r"contenido patrocinado|artículo patrocinado|contenuto sponsorizzato|"
    r"articolo sponsorizzato|conteúdo patrocinado|publieditorial|gesponsorde inhoud"
)
_AD_LABEL = r"anzeige|werbung|publicité|publicidad|pubblicità|publicidade|advertentie|advertisement"
_SPONSORING = (
    r"sponsor\w*|gesponsert\w*|patrocinad\w*|sponsoris\w*|sponsorizzat\w*|gesponsord\w*|"
    r"brought to you by|in partnership with|in zusammenarbeit mit|paid for by|"
    r"mede mogelijk gemaakt|offerto dai|proposé par|patrocinado por"
)
_OUR_PARTNERS = (
    r"our (partners?|sponsors?)|unserem partner|unseren partnern|nos partenaires|"
    r"notre partenaire|nuestros (socios|patrocinadores)|nostri partner|nossos parceiros|"
    r"onze partners|[\w ]{1,30}'s partners"
)
# "Partner" alone is a firm's partner: only Amazon's programme names it.
_AFFILIATE = (
    r"affiliat\w*|affiliés?|afiliad\w*|affiliazione|amazon[- ]?(partner|associate)|"
    r"partenaire amazon|associad[oa] da amazon"
)
_PAID = (
    r"commission|provision|comisión|commissione|comissão|commissie|earn|verdienen|"
    r"bénéfice|ingresos|guadagno|ganhamos|fee|paid|links?|liens?|enlaces?|compras?|"
    r"achats?|acquisti|aankopen|verkäufen|purchases?|kaufst|kaufen"
)
_WE = (
    r"we|us|our|wir|nous|podemos|obtenemos|riceviamo|potremmo|nós|ganhamos|wij|disclosure|"
    r"hinweis|" + _THIS_ARTICLE
)

_RIGHTS = (
    r"all rights reserved|alle rechte vorbehalten|tous droits réservés|"
    r"todos los derechos reservados|tutti i diritti riservati|todos os direitos reservados|"
    r"alle rechten voorbehouden"
)
_PHOTO = (
    r"photo|photos|image|images|picture|pictures|foto|fotos|bild|bilder|imagen|imágenes|"
    r"immagine|immagini|imagem|afbeelding|illustration|credit|credits"
)
_AGENCY = (
    r"©|getty|istock|shutterstock|unsplash|pexels|alamy|reuters|afp|dpa|ap photo|"
    r"associated press|epa|adobe stock|depositphotos|wikimedia|pixabay"
)
_APPEAL = (
    r"donate|donation|support (us|our (work|journalism|reporting))|become a (member|patron|"
    r"supporter)|help (us|keep) \w+|we need your help|spenden|unterstützen sie uns|"
    r"faire un don|soutenez-nous|haz una donación|apóyanos|fai una donazione|sostienici|"
    r"faça uma doação|apoie|doneer|steun ons"
)

# Substrings every match of a family rule holds (lower-cased): the rule is tried only on lines
# with one (`LineRule.needs`). Each covers every alternative of the verbs above.
_SHARE_NEEDS = (
    "share",
    "teile",
    "partag",
    "compart",
    "compárt",
    "partilh",
    "condivid",
    "deel",
    "delen",
    "send",
    "env",
    "invia",
    "stuur",
)
_FOLLOW_NEEDS = (
    "follow",
    "like",
    "join",
    "find",
    "folg",
    "abonn",
    "besuch",
    "suiv",
    "suis",
    "rejoi",
    "sígu",
    "sigu",
    "síga",
    "siga",
    "únete",
    "suscr",
    "segui",
    "unisc",
    "iscriv",
    "entre",
    "inscr",
    "volg",
    "word lid",
)
_NEWS_NEEDS = (
    "newsletter",
    "nieuwsbrief",
    "boletín",
    "lettre d",
    "inbox",
    "posteingang",
    "mail",
    "correo",
    "alert",
    "digest",
)
_APPEAL_NEEDS = (
    "donat", "support", "member", "patron", "help", "spend", "unterst", "don", "soutenez",
    "apóy", "sostien", "doaç", "apoie", "doneer", "steun",
)  # fmt: skip

_FAMILY_RULES: tuple[LineRule, ...] = (
    # "© 2025 The Ledger. All rights reserved.", "Copyright 2024 …": a site's notice.
    LineRule(
        "copyright",
        _rx(
            rf"^\W*((©|\(c\)|copyright)\s*(©\s*)?(\d{{4}}|by\b)|©\s*\S)"
            rf"|.*\b({_RIGHTS})\W*$"
        ),
        20,
        ("©", "(c)", "copyright", "reserv", "vorbehalten", "riservati", "direitos"),
    ),
    # "Photo: © Jane Doe/Getty Images", "Image credit: iStock": a picture's credit line.
    LineRule(
        "image_credit",
        _rx(rf"^\W*({_PHOTO})(\s+(credit|by|source|quelle|crédit|fonte))?\s*[:|©].*({_AGENCY})"),
        16,
    ),
    # Appeals for money or membership, which trafilatura keeps as a paragraph.
    LineRule(
        "appeal",
        _rx(
            rf"^(?=.*\b({_APPEAL})\b)(\W*(enjoyed|liked|loved|if you (value|enjoy|like|"
            rf"appreciate)|please|can you|will you|help|support|donate|become|we need|"
            rf"wir brauchen|spenden|unterstützen|soutenez|faites|apóyanos|haz|sostienici|fai|"
            rf"apoie|faça|steun|doneer)\b)"
        ),
        30,
        _APPEAL_NEEDS,
    ),
    # "4 min read", "Lesezeit: 4 Minuten", "Lettura di 4 minuti": a number, minutes, reading;
    # a sentence that says how long something took to read ends with its full stop.
    LineRule(
        "read_time",
        _rx(rf"^(?!.*[.!?]$)(?=.*\d)(?=.*\b({_MINUTE})\b)(?=.*\b({_READ_WORD})\b)"),
        7,
        ("min",),
    ),
    LineRule("toc", _rx(rf"^({_TOC})\s*(\[?\s*({_TOC_TOGGLE})\s*\]?)?\W*$")),
    LineRule("keywords", _rx(rf"^({_LABELS})" + _SEP + r"\S"), 80),
    LineRule("read_also", _rx(rf"^\(?({_ALSO_READ})" + _SEP + r"\S"), 25),
    LineRule("related_heading", _rx(rf"^({_LATEST})\W*$")),
    LineRule("comment_heading", _rx(rf"^({_COMMENTS})\W*$"), 30),
    # A prompt to share: a sharing verb first (after a short lead-in such as "Tap to") and a
    # channel, friends or "this article"; or, as German and Dutch put it, the verb last.
    LineRule(
        "share",
        _rx(
            rf"^(?=.*\b({_CHANNEL}|{_FRIENDS}|{_THIS_ARTICLE})\b)"
            rf"(\W*(please|tap to|click to|jetzt|now|spread the word|enjoyed (it|this))\W*)?"
            rf"({_SHARE_VERB})\b"
        ),
        14,
        _SHARE_NEEDS,
    ),
    LineRule(
        "share",
        _rx(rf"^(?=.*\b({_CHANNEL})\b)(\S+\s+){{0,4}}(teilen|delen)\b\W*(:.*)?$"),
        14,
        ("teilen", "delen"),
    ),
    # A prompt to follow the site: an imperative first, a channel, and the site itself (us,
    # our, or the pronoun the verb carries: síguenos, seguici).
    LineRule(
        "follow",
        _rx(
            rf"^(?=.*\b({_CHANNEL}|kanal|chaîne|canal|canale|kanaal|page|seite)\b)"
            rf"(?=.*\b({_US})\b|\w*(nos|ci)\b)"
            rf"(\W*(stay connected|bleiben sie in kontakt|restez connectés?)\W*)?"
            rf"({_FOLLOW_VERB})\b"
        ),
        10,
        _FOLLOW_NEEDS,
    ),
    LineRule(
        "newsletter",
        _rx(
            rf"^(?!.*,\s)(?=.*\b({_NEWS})\b)(\W*(jetzt|now|never miss a post)\W*)?"
            rf"({_SUBSCRIBE_VERB})\b"
        ),
        16,
        _NEWS_NEEDS,
    ),
    LineRule(
        "newsletter",
        _rx(rf"^(?=.*\b({_NEWS})\b)(\S+\s+){{0,4}}(abonnieren|bestellen|anmelden)\W*$"),
        8,
        ("abonnieren", "bestellen", "anmelden"),
    ),
    # Disclosures: a word for affiliation, one for what is paid or linked, and the site
    # speaking of itself or of this article.
    LineRule(
        "affiliate",
        _rx(
            rf"(?=.*\b({_AFFILIATE}))(?=.*\b({_PAID})\b)"
            rf"(?=.*\b({_WE})\b)"
        ),
        40,
        ("affil", "afili", "amazon"),
    ),
    LineRule(
        "sponsored",
        _rx(
            rf"^(({_SPONSORED_LABEL})\b\W*($|[:|]|(\s+\S+){{1,4}}\W*$)"
            rf"|({_AD_LABEL})\s*([:|].*)?$)"
        ),
        14,
    ),
    LineRule(
        "sponsored",
        _rx(
            rf"(?=.*\b({_SPONSORING}))"
            rf"(?=.*\b({_THIS_ARTICLE}|this (content|story)|dieser (artikel|beitrag)|"
            rf"{_OUR_PARTNERS}|our sponsor)\b)"
        ),
        30,
        (
            "sponsor",
            "gesponser",
            "patrocin",
            "sponsoris",
            "sponsorizz",
            "brought to you",
            "partnership",
            "zusammenarbeit",
            "paid for",
            "mede mogelijk",
            "offerto",
            "proposé",
        ),
    ),
)


# Short label-shaped lines. Each pattern is anchored to the whole line (or its start plus a
# separator), so an article sentence that merely mentions these words never matches.
RULES: tuple[LineRule, ...] = (
    LineRule("read_time", _rx(r"^(you need\s+)?\d+\s*(min|mins|minutes?)\.?\s+read\b")),
    LineRule("read_time", _rx(r"^(estimated\s+)?reading time\s*:?\s*\d+\s*(min|mins|minutes?)\b")),
    LineRule(
        "dateline",
        _rx(
            rf"^(posted|published|updated|last updated|post)( on)?\s*:?\s*{_DATE}"
            r"(,?\s*(at\s*)?\d{1,2}[:.]\d{2}\s*([ap]\.?m\.?)?(\s*[A-Z]{2,4})?)?\W*$"
        ),
    ),
    LineRule(
        "toc",
        _rx(
            r"^(article with toc|table of contents|contents|in this (article|post)"
            r"|jump to( section)?|on this page|toggle)\s*(\[?(hide|show)\]?)?\W*$"
        ),
    ),
    LineRule(
        "keywords",
        _rx(
            r"^(keywords?|tags?|tagged( with| as)?|topics?|related (searches|keywords|"
            r"tags|topics)|filed under|categor(y|ies)|labels?)" + _SEP + r"\S"
        ),
        80,
    ),
    LineRule(
        "read_also",
        _rx(
            r"^\(?(also read|related read|read also|read more|read next|must read|"
            r"recommended( read(ing)?)?|see also|also see|also check|check out|"
            r"related( articles?| stories| story| posts?| news| coverage)?|"
            r"more from|don'?t miss|trending( now)?|suggested( read(ing)?)?|see more|"
            r"leggi anche( su)?|lesen sie auch|lire aussi|leia também|veja também|"
            r"lee también)" + _SEP + r"\S"
        ),
        25,
    ),
    LineRule(
        "related_heading",
        _rx(
            r"^((latest|recent|related|popular|trending|more|similar|top|"
            r"featured|recommended)\s+(posts?|articles?|news|stories|reads?|"
            r"updates|videos)|you (may|might) (also )?like|more (from|by) "
            r"(this|the) author|read more|further reading|trending( now)?|most (read|popular)|"
            r"editor'?s picks|top stories|tags|topics|read this next|up next)\W*$"
        ),
    ),
    LineRule(
        "share",
        _rx(
            r"^(share( this)?( article| post| story)?( on| via| with)?|"
            r"(share|follow us|like us|find us) on\b|tweet|pin it|whatsapp|"
            r"(facebook|twitter|linkedin|pinterest|reddit|telegram|email)"
            r"(\W+(facebook|twitter|x|linkedin|pinterest|reddit|telegram|email|"
            r"whatsapp|print|copy link))*)\W*$"
        ),
    ),
    LineRule("author_photo", _rx(r"^(photo|image|picture|avatar|headshot) of (the )?author\W*$")),
    LineRule(
        "comment_heading",
        _rx(
            r"^(leave a (reply|comment)|post (a )?comment|add (a )?comment|"
            r"\d+ (comments?|responses?|replies)|join the (discussion|"
            r"conversation))\W*$"
        ),
    ),
    LineRule(
        "comment_form",
        _rx(
            r"^(cancel reply|your email address will not be published.*|"
            r"required fields are marked.*|save my name,? email.*|"
            r"(name|email|website|comment)\s*\*)\W*$"
        ),
        30,
    ),
    LineRule(
        "newsletter",
        _rx(
            r"^(subscribe|sign up|join)\b.*\b(newsletter|updates|inbox|"
            r"mailing list)\b"
        ),
        25,
    ),
    LineRule(
        "advert",
        _rx(
            r"^(advertisement|sponsored( content)?|ad|promoted|"
            r"continue reading below|story continues below)\W*$"
        ),
    ),
    LineRule(
        "cookies",
        _rx(
            r"\b(we use cookies|this (web)?site uses cookies|accept (all )?cookies|"
            r"cookie (policy|settings|preferences|consent)|this cookie is (set|used))\b"
        ),
        60,
        ("cookie",),
    ),
    LineRule(
        "javascript",
        _rx(
            r"\b(enable|turn on|activate) javascript\b|\bjavascript is "
            r"(disabled|required)\b"
        ),
        40,
        ("javascript",),
    ),
    # C4-style lines: page furniture in any article container, each with its reason code.
    LineRule("image_url", _rx(r"^(https?://|www\.)\S+\.(jpe?g|png|gif|webp|svg)(\?\S*)?$"), 1),
    LineRule(
        "timestamp",
        _rx(r"^\d{4}-\d{2}-\d{2}([t ]\d{2}:\d{2}(:\d{2})?(\.\d+)?(z|[+-]\d{2}:?\d{2})?)?$"),
        2,
    ),
    LineRule(
        "dateline",
        _rx(r"^(updated|posted|published)( at)?\s*:?\s*\d{1,2}[:.]\d{2}\s*([ap]\.?m\.?)?\W*$"),
    ),
    LineRule(
        "newsletter",
        _rx(
            r"\b(thanks for (signing up|subscribing)|keep an eye on your inbox|"
            r"delivered (to|through) your (inbox|door|letterbox)|\d+ issues for)\b"
        ),
        40,
        ("thanks for", "inbox", "delivered", "issues for"),
    ),
    LineRule(
        "tools",
        _rx(
            r"^\W*(order reprints?|print( this)?( article| story| page)?|email( this)?"
            r"( article| story)?|save( this)?( article| story)?|reprints?( & permissions)?|"
            r"copy link|gift( this)? article)\W*$"
        ),
    ),
    LineRule(
        "reprint_notice",
        _rx(r"^this copy is for your personal,? non-commercial use only\b"),
        80,
    ),
    LineRule("contact_author", _rx(r"^(write to|contact|email) [\w .'-]{2,60} at \S+@\S+\W*$"), 20),
    LineRule(
        "error_message",
        _rx(
            r"^(an error (has )?occurred|there was an error|something went wrong|sorry!?$|"
            r"please try again later)"
        ),
    ),
    LineRule("app_plug", re.compile(r"\bCLICK(ING)? HERE\b"), 20, ("CLICK",)),
    LineRule("newsletter", _rx(r"^[\w' ]{1,30} newsletter\W*$"), 4),
    # A bare "Comments" is a link or a label as often as a heading: the line goes, but what
    # follows is not cut as a comment section (on WCXB-dev it headed the article's own text).
    LineRule(
        "comment_label",
        _rx(r"^(tell us what you think|comments?|show comments|view comments)\W*$"),
    ),
    LineRule(
        "share",
        _rx(r"^(like this (story|article)\?\s*)?share (it|this) with (a|your) friends?\W*$"),
    ),
    LineRule("read_also", _rx(r"^also on [\w.-]+\.[a-z]{2,}\b"), 30),
    LineRule("shortcode", _rx(r"^\[\w+[^\]]*\].*\[/\w+\]$"), 40),
    *_FAMILY_RULES,
)

# Phrases of templated SEO paragraphs ("Thank you for visiting our website wich cover about
# <title>. We hope the information ... bookmark."). One alone can be an article's sentence;
# two or more in one line are a template, whatever title sits in its slot.
_SEO_PHRASES = tuple(
    _rx(p)
    for p in (
        r"\bthank(s| you)( so much| very much)? for (visiting|reading|stopping by|your visit|"
        r"coming|taking the time)",
        r"\b(wich|which|that) cover(s|ed)? (about|the topic)",
        r"\bwe hope (the|this|that|our|you)\b.{0,40}\b(information|article|post|content|"
        r"useful|helpful|enjoy)",
        r"\bfeel free to (contact|reach|ask|share|leave)",
        r"\b(do ?n[o']?t|dont) (miss|forget) to (bookmark|share|subscribe|visit|come back)",
        r"\bbookmark (us|this|our)",
        r"\bsee you (next time|again|soon|in the next)",
        r"\b(share|send) (this|it) (with|to) your (friends|family)",
        r"\bif you (found|find) (this|the|our) (article|post|information|content) (useful|helpful)",
        r"\bvisit (our|this) (website|site|blog) (again|regularly|often)",
        r"\b(our|this) (website|site|blog)\b",
        # The same kinds in German, French, Spanish, Italian, Portuguese and Dutch: thanks
        # for reading or visiting, come back soon, bookmarks, "we hope", "don't forget".
        r"\b((vielen )?dank\w*\b.{0,30}\b(besuch|lesen|gelesen)|merci (d'avoir lu|de votre "
        r"(visite|lecture)|pour votre (visite|lecture))|gracias por (leer|leernos|tu visita|su "
        r"visita|visitarnos)|grazie per (aver letto|la (visita|lettura))|obrigad[oa] (por ler|"
        r"pela (visita|leitura))|bedankt voor (het lezen|je bezoek|uw bezoek)|thanks? (you )?for "
        r"being)",
        r"\b(come back|check back|besuchen sie .{1,40} (bald )?wieder|bis bald|revenez|à bientôt|"
        r"vuelve pronto|hasta pronto|torna presto|a presto|volte sempre|até breve|"
        r"kom snel terug|tot snel)\b",
        r"\b(bookmark\w*|lesezeichen|favoris|favoritos|preferiti|favorieten)\b",
        r"\b(wir hoffen|nous espérons|esperamos que|speriamo che|we hopen)\b",
        r"\b(vergiss nicht|vergessen sie nicht|n'oubliez pas|no olvides|non dimenticare|"
        r"não se esqueça|vergeet niet)\b",
    )
)

_URL = re.compile(r"https?://\S+|www\.\S+\.\S+", re.I)
_PROMO = _rx(
    r"\b(e-?books?|guides?|course|download|get (your|the|a) (copy|free)|unlock|discount|"
    r"coupon|promo code|buy now|order now|free trial|limited offer|affiliate|"
    r"shop now|sign up today|grab (your|a) copy)\b"
)
# A plug speaks to the reader; a news sentence about e-books or courses does not.
_CALL_TO_ACTION = _rx(r"\b(your|you|unlock|grab|buy|order|download|shop|discover|click|claim)\b")
_BYLINE = re.compile(r"^(?i:by|written by|posted by|author:?)\s+((?:[A-Z][\w.'’-]*\s*){1,4})$")
_SECTION_CUT = {"comment_heading"}
_REPEAT_MIN_WORDS = 8
_REPEAT_MIN_RUN = 3
_LIST_HEADINGS = {"related_heading"}


_SEO_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in _SEO_PHRASES), re.I | re.UNICODE)


# Every SEO phrase above contains one of these (lower-cased): a line with none of them cannot
# match, and most lines are rejected by these substring tests instead of the combined pattern.
_SEO_NEEDS = (
    "thank", "cover", "we hope", "feel free", "miss to", "forget to", "bookmark", "see you",
    "share this", "share it", "send this", "send it", "if you f", "our web", "our site",
    "our blog", "this web", "this site", "this blog", "dank", "merci", "gracias", "grazie",
    "obrigad", "bedankt", "come back", "check back", "wieder", "bis bald", "revenez", "bientôt",
    "pronto", "presto", "volte sempre", "até breve", "kom snel", "tot snel", "lesezeichen",
    "favori", "preferiti", "hoffen", "espérons", "esperamos", "speriamo", "hopen", "vergiss",
    "vergessen", "oubliez", "olvides", "dimenticare", "esqueça", "vergeet",
)  # fmt: skip


def _holds_any(text: str, needles: tuple[str, ...]) -> bool:
    # A loop of `in` tests: twice as fast as one expression of the needles' alternatives,
    # which Python's `re` tries one by one at every position of the line.
    for needle in needles:  # noqa: SIM110 -- any() over a generator is 3 times slower here
        if needle in text:
            return True
    return False


def _seo_score(line: str, lower: str | None = None) -> int:
    low = line.lower() if lower is None else lower
    if not _holds_any(low, _SEO_NEEDS):
        return 0
    # One combined search rejects most of the rest in a single pass.
    if not _SEO_ANY.search(line):
        return 0
    return sum(1 for phrase in _SEO_PHRASES if phrase.search(line))


class Cleaner:
    """Removes boilerplate lines from a document's text.

    >>> c = Cleaner()
    >>> text = "Rain\\nIt rained all day in the city.\\nLeave a Reply"
    >>> [line.rule for line in c.explain(text, "Rain")]
    ['title_repeat', None, 'comment_heading']
    """

    def __init__(self, rules: tuple[LineRule, ...] = RULES) -> None:
        self.rules = rules
        self._max_words = max((rule.max_words for rule in rules), default=0)
        # Rules with `needs` are tried only on lines that hold one of them, even if anchored:
        # a family rule's lookaheads scan the whole line, too costly for every line.
        self._unanchored = tuple(rule for rule in rules if not _in_union(rule))
        # By a line's word count, the patterns of the anchored rules that allow that many
        # words, as one (`_anchored_union`): a line none of them matches (most lines) is tried
        # against the other rules only, in one `match` instead of one call per rule.
        self._anchored_for = _anchored_unions(rules, self._max_words)
        # By a line's word count, what the other rules that allow that many words need
        # (`LineRule.needs`), lower-cased and as it is: a line with none of it is tried
        # against the rules that need nothing. Most of an article's lines are longer than
        # the short-line rules allow, and skip their needs.
        self._needs_for = [_needs(self._unanchored, words) for words in range(self._max_words + 1)]
        self._need_nothing = tuple(rule for rule in self._unanchored if not rule.needs)
        self.passes: list[Callable[[list[Line], str | None], list[Line]]] = [
            self._mark_rules,
            self._mark_title_repeats,
            self._mark_repeated_lines,
            self._mark_trailing_sections,
        ]

    def explain(self, text: str, title: str | None, urls: tuple[str, ...] = ()) -> list[Line]:
        """Every line of `text` with the rule that removes it, or None if it is kept. `urls`
        are the page's own addresses: a line that is one of them is page furniture."""
        lines = [Line(raw.strip()) for raw in text.splitlines()]
        own = {u.rstrip("/") for u in urls if u}
        if own:
            lines = [Line(ln.text, "own_url") if ln.text.rstrip("/") in own else ln for ln in lines]
        for mark in self.passes:
            lines = mark(lines, title)
        return lines

    def judge(self, doc: Document) -> tuple[list[Line], str | None]:
        """`explain` of the document's text, after the safety net; and the document's
        `fallback`, `cleaning_cut` where the net changed the verdicts.

        The net: the passes that cut runs of lines after a heading or a repeat (comment
        sections, link lists, repeated blocks) may not take most of what the line rules
        leave: where they would keep less than `KEEP_SHARE` of it, they are undone. A line
        rule judges one line, which is boilerplate or not whatever surrounds it — except a
        copy of the title, kept where it is all the page has."""
        lines = self.explain(doc.text, doc.title, (doc.url, doc.canonical_url))
        fallback = doc.fallback
        if any(ln.rule in _RUN_CUTS for ln in lines) and _kept_share(lines, _RUN_CUTS) < KEEP_SHARE:
            lines = [ln if ln.rule not in _RUN_CUTS else Line(ln.text) for ln in lines]
            fallback = fallback or "cleaning_cut"
        if not any(ln.kept and ln.text for ln in lines):
            # Nothing left but copies of the title: the page's text is its title.
            lines = [Line(ln.text) if ln.rule == "title_repeat" else ln for ln in lines]
            fallback = fallback or "cleaning_cut"
        return lines, fallback

    def clean(self, doc: Document) -> Document:
        """The document with boilerplate lines removed (`judge`) and its counts and hash
        refreshed."""
        lines, fallback = self.judge(doc)
        kept_lines = [line.text for line in lines if line.kept]
        kept = join_lines(kept_lines)
        removed = Counter(line.rule for line in lines if line.rule and line.text)
        author = doc.author or _byline_author(lines)
        # Lines are joined by newlines, which no word spans: the text's normalized form is its
        # lines' normalized forms joined (`text_hash(kept)`, tested), and its words are its
        # lines' words — where those are ASCII, the words of its normalized form (tested).
        forms = [normalized_line(line) for line in kept_lines]
        normalized = " ".join(n for n in forms if n)
        words = sum(
            (n.count(" ") + 1 if n else 0)
            if line.isascii() or _ascii_words(line) is not None
            else word_count(line)
            for line, n in zip(kept_lines, forms, strict=True)
        )
        return replace(
            doc,
            text=kept,
            author=author,
            word_count=words,
            text_hash=_hash_normalized(normalized),
            boilerplate_lines_removed=sum(removed.values()),
            removed_by_rule={str(k): v for k, v in sorted(removed.items())},
            fallback=fallback,
        )

    def _mark_rules(self, lines: list[Line], title: str | None) -> list[Line]:
        return [
            Line(line.text, self._rule_for(line.text)) if line.kept and line.text else line
            for line in lines
        ]

    def _rule_for(self, text: str) -> str | None:
        words = _token_count(text)
        lower = text.lower()
        if words <= self._max_words:
            anchored, after = self._anchored_for[words]
            found = anchored.match(text) if anchored is not None else None
            if found is not None:
                rules = after[found.lastgroup]
            elif _holds_any(lower, (needs := self._needs_for[words])[0]) or _holds_any(
                text, needs[1]
            ):
                rules = self._unanchored
            else:
                rules = self._need_nothing
            for rule in rules:
                if rule.matches(text, words, lower):
                    return rule.code
        if _seo_score(text, lower) >= 2:
            return "seo_template"
        if (
            ("http" in lower or "www." in lower)  # what `_URL` needs
            and _URL.search(text)
            and _PROMO.search(text)
            and _CALL_TO_ACTION.search(text)
        ):
            return "affiliate"
        if _BYLINE.match(text):
            return "byline"
        return None

    def _mark_title_repeats(self, lines: list[Line], title: str | None) -> list[Line]:
        # The title is a field of its own; copies of it in the text are template (banner,
        # breadcrumb, repeated heading). Without a title, the first line stands for it.
        first = next((ln.text for ln in lines if ln.text), "")
        targets = {normalize(title)} if title else set()
        targets.discard("")
        seen_first = False
        out: list[Line] = []
        for line in lines:
            key = normalized_line(line.text)
            if line.kept and key and key in targets:
                out.append(Line(line.text, "title_repeat"))
                continue
            if line.kept and key and not title and line.text == first:
                if seen_first:
                    out.append(Line(line.text, "title_repeat"))
                    continue
                seen_first = True
            out.append(line)
        return out

    def _mark_repeated_lines(self, lines: list[Line], title: str | None) -> list[Line]:
        # A block of sentence-length lines seen earlier on the same page is a copy (the body
        # repeated from embedded data, a teaser of it): the first occurrence is the article's.
        # Single repeated lines stay: interviews repeat questions, recipes repeat steps.
        seen: set[str] = set()
        repeat: list[int] = []  # positions of kept long lines seen before on the page
        for i, line in enumerate(lines):
            key = normalized_line(line.text) if line.kept else ""
            if key and key.count(" ") + 1 >= _REPEAT_MIN_WORDS:  # `normalize`: single spaces
                if key in seen:
                    repeat.append(i)
                seen.add(key)
        content = [i for i, line in enumerate(lines) if line.kept and line.text]
        order = {pos: n for n, pos in enumerate(content)}
        marked: set[int] = set()
        run: list[int] = []
        for pos in [*repeat, -1]:
            if run and (pos < 0 or order[pos] != order[run[-1]] + 1):
                if len(run) >= _REPEAT_MIN_RUN:
                    marked.update(run)
                run = []
            if pos >= 0:
                run.append(pos)
        return [
            Line(ln.text, "repeated_block") if i in marked else ln for i, ln in enumerate(lines)
        ]

    def _mark_trailing_sections(self, lines: list[Line], title: str | None) -> list[Line]:
        # A comment section runs to the end of the page; a "Latest posts" heading is followed by
        # a list of short link titles. Neither is the article.
        out = list(lines)
        for i, line in enumerate(out):
            # Only in the second half: a comment section never comes before the article.
            if line.rule in _SECTION_CUT and i >= len(out) // 2:
                out[i + 1 :] = [Line(ln.text, ln.rule or "comment_section") for ln in out[i + 1 :]]
                break
            if line.rule in _LIST_HEADINGS:
                j = i + 1
                while j < len(out) and (not out[j].text or len(out[j].text.split()) <= 14):
                    if out[j].kept and out[j].text:
                        out[j] = Line(out[j].text, "related_links")
                    j += 1
        return out


_Anchored = tuple[re.Pattern[str] | None, dict[str | None, tuple[LineRule, ...]]]
_SCOPED_FLAGS = {re.IGNORECASE: "i", re.MULTILINE: "m", re.DOTALL: "s", re.ASCII: "a"}


@functools.lru_cache(maxsize=8)
def _needs(rules: tuple[LineRule, ...], words: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """What the `rules` that allow `words` words need: lower-cased, and as it is."""
    allowed = [rule for rule in rules if rule.max_words >= words]
    lower = {n for rule in allowed if rule.ignore_case for n in rule.needs}
    exact = {n for rule in allowed if not rule.ignore_case for n in rule.needs}
    return tuple(sorted(lower)), tuple(sorted(exact))


def _in_union(rule: LineRule) -> bool:
    """Whether the rule's pattern joins `_anchored_unions`: anchored, and needing nothing."""
    return rule.anchored and not rule.needs


def _anchored_unions(rules: tuple[LineRule, ...], max_words: int) -> list[_Anchored]:
    """For each word count up to `max_words`, the patterns of the anchored rules that allow
    that many words as one expression, in which group `r<i>` is rule i's pattern with its
    flags; and for each group, the rules to try when it is the group that matched. Python's
    `re` tries alternatives in order, so no anchored rule before rule i matches the line: the
    rules to try are rule i, those after it and the unanchored ones before it — the first of
    them that matches is the first of all rules that does. Where a pattern's flags cannot be
    scoped to its group, or the patterns cannot be joined, the expression matches every line
    (group None) and every rule is tried. (None, {}) where no anchored rule allows that many
    words."""
    unions: dict[tuple[int, ...], _Anchored] = {}
    out = []
    for words in range(max_words + 1):
        chosen = tuple(
            i for i, rule in enumerate(rules) if _in_union(rule) and rule.max_words >= words
        )
        if chosen not in unions:
            unions[chosen] = _anchored_union(rules, chosen)
        out.append(unions[chosen])
    return out


def _anchored_union(rules: tuple[LineRule, ...], chosen: tuple[int, ...]) -> _Anchored:
    if not chosen:
        return None, {}
    parts = []
    for i in chosen:
        pattern = rules[i].pattern
        flags = pattern.flags & ~re.UNICODE
        if flags & ~sum(_SCOPED_FLAGS):
            return re.compile(""), {None: rules}
        scoped = "".join(letter for flag, letter in _SCOPED_FLAGS.items() if flags & flag)
        body = f"(?{scoped}:{pattern.pattern})" if scoped else pattern.pattern
        parts.append(f"(?P<r{i}>{body})")
    after: dict[str | None, tuple[LineRule, ...]] = {
        f"r{i}": tuple(rule for j, rule in enumerate(rules) if j >= i or not _in_union(rule))
        for i in chosen
    }
    try:
        return re.compile("|".join(parts)), after
    except re.error:  # patterns that cannot be joined (the same group name in two)
        return re.compile(""), {None: rules}


# The safety net of `Cleaner.judge`: the run cuts keep at least this share of a page's words.
KEEP_SHARE = 0.5
# Passes that cut a run of lines after a heading or a repeat.
_RUN_CUTS = frozenset({"comment_section", "related_links", "repeated_block"})


def _kept_share(lines: list[Line], cuts: frozenset[str]) -> float:
    """Words kept over the words that only `cuts` remove or keep."""
    total = sum(_token_count(ln.text) for ln in lines if ln.kept or ln.rule in cuts)
    kept = sum(_token_count(ln.text) for ln in lines if ln.kept)
    return kept / total if total else 1.0


def _token_count(line: str) -> int:
    """`len(line.split())`, without making the tokens where the line's only whitespace is
    single spaces between words (every other character `split` splits on is unprintable)."""
    if not line:
        return 0
    if line.isprintable() and "  " not in line and line[0] != " " and line[-1] != " ":
        return line.count(" ") + 1
    return len(line.split())


def _byline_author(lines: list[Line]) -> str | None:
    for line in lines:
        if line.rule == "byline":
            match = _BYLINE.match(line.text)
            if match:
                return match.group(1).strip()
    return None


def join_lines(lines: Iterable[str]) -> str:
    """Join kept lines, collapsing runs of blank lines left by removals into one."""
    out: list[str] = []
    for text in lines:
        if not text and (not out or not out[-1]):
            continue
        out.append(text)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)
