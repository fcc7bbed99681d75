"""Generated SEO boilerplate sites for the SEO dev set (`bench/quality/seo.py`): many phrasings
of each kind of line, in several languages, in random markup and positions.

Each kind of line (`FAMILIES`) has phrasings in English, German, French, Spanish, Italian,
Portuguese and Dutch. They are split in two halves by position (`phrasings`): even positions
are "tuned" (what the cleaner's rules may be written from), odd positions "never-tuned" (never
read while writing rules: the figure reported). A generated site (`site`) draws one phrasing
of each of a random subset of kinds from one half and one language, and keeps them on all its
pages — as a real site's template does — while slots (titles, numbers, names, other pages'
titles of the same site) change from page to page.

Slots: {title} the article's title, {site} the site's name, {n} a small number, {author} the
article's author, {other} the title of another article of the same site.
"""

from __future__ import annotations

import html
import random
import zlib
from dataclasses import dataclass

from bench.quality.seo_templates import Block, SeoArticle

__all__ = ["FAMILIES", "LANGUAGES", "GeneratedSite", "phrasings", "site"]

LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl")

# kind -> language -> phrasings. The markup of a line is random; its words are these.
FAMILIES: dict[str, dict[str, tuple[str, ...]]] = {
    "read_time": {
        "en": ("{n} min read", "Reading time: {n} minutes", "{n}-minute read", "Time to read: {n} min"),
        "de": ("Lesezeit: {n} Minuten", "{n} Min. Lesezeit", "Lesedauer {n} Minuten", "{n} Minuten zum Lesen"),
        "fr": ("Temps de lecture : {n} min", "{n} minutes de lecture", "Lecture {n} min", "Durée de lecture : {n} minutes"),
        "es": ("Tiempo de lectura: {n} minutos", "{n} min de lectura", "Lectura de {n} minutos", "Leerás esto en {n} minutos"),
        "it": ("Tempo di lettura: {n} minuti", "{n} min di lettura", "Lettura di {n} minuti", "Si legge in {n} minuti"),
        "pt": ("Tempo de leitura: {n} minutos", "{n} min de leitura", "Leitura de {n} minutos", "Leia em {n} minutos"),
        "nl": ("Leestijd: {n} minuten", "{n} min leestijd", "{n} minuten lezen", "Leesduur {n} minuten"),
    },
    "toc": {
        "en": ("Table of Contents", "Contents [show]", "Jump to section", "On this page", "In this guide", "Quick navigation"),
        "de": ("Inhaltsverzeichnis", "Inhalt [ausblenden]", "Auf dieser Seite", "Inhalt"),
        "fr": ("Sommaire", "Table des matières", "Dans cet article", "Au sommaire"),
        "es": ("Índice", "Tabla de contenidos", "Contenido [ocultar]", "En este artículo"),
        "it": ("Indice", "Sommario", "Indice dei contenuti", "In questo articolo"),
        "pt": ("Índice", "Conteúdo", "Sumário", "Neste artigo"),
        "nl": ("Inhoudsopgave", "Inhoud", "Op deze pagina", "In dit artikel"),
    },
    "share": {
        "en": ("Share this story with your friends", "Share on Facebook | X | WhatsApp", "Spread the word: share this post", "Enjoyed it? Share it on social media", "Tap to share on LinkedIn", "Send this article to a friend by email"),
        "de": ("Artikel teilen: Facebook, X, WhatsApp", "Teile diesen Beitrag mit deinen Freunden", "Jetzt auf Facebook teilen", "Beitrag per E-Mail teilen"),
        "fr": ("Partager cet article sur Facebook", "Partagez cet article avec vos amis", "Partager : Facebook Twitter WhatsApp", "Envoyer cet article par e-mail"),
        "es": ("Compartir en Facebook y X", "Comparte este artículo con tus amigos", "Compártelo en tus redes sociales", "Enviar por WhatsApp"),
        "it": ("Condividi su Facebook", "Condividi questo articolo con i tuoi amici", "Condividi: Facebook, X, WhatsApp", "Invia questo articolo via e-mail"),
        "pt": ("Compartilhe no Facebook", "Compartilhe este artigo com seus amigos", "Partilhar no WhatsApp", "Envie este artigo por e-mail"),
        "nl": ("Deel dit artikel op Facebook", "Deel dit bericht met je vrienden", "Delen via WhatsApp", "Stuur dit artikel per e-mail"),
    },
    "follow": {
        "en": ("Follow us on Instagram and TikTok", "Follow {site} on X for breaking news", "Like our Facebook page for daily updates", "Join our Telegram channel", "Find us on YouTube", "Stay connected: follow us on social media"),
        "de": ("Folgen Sie uns auf Instagram", "Folge {site} auf Facebook", "Abonniere unseren YouTube-Kanal", "Besuchen Sie uns auf LinkedIn"),
        "fr": ("Suivez-nous sur Instagram", "Suivez {site} sur Facebook et X", "Rejoignez notre chaîne Telegram", "Abonnez-vous à notre chaîne YouTube"),
        "es": ("Síguenos en Instagram", "Sigue a {site} en Facebook", "Únete a nuestro canal de Telegram", "Suscríbete a nuestro canal de YouTube"),
        "it": ("Seguici su Instagram", "Segui {site} su Facebook", "Unisciti al nostro canale Telegram", "Iscriviti al nostro canale YouTube"),
        "pt": ("Siga-nos no Instagram", "Siga o {site} no Facebook", "Entre no nosso canal do Telegram", "Inscreva-se no nosso canal do YouTube"),
        "nl": ("Volg ons op Instagram", "Volg {site} op Facebook", "Word lid van ons Telegram-kanaal", "Abonneer je op ons YouTube-kanaal"),
    },
    "subscribe": {
        "en": ("Subscribe to the {site} newsletter", "Get our best stories in your inbox every week", "Sign up for free email alerts", "Never miss a post: subscribe now", "Enter your email to get the weekly digest", "Join {n},000 readers who get our newsletter"),
        "de": ("Jetzt den Newsletter abonnieren", "Melden Sie sich für unseren Newsletter an", "Die besten Artikel jede Woche per E-Mail", "Newsletter kostenlos bestellen"),
        "fr": ("Abonnez-vous à notre newsletter", "Inscrivez-vous à la lettre d'information", "Recevez nos articles par e-mail chaque semaine", "Newsletter gratuite : inscrivez-vous"),
        "es": ("Suscríbete a nuestro boletín", "Recibe nuestras noticias en tu correo", "Apúntate a la newsletter gratuita", "Suscríbete gratis a nuestro newsletter"),
        "it": ("Iscriviti alla nostra newsletter", "Ricevi i nostri articoli via e-mail", "Abbonati alla newsletter gratuita", "Iscriviti per non perdere nessun articolo"),
        "pt": ("Assine a nossa newsletter", "Receba nossas notícias no seu e-mail", "Inscreva-se na newsletter gratuita", "Cadastre-se para receber novidades"),
        "nl": ("Schrijf je in voor onze nieuwsbrief", "Ontvang onze artikelen in je inbox", "Abonneer je gratis op de nieuwsbrief", "Meld je aan voor de wekelijkse nieuwsbrief"),
    },
    "affiliate": {
        "en": ("This post contains affiliate links, and we may earn a commission at no extra cost to you.", "{site} may receive a commission when you buy through links on this page.", "Disclosure: some links in this article are affiliate links.", "As an Amazon Associate we earn from qualifying purchases.", "We may earn a small fee from purchases made through our links.", "Affiliate disclosure: we are paid for some of the products we link to."),
        "de": ("Dieser Beitrag enthält Affiliate-Links: Wir erhalten eine Provision, wenn du über sie kaufst.", "Hinweis: Bei den Links handelt es sich um Affiliate-Links.", "Als Amazon-Partner verdienen wir an qualifizierten Verkäufen.", "Wir erhalten eine kleine Provision für Käufe über unsere Links."),
        "fr": ("Cet article contient des liens affiliés : nous touchons une commission sur vos achats.", "Certains liens de cette page sont des liens d'affiliation.", "En tant que Partenaire Amazon, nous réalisons un bénéfice sur les achats remplissant les conditions requises.", "Nous pouvons percevoir une commission si vous achetez via nos liens."),
        "es": ("Este artículo contiene enlaces de afiliados y podemos recibir una comisión.", "Algunos enlaces de esta página son de afiliado.", "Como Afiliado de Amazon, obtenemos ingresos por las compras adscritas que cumplen los requisitos aplicables.", "Podemos ganar una comisión si compras a través de nuestros enlaces."),
        "it": ("Questo articolo contiene link di affiliazione: riceviamo una commissione sugli acquisti.", "Alcuni link in questa pagina sono link affiliati.", "In qualità di Affiliato Amazon riceviamo un guadagno dagli acquisti idonei.", "Potremmo ricevere una commissione se acquisti tramite i nostri link."),
        "pt": ("Este artigo contém links de afiliados e podemos receber uma comissão.", "Alguns links nesta página são links de afiliado.", "Como associado da Amazon, ganhamos com compras qualificadas.", "Podemos ganhar uma comissão se você comprar pelos nossos links."),
        "nl": ("Dit artikel bevat affiliate links: wij ontvangen een commissie op aankopen.", "Sommige links op deze pagina zijn affiliate links.", "Als Amazon-partner verdienen wij aan in aanmerking komende aankopen.", "Wij kunnen een kleine vergoeding ontvangen als je via onze links koopt."),
    },
    "sponsor": {
        "en": ("Sponsored content: this article was paid for by {site}'s partners.", "This story is brought to you by our partners.", "Paid partnership with {site} Deals", "Presented in partnership with our sponsor.", "Advertiser content", "This article is sponsored."),
        "de": ("Anzeige: Dieser Artikel entstand in Zusammenarbeit mit unserem Partner.", "Gesponserter Beitrag", "Werbung | Bezahlte Partnerschaft", "Dieser Beitrag wird gesponsert von unseren Partnern."),
        "fr": ("Contenu sponsorisé", "Cet article est proposé par notre partenaire.", "Publicité : partenariat rémunéré", "Article sponsorisé par nos partenaires."),
        "es": ("Contenido patrocinado", "Este artículo ha sido patrocinado por nuestros socios.", "Publicidad: colaboración pagada", "Artículo patrocinado"),
        "it": ("Contenuto sponsorizzato", "Questo articolo è offerto dai nostri partner.", "Pubblicità: collaborazione retribuita", "Articolo sponsorizzato"),
        "pt": ("Conteúdo patrocinado", "Este artigo é patrocinado pelos nossos parceiros.", "Publicidade: parceria paga", "Publieditorial"),
        "nl": ("Gesponsorde inhoud", "Dit artikel is mede mogelijk gemaakt door onze partners.", "Advertorial | Betaalde samenwerking", "Dit bericht is gesponsord."),
    },
    "thanks": {
        "en": ("Thanks for reading {title}! Come back to {site} soon for more.", "We appreciate you stopping by {site}. Hope {title} answered your questions.", "Thank you for visiting. If this guide on {title} helped, bookmark {site} and share it.", "We hope you enjoyed this article about {title}. See you again soon on {site}!", "That's all for {title}. Thanks for being a {site} reader, and don't forget to bookmark us.", "Glad you made it to the end of {title}. Check back often for new posts."),
        "de": ("Danke, dass Sie {title} gelesen haben! Besuchen Sie {site} bald wieder.", "Wir hoffen, der Artikel über {title} hat Ihnen gefallen. Bis bald auf {site}!", "Vielen Dank für Ihren Besuch. Speichern Sie {site} in Ihren Lesezeichen.", "Danke fürs Lesen! Teile {title} gerne mit deinen Freunden."),
        "fr": ("Merci d'avoir lu {title} ! Revenez bientôt sur {site}.", "Nous espérons que cet article sur {title} vous a plu. À bientôt sur {site} !", "Merci de votre visite. Ajoutez {site} à vos favoris.", "Merci pour votre lecture ! N'hésitez pas à partager {title}."),
        "es": ("¡Gracias por leer {title}! Vuelve pronto a {site}.", "Esperamos que este artículo sobre {title} te haya gustado. ¡Hasta pronto en {site}!", "Gracias por tu visita. Guarda {site} en tus favoritos.", "¡Gracias por leernos! No olvides compartir {title}."),
        "it": ("Grazie per aver letto {title}! Torna presto su {site}.", "Speriamo che questo articolo su {title} ti sia piaciuto. A presto su {site}!", "Grazie per la visita. Aggiungi {site} ai preferiti.", "Grazie per la lettura! Non dimenticare di condividere {title}."),
        "pt": ("Obrigado por ler {title}! Volte sempre ao {site}.", "Esperamos que este artigo sobre {title} tenha ajudado. Até breve no {site}!", "Obrigado pela visita. Adicione o {site} aos seus favoritos.", "Obrigado pela leitura! Não se esqueça de compartilhar {title}."),
        "nl": ("Bedankt voor het lezen van {title}! Kom snel terug op {site}.", "We hopen dat dit artikel over {title} je heeft geholpen. Tot snel op {site}!", "Bedankt voor je bezoek. Voeg {site} toe aan je favorieten.", "Bedankt voor het lezen! Vergeet {title} niet te delen."),
    },
    "tags": {
        "en": ("Tags: {keywords}", "Filed under: {keywords}", "Topics: {keywords}", "Tagged with {keywords}", "Related searches: {keywords}", "Keywords: {keywords}"),
        "de": ("Schlagwörter: {keywords}", "Themen: {keywords}", "Stichworte: {keywords}", "Schlagworte: {keywords}"),
        "fr": ("Mots-clés : {keywords}", "Thèmes : {keywords}", "Étiquettes : {keywords}", "Sujets : {keywords}"),
        "es": ("Etiquetas: {keywords}", "Temas: {keywords}", "Palabras clave: {keywords}", "Archivado en: {keywords}"),
        "it": ("Tag: {keywords}", "Argomenti: {keywords}", "Parole chiave: {keywords}", "Archiviato in: {keywords}"),
        "pt": ("Tags: {keywords}", "Tópicos: {keywords}", "Palavras-chave: {keywords}", "Arquivado em: {keywords}"),
        "nl": ("Tags: {keywords}", "Onderwerpen: {keywords}", "Trefwoorden: {keywords}", "Gearchiveerd onder: {keywords}"),
    },
    "read_also": {
        "en": ("Also read: {other}", "Related: {other}", "You may also like: {other}", "Recommended for you: {other}", "More on this: {other}", "ALSO ON {site_upper}: {other}"),
        "de": ("Lesen Sie auch: {other}", "Auch interessant: {other}", "Mehr zum Thema: {other}", "Passend dazu: {other}"),
        "fr": ("Lire aussi : {other}", "À lire également : {other}", "Sur le même sujet : {other}", "Découvrez aussi : {other}"),
        "es": ("Lee también: {other}", "Te puede interesar: {other}", "Relacionado: {other}", "Más sobre este tema: {other}"),
        "it": ("Leggi anche: {other}", "Potrebbe interessarti: {other}", "Correlati: {other}", "Approfondisci: {other}"),
        "pt": ("Leia também: {other}", "Veja também: {other}", "Relacionado: {other}", "Saiba mais: {other}"),
        "nl": ("Lees ook: {other}", "Ook interessant: {other}", "Gerelateerd: {other}", "Meer hierover: {other}"),
    },
    "latest": {
        "en": ("Latest posts", "Popular on {site}", "What to read next", "Most read this week", "Trending stories", "Don't miss these"),
        "de": ("Neueste Beiträge", "Meistgelesen", "Das könnte Sie auch interessieren", "Beliebte Artikel"),
        "fr": ("Articles récents", "Les plus lus", "À lire ensuite", "Populaire en ce moment"),
        "es": ("Últimas entradas", "Lo más leído", "Artículos relacionados", "Te recomendamos"),
        "it": ("Articoli recenti", "I più letti", "Ti potrebbe interessare", "Da non perdere"),
        "pt": ("Posts recentes", "Mais lidas", "Leia a seguir", "Populares"),
        "nl": ("Laatste berichten", "Meest gelezen", "Lees verder", "Populaire artikelen"),
    },
    "comments": {
        "en": ("Leave a comment", "{n} thoughts on “{title}”", "Join the discussion", "Post a comment", "What do you think? Let us know below", "Add your reply"),
        "de": ("Kommentar schreiben", "{n} Kommentare", "Diskutieren Sie mit", "Schreibe einen Kommentar"),
        "fr": ("Laisser un commentaire", "{n} commentaires", "Participez à la discussion", "Ajouter un commentaire"),
        "es": ("Deja un comentario", "{n} comentarios", "Únete a la conversación", "Escribe un comentario"),
        "it": ("Lascia un commento", "{n} commenti", "Partecipa alla discussione", "Scrivi un commento"),
        "pt": ("Deixe um comentário", "{n} comentários", "Participe da discussão", "Escreva um comentário"),
        "nl": ("Laat een reactie achter", "{n} reacties", "Doe mee aan de discussie", "Schrijf een reactie"),
    },
}  # fmt: skip

# Where a kind sits on a page most of the time; each is moved elsewhere on some pages' sites.
_PLACES = {
    "read_time": "top",
    "toc": "top",
    "share": "end",
    "follow": "end",
    "subscribe": "middle",
    "affiliate": "top",
    "sponsor": "top",
    "thanks": "end",
    "tags": "end",
    "read_also": "middle",
    "latest": "end",
    "comments": "end",
}
_TAGS = ("p", "div", "p", "span", "li", "h4", "aside", "strong")


def phrasings(kind: str, language: str, half: str) -> tuple[str, ...]:
    """The phrasings of `kind` in `language` of one half: "tuned" (even positions) or
    "never-tuned" (odd positions)."""
    found = FAMILIES[kind][language]
    return found[0::2] if half == "tuned" else found[1::2]


@dataclass(frozen=True)
class _Line:
    kind: str
    phrasing: str
    tag: str
    css: str
    place: str


@dataclass(frozen=True)
class GeneratedSite:
    name: str
    host: str
    half: str
    language: str
    lines: tuple[_Line, ...]

    def render(
        self, article: SeoArticle, rng: random.Random, others: list[str]
    ) -> tuple[str, str, list[Block]]:
        """(url, html, blocks) of the article on this site: `others` are titles of other
        articles of the same site."""
        url = f"https://{self.host}/{article.slug}"
        top: list[Block] = []
        middle: list[Block] = []
        end: list[Block] = []
        markup: dict[int, tuple[str, str]] = {}
        places = {"top": top, "middle": middle, "end": end}
        for line in self.lines:
            filled = self._fill(line.phrasing, article, rng, others)
            blocks = [Block(filled, True, line.tag)]
            if line.kind == "latest":  # a heading, then other pages' titles as links
                blocks = [Block(filled, True, "h3")] + [Block(t, True, "li") for t in others[:3]]
            for block in blocks:
                markup[id(block)] = (line.css, line.kind)
            places[line.place].extend(blocks)
        paras = [Block(p, False) for p in article.paragraphs]
        mid = max(1, len(paras) // 2)
        blocks = [*top, *paras[:mid], *middle, *paras[mid:], *end]
        body = "\n".join(_tag(b, *markup.get(id(b), ("", ""))) for b in blocks)
        page = f"""<!DOCTYPE html><html lang="{self.language}"><head><meta charset="utf-8">
<title>{_e(article.title)} - {_e(self.name)}</title>
<link rel="canonical" href="{_e(url)}">
<meta property="og:site_name" content="{_e(self.name)}">
<meta name="author" content="{_e(article.author)}">
<meta property="article:published_time" content="{article.date}">
</head><body><header><nav><a href="/">{_e(self.name)}</a> <a href="/news">News</a></nav></header>
<div class="{_e(self.host.split(".")[0])}-wrap"><h1>{_e(article.title)}</h1>
{body}
</div><footer><p>© {article.date[:4]} {_e(self.name)}</p></footer></body></html>"""
        return url, page, blocks

    def _fill(self, phrasing: str, a: SeoArticle, rng: random.Random, others: list[str]) -> str:
        keywords = ", ".join(w.lower() for w in a.title.split()[:4] if w.isalpha()) or "news"
        return phrasing.format(
            title=a.title,
            site=self.name,
            site_upper=self.name.upper(),
            n=rng.randint(2, 40),
            author=a.author,
            other=others[0] if others else "Our newsroom",
            keywords=keywords,
        )


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _tag(block: Block, css: str, kind: str) -> str:
    attr = f' class="{_e(css)}"' if css else ""
    text = _e(block.text)
    if block.tag == "li":
        href = f"/p/{zlib.crc32(block.text.encode()) % 10**6}"
        return f"<ul{attr}><li><a href='{href}'>{text}</a></li></ul>"
    if block.tag == "span":
        return f"<p{attr}><span>{text}</span></p>"
    if block.tag == "strong":
        return f"<p{attr}><strong>{text}</strong></p>"
    if block.tag == "aside":
        return f"<aside{attr}><p>{text}</p></aside>"
    return f"<{block.tag}{attr}>{text}</{block.tag}>"


_SYLLABLES = ("nor", "val", "kin", "bra", "sol", "mer", "tan", "lu", "vo", "ric", "den", "pa")


def site(n: int, half: str, rng: random.Random) -> GeneratedSite:
    """A site of one half: 5 to 8 kinds of lines in one language, random markup and places."""
    name = "".join(rng.choice(_SYLLABLES) for _ in range(3)).capitalize() + rng.choice(
        (" Daily", " Times", " Post", " Hub", " Blog", " Review", " News", "")
    )
    language = LANGUAGES[n % len(LANGUAGES)]
    kinds = rng.sample(sorted(FAMILIES), rng.randint(5, 8))
    lines = []
    for kind in kinds:
        place = _PLACES[kind] if rng.random() < 0.7 else rng.choice(("top", "middle", "end"))
        lines.append(
            _Line(
                kind,
                rng.choice(phrasings(kind, language, half)),
                "p" if kind in ("affiliate", "thanks") else rng.choice(_TAGS),
                rng.choice(("", "", "box", "note", f"c{rng.randint(1, 99)}", "widget-area")),
                place,
            )
        )
    host = name.lower().replace(" ", "") + f"{n}.example"
    return GeneratedSite(name, host, half, language, tuple(lines))
