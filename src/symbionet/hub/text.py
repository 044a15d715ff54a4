"""Multilingual text retrieval over organisations' offers and needs (Danish, Swedish, English).

Three ways to score a query against a set of documents, all built on scikit-learn's sparse
matrices and loaded offline (no model to download):

``char``
    TF-IDF over character n-grams of 3 to 5 letters within words (scikit-learn's
    ``char_wb``): "fermenteringsanlæg" shares "fer", "ferme", "rment"... with
    "fermentation", so compounds and the three languages' endings meet.
``word``
    TF-IDF over words reduced to their Snowball stem in the document's language; a query's
    words are stemmed in all three languages, since its language is not known.
``bm25``
    Okapi BM25 (k1 = 1.2, b = 0.75) over the same stems.

A document's words are counted once per distinct word, and each distinct word is cut into
n-grams or stemmed once, so building an index over 100,000 organisations takes seconds.

The words that two texts share are found by :func:`related`, a rule simple enough to check
by hand: the same word, the same Snowball stem in one of the three languages, a stem of 7
letters or more of one word that begins the other, or one word at least 4 letters long that
begins or ends the other ("biogas" in "biogasanlæg"), with æ, ø, å, ä and ö written as ae,
o and a.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
import snowballstemmer
from sklearn.feature_extraction.text import CountVectorizer, TfidfTransformer

from symbionet.errors import invalid

METHODS = ("char", "word", "bm25")
"""The scoring methods an index can use; ``char`` is the default, chosen by measured recall
and speed (see docs/hub.md)."""

LANGUAGES = {"en": "english", "da": "danish", "sv": "swedish"}
"""The languages of the register, by their code, and Snowball's name for each."""

_WORD = re.compile(r"[^\W\d_]+")
_TOKEN = r"(?u)[^\W\d_]{2,}"

_ENGLISH = """
a an and are as at be by for from has have in into is it its of on or our that the their
them they this to we with within who what which will can also such other all any more new
use used using us you your per via about than over under
"""
_DANISH = """
og i at det en et den til er som på de med han af for ikke der var mig sig men har om vi
min havde ham hun nu over da fra du ud sin dem os op man hans hvor eller hvad skal selv
her alle vil blev kunne ind når være dog noget ville jo deres efter ned skulle denne end
dette mit også under have dig anden hende mine alt meget sit sine vor mod disse hvis din
nogle hos blive mange ad bliver hendes været thi jer sådan vores kan samt inden nye ny nyt
"""
_SWEDISH = """
och det att i en jag hon som han på den med var sig för så till är men ett om hade de av
icke mig du henne då sin nu har inte hans honom skulle hennes där min man ej vid kunde
något från ut när efter upp vi dem vara vad över än dig kan sina här ha mot alla under
någon eller allt mycket sedan ju denna själv detta åt utan varit hur ingen mitt ni bli
blev oss din dessa några deras blir mina samma vilken er sådan vår blivit dess inom mellan
sådant varför varje vilka ditt vem vilket sitt sådana vart dina vars vårt våra ert era
vilkas samt även nya
"""

STOPWORDS = frozenset((_ENGLISH + _DANISH + _SWEDISH).split())
"""Common words of the three languages, left out of the index and of explanations."""


@lru_cache(maxsize=8)
def _stemmer(language: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(LANGUAGES.get(language, "english"))


@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """The Snowball stem of a lower-case ``word`` in ``language`` (en, da or sv)."""
    return str(_stemmer(language).stemWord(word))


@lru_cache(maxsize=200_000)
def stems(word: str) -> frozenset[str]:
    """The stems of ``word`` in each of the three languages."""
    return frozenset(stem(word, language) for language in LANGUAGES)


def words(text: object) -> list[str]:
    """The words of ``text``, lower case, without digits, one-letter words or common words."""
    if not isinstance(text, str) or not text:
        return []
    return [w for w in re.findall(_TOKEN, text.lower()) if w not in STOPWORDS]


_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ä": "a", "ö": "o", "é": "e", "ü": "u"})


@lru_cache(maxsize=200_000)
def related(a: str, b: str) -> bool:
    """Whether two lower-case words mean the same for an explanation: equal, sharing a stem in
    one of the three languages, a stem of 7 letters or more of the one beginning the other
    ("bioinformat", of bioinformatics, begins "bioinformatik"), or the shorter (4 letters or
    more) beginning or ending the longer once æ, ø, å, ä, ö are written as ae, o, a
    ("operator" ends "procesoperatør")."""
    if a == b:
        return True
    if stems(a) & stems(b):
        return True
    if any(b.startswith(s) for s in stems(a) if len(s) >= 7) or any(
        a.startswith(s) for s in stems(b) if len(s) >= 7
    ):
        return True
    a, b = a.translate(_FOLD), b.translate(_FOLD)
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 4 and (long.startswith(short) or long.endswith(short))


class TextIndex:
    """Documents scored against a query, by one of :data:`METHODS`.

    ``languages`` gives each document's language (en, da, sv; others are read as English),
    used by the stemming methods. ``scores`` gives one similarity per document: a cosine
    between 0 and 1 for the TF-IDF methods, an unbounded sum for BM25.
    """

    def __init__(
        self,
        texts: Sequence[str],
        languages: Sequence[str] | None = None,
        method: str = "char",
    ) -> None:
        if method not in METHODS:
            raise invalid("method", f"must be one of {', '.join(METHODS)}, not {method!r}")
        self.method = method
        self.size = len(texts)
        # Words of two letters or more, lower case; common words are dropped from the counts.
        counter = CountVectorizer(token_pattern=_TOKEN, dtype=np.float64)
        try:
            counts = counter.fit_transform([t if isinstance(t, str) else "" for t in texts])
        except ValueError:  # no word in any document
            counts = None
        self._matrix: sp.csc_matrix = sp.csc_matrix((self.size, 0))
        self._features: dict[str, int] = {}
        self.vocabulary: dict[str, int] = {}
        self._word_df = np.zeros(0)
        if counts is None:
            return
        names = counter.get_feature_names_out()
        keep = np.flatnonzero([w not in STOPWORDS for w in names])
        vocabulary = [str(w) for w in names[keep]]
        counts = counts.tocsc()[:, keep].tocsr()
        self.vocabulary = {w: i for i, w in enumerate(vocabulary)}
        # Documents in which each distinct word occurs, for weighting explanations.
        self._word_df = np.diff(counts.tocsc().indptr)
        if not vocabulary:
            return
        if method == "char":
            self._grams = CountVectorizer(
                analyzer="char_wb", ngram_range=(3, 5), lowercase=False, dtype=np.float64
            )
            per_word = self._grams.fit_transform(vocabulary)
            self._features = self._grams.vocabulary_
            self._tfidf = TfidfTransformer(sublinear_tf=True)
            self._matrix = self._tfidf.fit_transform(counts @ per_word).tocsc()
            return
        # Each document's words stemmed in its language: a word-to-stem matrix per language.
        langs = np.array(
            [lang if lang in LANGUAGES else "en" for lang in (languages or ["en"] * self.size)]
        )
        stemmed = {lang: [stem(w, lang) for w in vocabulary] for lang in np.unique(langs)}
        features = sorted({s for column in stemmed.values() for s in column})
        self._features = {s: i for i, s in enumerate(features)}
        stem_counts = sp.csr_matrix((self.size, len(features)))
        for lang, column in stemmed.items():
            to_stem = sp.csr_matrix(
                (
                    np.ones(len(column)),
                    (np.arange(len(column)), [self._features[s] for s in column]),
                ),
                shape=(len(column), len(features)),
            )
            rows = sp.diags((langs == lang).astype(np.float64))
            stem_counts = stem_counts + rows @ counts @ to_stem
        if method == "word":
            self._tfidf = TfidfTransformer(sublinear_tf=True)
            self._matrix = self._tfidf.fit_transform(stem_counts).tocsc()
            return
        self._matrix = _bm25(sp.csr_matrix(stem_counts)).tocsc()

    def query_vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The query as feature columns of the index and their weights."""
        tokens = words(text)
        if not tokens or not self._features:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        if self.method == "char":
            vector = self._tfidf.transform(self._grams.transform([" ".join(tokens)])).tocsr()
            return vector.indices.astype(np.int64), vector.data
        terms: dict[int, float] = {}
        for token in tokens:
            for s in stems(token):
                column = self._features.get(s)
                if column is not None:
                    terms[column] = terms.get(column, 0.0) + 1.0
        if not terms:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        columns = np.fromiter(terms, dtype=np.int64)
        if self.method == "bm25":
            return columns, np.ones(len(columns))
        counts = sp.csr_matrix(
            (np.fromiter(terms.values(), dtype=np.float64), (np.zeros(len(terms)), columns)),
            shape=(1, len(self._features)),
        )
        vector = self._tfidf.transform(counts).tocsr()
        return vector.indices.astype(np.int64), vector.data

    def scores(self, text: str) -> np.ndarray:
        """The similarity of ``text`` to each document (0 where they share nothing)."""
        columns, weights = self.query_vector(text)
        if len(columns) == 0:
            return np.zeros(self.size)
        return np.asarray(self._matrix[:, columns] @ weights).ravel()

    def weight(self, word: str) -> float:
        """How telling a word of the documents is: its inverse document frequency."""
        column = self.vocabulary.get(word)
        df = self._word_df[column] if column is not None else 0
        return math.log((1 + self.size) / (1 + df)) + 1.0


def shared_terms(
    query: str, document: str, index: TextIndex | None = None, limit: int = 5
) -> list[str]:
    """The words of ``document`` that match a word of ``query`` (see :func:`related`), as
    written in the document, the rarest first (by ``index``'s document frequency, when
    given), at most ``limit``."""
    asked = list(dict.fromkeys(words(query)))
    found: dict[str, str] = {}
    for word in _original_words(document):
        key = word.lower()
        if key in found or key in STOPWORDS or len(key) < 2:
            continue
        if any(related(key, q) for q in asked):
            found[key] = word
    order = sorted(found, key=lambda w: (-(index.weight(w) if index else 1.0), w))
    return [found[w] for w in order[:limit]]


def _original_words(text: object) -> Iterable[str]:
    if not isinstance(text, str):
        return []
    return _WORD.findall(text)


def _bm25(counts: sp.csr_matrix, k1: float = 1.2, b: float = 0.75) -> sp.csr_matrix:
    """Each document's BM25 weight of each term: the score of a one-term query."""
    n = counts.shape[0]
    length = np.asarray(counts.sum(axis=1)).ravel()
    average = length.mean() if n and length.mean() > 0 else 1.0
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5))
    rows = np.repeat(np.arange(n), np.diff(counts.indptr))
    tf = counts.data
    norm = k1 * (1.0 - b + b * length[rows] / average)
    data = idf[counts.indices] * tf * (k1 + 1.0) / (tf + norm)
    return sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)


__all__ = [
    "LANGUAGES",
    "METHODS",
    "STOPWORDS",
    "TextIndex",
    "related",
    "shared_terms",
    "stem",
    "stems",
    "words",
]
