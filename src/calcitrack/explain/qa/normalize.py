"""Text normalisation for retrieval: accent folding, tokenising, stop words and a light suffix stripper.

The same function is applied to passages and to questions, so "Tâches blanches sur le foie" and
"tache blanche foie" meet. The stemmer is deliberately small (a few suffix rules per language, then a
cut at :data:`STEM_LENGTH` characters): the cut also makes many English and French forms of one medical
word meet ("calcification"/"calcifiée" -> "calcifi", "échinococcose"/"echinococcosis" -> "echinoc"),
which matters because questions in one language must find passages written in both.
"""

from __future__ import annotations

import re
import unicodedata

STEM_LENGTH = 7
_TOKEN = re.compile(r"[a-z0-9]+")


def _word_set(text: str) -> frozenset[str]:
    """Words of a whitespace-separated list (kept as text so the lists stay easy to edit)."""
    return frozenset(text.split())


STOP_WORDS_EN = _word_set(
    """a an the is are was were be been being it its this that these those of in on at to for from by with
    and or but do does did i im my me you your we our us can could should would will which who whom
    there their they them about as if so than then into over under have has had am any some just also
    very much more most get got there here s t please tell doctor dr"""
)
STOP_WORDS_FR = _word_set(
    """le la les l un une des du de d au aux et ou est sont etait c ce cet cette ces ca cela que qu qui je
    j me m mon ma mes tu te t ton ta tes vous votre vos il elle ils elles on nous notre nos se s sa son
    ses en y a ai as avoir etre faut pas ne n sur dans par pour avec sans tout tous toute toutes tres
    plus peut peuvent dois doit moi mais si docteur donc chez leur leurs lui eux va vais vont selon"""
)
STOP_WORDS = STOP_WORDS_EN | STOP_WORDS_FR
"""Question words (what, why, how, quoi, pourquoi, comment...) are *not* stop words: they carry the
intent of the question ("what is" = definition, "why" = causes, "how often" = follow-up)."""

# Longest suffix first; a suffix is removed only if at least MIN_STEM characters remain.
_SUFFIXES = (
    "issements",
    "issement",
    "ational",
    "ations",
    "ation",
    "ements",
    "ement",
    "ments",
    "ment",
    "ingly",
    "ities",
    "ite",
    "ity",
    "ness",
    "euses",
    "euse",
    "eux",
    "ives",
    "ive",
    "ously",
    "ous",
    "iques",
    "ique",
    "ings",
    "ing",
    "edly",
    "ees",
    "ee",
    "es",
    "ed",
    "ly",
    "s",
    "e",
    "x",
)
MIN_STEM = 4


def fold(text: str) -> str:
    """Lower-case and remove accents ("Échographie" -> "echographie"), keeping œ/æ as "oe"/"ae"."""
    text = text.lower().replace("œ", "oe").replace("æ", "ae").replace("’", "'")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def stem(token: str, *, cut: bool = True) -> str:
    """Strip one common EN/FR suffix, then cut to :data:`STEM_LENGTH` characters (unless ``cut=False``)."""
    if token.isdigit() or len(token) <= MIN_STEM:
        return token
    if token.endswith("ies") and len(token) > MIN_STEM + 2:
        token = token[:-3] + "i"  # "biopsies" -> "biopsi", like "biopsy" below
    elif token.endswith("y"):
        token = token[:-1] + "i"  # "worry"/"worried" -> "worri"
    else:
        for suffix in _SUFFIXES:
            if token.endswith(suffix) and len(token) - len(suffix) >= MIN_STEM:
                if suffix == "s" and token.endswith(("ss", "us", "is")):
                    break
                token = token[: -len(suffix)]
                break
    return token[:STEM_LENGTH] if cut else token


def one_edit_apart(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` differ by at most one typing slip: a letter added, dropped, replaced, or two
    neighbours swapped ("dangerus"/"dangerous", "surgury"/"surgery", "cacnel"/"cancel")."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


SHORTHAND = {
    "koi": "quoi",
    "kwa": "quoi",
    "pk": "pourquoi",
    "pq": "pourquoi",
    "pkoi": "pourquoi",
    "pourkoi": "pourquoi",
    "ke": "que",
    "kel": "quel",
    "kelle": "quelle",
    "keske": "qu est ce que",
    "kesako": "qu est ce que",
    "c": "c est",
    "jsuis": "je suis",
    "chui": "je suis",
    "bcp": "beaucoup",
    "wat": "what",
    "wot": "what",
    "wats": "whats",
    "u": "you",
    "ur": "your",
    "r": "are",
    "cuz": "because",
    "coz": "because",
    "pls": "please",
    "plz": "please",
}
"""Text-message spellings patients type ("c koi", "pk j'ai ça", "wat r these"), read as the full words."""
_SHORTHAND = re.compile(r"\b(" + "|".join(sorted(SHORTHAND, key=len, reverse=True)) + r")\b")


def expand_shorthand(folded: str) -> str:
    """``folded`` text with text-message spellings written out ("c koi" -> "c est quoi")."""
    return _SHORTHAND.sub(lambda m: SHORTHAND[m.group(1)], folded)


_ACCORDING_TO = re.compile(r"\bd'?\s*apres\b")
"""French "d'après" ("d'après l'écho": according to the ultrasound) is "selon", a small word; "après" alone
("après une chimiothérapie") keeps its meaning."""
_QUEST_CE_QUE = re.compile(r"\bqu'?\s*est[- ]?ce\s+qu(?:e|')?|\bc'?\s*est\s+quoi\b")


def words(text: str) -> list[str]:
    """Folded word tokens without stop words (not stemmed): what the domain check and lexicon look at.

    "Qu'est-ce que" / "c'est quoi" become "quoi", so the French definition question keeps its intent word
    (its parts are all stop words otherwise).
    """
    folded = _ACCORDING_TO.sub(" selon ", _QUEST_CE_QUE.sub(" quoi ", expand_shorthand(fold(text))))
    return [t for t in _TOKEN.findall(folded) if t not in STOP_WORDS and (len(t) > 1 or t.isdigit())]


NEGATIONS = _word_set("never no without neither nor jamais aucun aucune sans ni")
"""Words after which what a patient names is ruled out ("I never had hepatitis", "jamais bu d'alcool")."""
NEGATION_SCOPE = 3
"""Words (stop words left out) a negation rules out, within its clause."""
_CLAUSE = re.compile(r"[,;:!?]|\.(?!\d)")


def negated(text: str) -> set[str]:
    """Stems of the words ``text`` rules out: up to NEGATION_SCOPE words after a negation, in its clause.

    "I never drank, never had hepatitis, so how does calcium end up in my liver?" is about calcium in
    the liver, not about hepatitis or alcohol: the words that name them must not pick the answer.
    """
    out: set[str] = set()
    for clause in _CLAUSE.split(expand_shorthand(fold(text))):
        left = 0
        for token in _TOKEN.findall(clause):
            if token in NEGATIONS:
                left = NEGATION_SCOPE
            elif left and token not in STOP_WORDS:
                out.add(stem(token))
                left -= 1
    return out


def tokens(text: str) -> list[str]:
    """Folded, stop-word-free, stemmed tokens: what the BM25 index and the queries are made of."""
    return [stem(t) for t in words(text)]


def long_forms(text: str) -> list[str]:
    """The uncut stems of words longer than :data:`STEM_LENGTH`, indexed next to the cut stems.

    The cut merges forms across languages but also merges different words ("hemangioma" and
    "hemangioendothelioma" both give "hemangi"); the long form lets the exact word still win.
    """
    longs = [stem(t, cut=False) for t in words(text)]
    return [t for t in longs if len(t) > STEM_LENGTH]


_FRENCH_MARKERS = _word_set(
    """le la les une des du est que quoi quel quelle pourquoi comment faut je j mon ma mes vous votre dans
    sur avec sans pas foie rate tache taches grave examen echographie calcul calculs kyste opérer c qu
    ce cette il elle ai"""
)
_ENGLISH_MARKERS = _word_set(
    """the is are what why how does do should my i you your with without in on of liver spleen spot spots
    dangerous need be it can will"""
)


def detect_lang(text: str) -> str:
    """'fr' or 'en' from accents and common function words; ties go to English."""
    folded = fold(text)
    raw = _TOKEN.findall(folded)
    fr = sum(t in _FRENCH_MARKERS for t in raw) + 2 * len(re.findall(r"[éèêàùçâîôû]", text.lower()))
    en = sum(t in _ENGLISH_MARKERS for t in raw)
    return "fr" if fr > en else "en"
