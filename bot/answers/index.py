"""Documents built from the plan, and the two lexical scorers over them.

* `LexicalIndex`: BM25F over Sudachi content words (title/keywords/headword weigh more
  than body text) plus an idf-weighted *coverage*: the share of the question's content
  words the document explains. Coverage is what the confidence is built on, because a raw
  BM25 score has no fixed scale; words the plan never uses lower it (a question about ごみ
  is not explained by any initiative).
* `NameIndex`: the question's core compared as a string with each document's names
  (title, keywords, headword, aliases, reading), folded to katakana without long vowels,
  with rapidfuzz for typos (デジタルデパイド) and kana-only input (まいなんばーかーど).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from bot.answers.normalize import Analyzer, fold_key
from bot.answers.rules import FieldWeights
from bot.content import Plan

PHRASE = "\x00"  # prefix that keeps phrase keys apart from word keys


@dataclass(frozen=True)
class Doc:
    """One answerable item: an initiative or a glossary term."""

    kind: str  # "initiative" | "term"
    id: str
    title: str
    fields: dict[str, tuple[str, ...]] = field(hash=False)  # field name -> texts
    names: tuple[str, ...] = ()  # short names a citizen may type as they are


_QUOTED = re.compile("「([^」]{2,25})」")


def quoted_names(plan: Plan) -> dict[str, tuple[str, ...]]:
    """Initiative id -> the names its text gives in 「」 (「書かない窓口」): the plan's own
    names for what it does, so a citizen may type them as names. A phrase several
    initiatives quote (「新しい生活様式」) or that names another item (「LINE」, a glossary
    term) names nothing of this initiative alone."""
    names = {fold_key(n) for ini in plan.initiatives for n in (ini.title, *ini.keywords)}
    names |= {fold_key(n) for t in plan.terms for n in (t.headword, *t.aliases)}
    found = {ini.id: _QUOTED.findall(f"{ini.content}{ini.effect}") for ini in plan.initiatives}
    count = Counter(q for qs in found.values() for q in set(qs))
    return {
        i: tuple(dict.fromkeys(q for q in qs if count[q] == 1 and fold_key(q) not in names))
        for i, qs in found.items()
    }


def plan_docs(plan: Plan) -> list[Doc]:
    """Initiatives first (plan order), then terms; the order is the document index."""
    docs: list[Doc] = []
    quoted = quoted_names(plan)
    for ini in sorted(plan.initiatives, key=lambda i: i.sort_key):
        fields = {
            "title": (ini.title,),
            "keywords": ini.keywords,
            "terms": ini.terms,
            "departments": ini.departments,
            # the row and what happens in it (実証実験, 開設 …): a question may name either
            "schedule": tuple(
                " ".join([r.item, *(v for v in r.by_year.values() if v and v != "-")])
                for r in ini.schedule
            ),
            "indicators": tuple(i.name for i in ini.indicators),
            "content": (ini.content,),
            "effect": (ini.effect,),
        }
        names = (ini.title, *ini.keywords, *quoted[ini.id])
        docs.append(Doc("initiative", ini.id, ini.title, fields, names))
    for term in plan.terms:
        fields = {
            "headword": (term.headword,),
            "aliases": term.aliases,
            "definition": (term.definition,),
        }
        names = (term.headword, *term.aliases, *((term.reading,) if term.reading else ()))
        docs.append(Doc("term", term.headword, term.headword, fields, names))
    return docs


class LexicalIndex:
    """BM25F + coverage over content-word keys; built once, scored in microseconds."""

    K1 = 1.2
    B = 0.75
    LONG_REF = 15.0  # idf mass of about five content words: a question longer than this ...
    LONG_POWER = 0.5  # ... weighs only (mass / LONG_REF) ** LONG_POWER times as much

    def __init__(self, docs: list[Doc], analyzer: Analyzer, weights: FieldWeights) -> None:
        self.n = len(docs)
        w = weights.model_dump()
        top = max(w.values())
        # token -> doc -> [weighted tf, best field weight]; tokens of each doc's own name
        name_tokens: list[set[str]] = [set() for _ in docs]
        post: dict[str, dict[int, list[float]]] = {}
        lengths = np.zeros(self.n)
        for d, doc in enumerate(docs):
            for name, texts in doc.fields.items():
                fw = w[name]
                for text in texts:
                    toks, phrases = analyzer.analyse(analyzer.prepare(text))
                    if name in ("title", "headword"):
                        name_tokens[d].update(toks)
                    lengths[d] += fw * len(toks)
                    for tok, tf in Counter(toks + [PHRASE + p for p in phrases]).items():
                        entry = post.setdefault(tok, {}).setdefault(d, [0.0, 0.0])
                        entry[0] += fw * tf
                        entry[1] = max(entry[1], fw)
        self._name_fields = ("title", "headword", "aliases")
        name_total = np.zeros(self.n)
        avg = float(lengths.mean()) or 1.0
        norm = self.K1 * (1 - self.B + self.B * lengths / avg)
        self.unknown_idf = math.log(1 + (self.n + 0.5) / 0.5)
        self._post: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, float]] = {}
        for tok, docs_tf in post.items():
            idx = np.fromiter(docs_tf, dtype=np.intp)
            wtf = np.array([docs_tf[i][0] for i in idx])
            fw = np.array([docs_tf[i][1] for i in idx])
            idf = math.log(1 + (self.n - len(idx) + 0.5) / (len(idx) + 0.5))
            bm = idf * wtf * (self.K1 + 1) / (wtf + norm[idx])
            named = np.array([d for d in idx if tok in name_tokens[d]], dtype=np.intp)
            name_total[named] += idf
            credit = idf * (0.5 + 0.5 * fw / top)  # a title word explains more than body text
            self._post[tok] = (idx, bm, credit, idf, named)
        self._name_total = np.maximum(name_total, 1e-9)
        # the same evidence as one dense row per token (bm25f | coverage credit | name idf),
        # so a question is one gather and one sum instead of three scatters per word
        self._row = {tok: r for r, tok in enumerate(self._post)}
        self._idf = np.array([hit[3] for hit in self._post.values()])
        dense = np.zeros((len(self._post), 3 * self.n))
        for r, (idx, b, credit, idf, named) in enumerate(self._post.values()):
            dense[r, idx] = b
            dense[r, self.n + idx] = credit
            dense[r, 2 * self.n + named] = idf
        self._dense = dense

    def known(self, token: str) -> bool:
        return token in self._post

    def score(
        self, tokens: list[str], phrases: list[str], unknown_weight: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(bm25f, coverage 0..1, name coverage 0..1) per document.

        Coverage: how much of the question the document explains. Name coverage: how much of
        the document's title/headword the question names (AI names AI fully, AI-OCR half).

        An unknown word lowers every coverage (the plan does not explain it); an unknown
        phrase counts for nothing (its words were counted already).
        """
        keys = [*dict.fromkeys(tokens), *(PHRASE + p for p in dict.fromkeys(phrases))]
        rows = [r for r in map(self._row.get, keys) if r is not None]
        unknown = sum(1 for k in keys if k not in self._row and not k.startswith(PHRASE))
        total = self.unknown_idf * unknown_weight * unknown
        if rows:
            summed = self._dense[rows].sum(axis=0)
            total += float(self._idf[rows].sum())
        else:
            summed = np.zeros(3 * self.n)
        bm, cov, named_cov = summed[: self.n], summed[self.n : 2 * self.n], summed[2 * self.n :]
        if total > self.LONG_REF:
            # a long, rambling question: its extra words (家の前, 最近, 母が …) should not
            # drown the words that name the topic, so beyond LONG_REF the question's weight
            # grows only as a square root
            total = self.LONG_REF * (total / self.LONG_REF) ** self.LONG_POWER
        if total > 0:
            cov /= total
        return bm, np.minimum(cov, 1.0), np.minimum(named_cov / self._name_total, 1.0)


class NameIndex:
    """String similarity between the question's core and each document's short names."""

    MAX_CORE = 40
    FUZZY = 75  # rapidfuzz ratio (0..100) a misspelt name must reach

    def __init__(self, docs: list[Doc], analyzer: Analyzer) -> None:
        keys: list[str] = []
        owner: list[int] = []
        for d, doc in enumerate(docs):
            seen: set[str] = set()
            for name in doc.names:
                variants = (name, analyzer.prepare(name), analyzer.reading(name))
                for variant in variants:
                    key = fold_key(variant)
                    if len(key) >= 2 and key not in seen:
                        seen.add(key)
                        keys.append(key)
                        owner.append(d)
        self.n = len(docs)
        self.analyzer = analyzer
        self.keys = keys
        self.owner = owner
        self._len = [len(k) for k in keys]
        # for the fuzzy ratio's pre-filter: each character -> the names holding it, a name
        # listed once per occurrence (its count of that character)
        post: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            for ch in k:
                post.setdefault(ch, []).append(i)
        self._chars = {c: np.array(ids, dtype=np.intp) for c, ids in post.items()}
        self._lens = np.array(self._len, dtype=float)
        self._need = (self.FUZZY / 200) * self._lens - 0.5  # half a character of slack
        # exact containment by dictionary look-up instead of scanning every name:
        # name -> its key indices, and every substring of a name -> key indices
        self._exact: dict[str, list[int]] = {}
        self._within: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            self._exact.setdefault(k, []).append(i)
            for a in range(len(k)):
                for b in range(a + 2, len(k) + 1):
                    self._within.setdefault(k[a:b], []).append(i)
        self._lengths = sorted({len(k) for k in keys})
        self._longest = max(self._lengths, default=0)
        # where in a question some name may start (its first two characters): one look-up
        # per position instead of one per position and name length
        self._heads = frozenset(k[:2] for k in keys)

    def parts(self) -> frozenset[str]:
        """Every piece (2+ characters) of every name key, names and readings alike."""
        return frozenset(self._within)

    def score(self, core: str) -> np.ndarray:
        """Per document 0..1: 1 = the question is exactly a name of it.

        Whole-string similarity (rapidfuzz ratio, for typos: デジタルデパイド) and exact
        containment either way (a name inside the question, or the question inside a name),
        credited by how much of the longer string it covers. A fuzzy *partial* match was
        measured too slow (1-3 ms a question) for what it added.
        """
        out = np.zeros(self.n)
        n = len(core)
        if not 2 <= n <= self.MAX_CORE:
            return out  # a long rambling question is matched by its words, not as a name
        best: dict[int, float] = {}  # name key -> credit (only the few names that match)
        if n <= self._longest + 4:  # a long question is not a misspelt name
            for i, r in self._fuzzy(core):
                best[i] = r
        inside = set(self._within.get(core, ()))  # the question inside a name
        words: set[int] | None = None  # word boundaries, computed only when needed
        heads = self._heads
        starts = [a for a in range(n - 1) if core[a : a + 2] in heads]
        for size in self._lengths:  # a name inside the question, as whole words
            if size > n:
                break
            for a in starts:
                if a + size > n:
                    break
                hit = self._exact.get(core[a : a + size])
                if not hit:
                    continue
                if size < n:
                    # ライン inside オンライン is not the name ライン
                    words = words if words is not None else self.analyzer.boundaries(core)
                    if a not in words or a + size not in words:
                        continue
                inside.update(hit)
        for i in inside:  # credited by how much of the longer string the shorter covers
            size = self._len[i]
            credit = 0.5 + 0.5 * (min(size, n) / max(size, n))
            if size > n:
                credit *= 0.9
            if credit > best.get(i, 0.0):
                best[i] = credit
        for i, credit in best.items():
            d = self.owner[i]
            if credit > out[d]:
                out[d] = credit
        return out

    def _fuzzy(self, core: str) -> list[tuple[int, float]]:
        """(name key, ratio 0..1) for names within FUZZY of `core` (rapidfuzz ratio).

        The ratio is 2·LCS / (len1 + len2), and the LCS is at most the number of a name's
        characters that occur in `core` at all: names with too few are never compared.
        """
        found = [ids for ch in set(core) if (ids := self._chars.get(ch)) is not None]
        if not found:
            return []
        shared = np.bincount(np.concatenate(found), minlength=len(self.keys))
        near = np.flatnonzero(shared >= self._need + (self.FUZZY / 200) * len(core)).tolist()
        if not near:
            return []
        keys = self.keys
        ratios = (
            process.cdist(
                [core], [keys[i] for i in near], scorer=fuzz.ratio, score_cutoff=self.FUZZY
            )[0]
            / 100
        )
        return [(i, r) for i, r in zip(near, ratios.tolist(), strict=True) if r > 0]
