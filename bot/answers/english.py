"""The English path: full English sentences (foreign residents) reach the right item.

Every initiative and term has English keywords in content/english.yaml. A question written
in English is lower-cased, split into words, stripped of stop words (words that only say
how something is asked) and stemmed with the Snowball English stemmer (procedures ->
procedur, booking -> book), and so is each document's English text. The score is the
idf-weighted share of the question's words the document holds (its *coverage*, 0..1, the
same scale as the Japanese ranking), with a bonus for a two-word phrase held as such
("my number", "credit card"). Words no document uses count at a fixed low weight, so an
unrelated sentence scores low instead of being explained by one shared word.

Built once; scoring a question is a few dictionary look-ups (only English questions ask).
"""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import snowballstemmer
from pydantic import BaseModel, ConfigDict, Field

from bot.answers.normalize import nfkc
from bot.content import ContentError, Plan
from bot.loader import CONTENT_DIR, load_file

_WORD = re.compile(r"[a-z0-9]+")
_APOSTROPHE = re.compile(r"['’](?=[a-z])")


class EnglishWords(BaseModel):
    """content/english.yaml."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stopwords: tuple[str, ...] = ()
    compounds: tuple[str, ...] = ()  # multi-word names kept as one word (my number)
    initiatives: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    terms: dict[str, tuple[str, ...]] = Field(default_factory=dict)


def load_english(content_dir: Path = CONTENT_DIR) -> EnglishWords:
    """Read and validate content/english.yaml (errors name the file and the entry)."""
    if not (content_dir / "english.yaml").exists():
        return EnglishWords()
    return load_file("english.yaml", EnglishWords, content_dir)


def check_english(words: EnglishWords, plan: Plan) -> None:
    """Every entry of english.yaml names an initiative or a term of the plan."""
    unknown = [f"initiatives: {k}" for k in words.initiatives if k not in plan.initiative_by_id]
    unknown += [f"terms: {k}" for k in words.terms if k not in plan.term_by_headword]
    if unknown:
        raise ContentError(f"english.yaml: no such initiative or term: {', '.join(unknown)}")


class EnglishAnalyzer:
    """English text -> stemmed content words (stop words dropped)."""

    STEM_CACHE = 20_000  # words remembered (a resident's English vocabulary is small)

    def __init__(self, stopwords: Sequence[str], compounds: Sequence[str] = ()) -> None:
        # a Snowball stemmer keeps its word in the object: one per thread (the engine is
        # shared by the worker threads); stems are remembered, since the pure-Python
        # stemmer costs ~10 µs a word and questions reuse a small vocabulary
        self._local = threading.local()
        self._stems: dict[str, str] = {}
        self._raw_stop = frozenset(w.lower().replace("'", "") for w in stopwords)
        parts = sorted((c.lower().split() for c in compounds), key=len, reverse=True)
        self._compound = (
            re.compile("|".join(r"\b" + r"[\s-]*".join(map(re.escape, p)) + r"\b" for p in parts))
            if parts
            else None
        )

    def words(self, text: str) -> list[str]:
        text = _APOSTROPHE.sub("", nfkc(text).lower())  # don't -> dont
        if self._compound is not None:  # "my number" is a name, not two stop words
            text = self._compound.sub(lambda m: re.sub(r"[\s-]+", "", m.group()), text)
        raw = [w for w in _WORD.findall(text) if w not in self._raw_stop]
        return [self._stem(w) for w in raw]

    def _stem(self, word: str) -> str:
        stem = self._stems.get(word)
        if stem is None:
            stemmer = getattr(self._local, "stemmer", None)
            if stemmer is None:
                stemmer = self._local.stemmer = snowballstemmer.stemmer("english")
            stem = stemmer.stemWord(word)
            if len(self._stems) < self.STEM_CACHE:
                self._stems[word] = stem
        return stem


class EnglishIndex:
    """Coverage of an English question's words by each document's English keywords."""

    UNKNOWN_WEIGHT = 1.0  # a word no document holds (idf of a common word is ~1-2)
    PHRASE_BONUS = 0.15  # the document holds two of the question's words side by side
    PART_PENALTY = 0.2  # at most this share off when no keyword is named whole

    def __init__(
        self, keys: Sequence[tuple[str, str]], words: EnglishWords, extra: Sequence[str]
    ) -> None:
        """keys: (kind, id) per document, in index order; extra: per document, Latin-script
        names the plan itself uses (LINE, GIS, QR …), added to its English words."""
        self.analyzer = EnglishAnalyzer(words.stopwords, words.compounds)
        by_key = {("initiative", k): v for k, v in words.initiatives.items()}
        by_key |= {("term", k): v for k, v in words.terms.items()}  # checked: check_english
        self.n = len(keys)
        self._keywords: list[list[frozenset[str]]] = [[] for _ in keys]
        self._words: dict[str, list[int]] = {}
        self._phrases: dict[tuple[str, str], list[int]] = {}
        for i, key in enumerate(keys):
            seen_w: set[str] = set()
            seen_p: set[tuple[str, str]] = set()
            for text in (*by_key.get(key, ()), extra[i]):
                stems = self.analyzer.words(text)
                if stems and text is not extra[i]:
                    self._keywords[i].append(frozenset(stems))
                seen_w.update(stems)
                seen_p.update(itertools.pairwise(stems))
            for w in seen_w:
                self._words.setdefault(w, []).append(i)
            for p in seen_p:
                self._phrases.setdefault(p, []).append(i)
        self._idf = {w: math.log(1 + self.n / len(ds)) for w, ds in self._words.items()}

    def score(self, question: str) -> np.ndarray:
        """Per document, 0..1: how much of the question its English words explain."""
        out = np.zeros(self.n)
        stems = list(dict.fromkeys(self.analyzer.words(question)))
        if not stems:
            return out
        total = sum(self._idf.get(w, self.UNKNOWN_WEIGHT) for w in stems)
        for w in stems:
            for i in self._words.get(w, ()):
                out[i] += self._idf[w]
        out /= total
        for p in itertools.pairwise(stems):
            for i in self._phrases.get(p, ()):
                out[i] += self.PHRASE_BONUS
        # a keyword the question names whole beats one it names in part ("open data":
        # オープンデータ before さがみオープンデータ推進研究会)
        out = np.clip(out, 0.0, 1.0)
        asked = set(stems)
        for i in np.flatnonzero(out):
            full = max((len(k & asked) / len(k) for k in self._keywords[i]), default=0.0)
            out[i] *= 1 - self.PART_PENALTY * (1 - full)
        return out
