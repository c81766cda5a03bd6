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


def plan_docs(plan: Plan) -> list[Doc]:
    """Initiatives first (plan order), then terms; the order is the document index."""
    docs: list[Doc] = []
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
        docs.append(Doc("initiative", ini.id, ini.title, fields, (ini.title, *ini.keywords)))
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
        bm = np.zeros(self.n)
        cov = np.zeros(self.n)
        named_cov = np.zeros(self.n)
        total = 0.0
        keys = [*dict.fromkeys(tokens), *(PHRASE + p for p in dict.fromkeys(phrases))]
        for tok in keys:
            hit = self._post.get(tok)
            if hit is None:
                if not tok.startswith(PHRASE):
                    total += self.unknown_idf * unknown_weight
                continue
            idx, b, credit, idf, named = hit
            named_cov[named] += idf
            bm[idx] += b
            cov[idx] += credit
            total += idf
        if total > 0:
            cov /= total
        return bm, cov, np.minimum(named_cov / self._name_total, 1.0)


class NameIndex:
    """String similarity between the question's core and each document's short names."""

    MAX_CORE = 40

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
        self.owner = np.array(owner, dtype=np.intp)
        self.lens = np.array([len(k) for k in keys], dtype=float)
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
        if not 2 <= len(core) <= self.MAX_CORE:
            return out  # a long rambling question is matched by its words, not as a name
        qlen = float(len(core))
        if len(core) <= self._longest + 4:  # a long question is not a misspelt name
            ratio = process.cdist([core], self.keys, scorer=fuzz.ratio, score_cutoff=75)[0] / 100
        else:
            ratio = np.zeros(len(self.keys))
        inside = np.zeros(len(self.keys), dtype=bool)
        inside[self._within.get(core, [])] = True  # the question inside a name
        n = len(core)
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
                inside[hit] = True
        share = np.minimum(self.lens, qlen) / np.maximum(self.lens, qlen)
        contained = np.where(inside, 0.5 + 0.5 * share, 0.0)
        contained = np.where(self.lens > qlen, contained * 0.9, contained)
        best = np.maximum(ratio, contained)
        np.maximum.at(out, self.owner, best)
        return out
