"""AnswerEngine: a citizen's free-text question -> Result (intent + ranked matches).

The order of decisions, and why:
1. blank input -> "empty"; an initiative number in any form (1-5, １－５, 1の5) -> that
   initiative, because a number is unambiguous.
2. nothing but small talk -> "greeting"/"thanks"; a list request -> "browse". These never
   reach the ranking, so こんにちは can never be answered with a plan item.
3. lexical ranking (coverage + BM25F over content words, and name similarity for typos
   and kana-only input), nudged by the wording: 「〜とは」「意味」 lean to a glossary term,
   「いつ」「目標」「予定」 to an initiative. A bare word that is both a term and an
   initiative (ドローン, テレワーク) goes to the term: its definition is the shortest useful
   answer and the term's reply links to the initiative.
4. a declined topic (天気, ごみ, 市長 …) wins unless the plan matches very strongly; a weak
   one (a place named in passing: 大山) only when the plan matches nothing. A near-miss cue
   with a plan topic in sight -> "nearmiss" (the desk).
5. confident (score and margin over the runner-up) -> "answer"; otherwise "candidates"
   (≤ 3, 「もしかして」) when something is near (the line is low: an unsure engine offers the
   item rather than declining), else "fallback". A 「もしかして」 the second scorer confirms
   (semantic.py, a cascade stage) is answered; an answer resting on one shared word and
   nothing that asks about the plan is only offered (`_one_anchor`).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Literal

import numpy as np

from bot.answers.english import EnglishIndex, EnglishWords, check_english, load_english
from bot.answers.facets import FacetRules, Facets
from bot.answers.index import PHRASE, Doc, LexicalIndex, NameIndex, plan_docs
from bot.answers.intent import IntentRules
from bot.answers.normalize import (
    Analyzer,
    KanaReader,
    SynonymTable,
    fold_key,
    initiative_numbers,
    is_blank,
)
from bot.answers.rules import AnsweringRules, load_rules
from bot.answers.semantic import SemanticStage
from bot.content import Plan

Kind = Literal["initiative", "term"]
Intent = Literal[
    "answer",
    "candidates",
    "nearmiss",
    "fallback",
    "greeting",
    "thanks",
    "offtopic",
    "browse",
    "menu",
    "empty",
]
MAX_MATCHES = 5
_LATIN_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]+")
NO_FACETS = Facets()


@dataclass(frozen=True)
class Match:
    kind: Kind
    id: str  # "1-5" or the term headword
    title: str  # initiative title or term headword
    score: float  # calibrated 0..1 confidence-like score, best first


@dataclass(frozen=True)
class Result:
    question: str
    intent: Intent
    matches: tuple[Match, ...] = ()  # best first, at most 5
    topic: str | None = None  # offtopic: the declined topic; menu: the page; browse: policy no.
    facets: Facets = NO_FACETS  # what the question asks (figure, year, near miss, English …)
    indicator: int | None = None  # answer: the indicator of the best initiative asked about
    row: int | None = None  # answer: the schedule row asked about
    marked: str | None = None  # a word the plan marks with ※ but does not define (eMAFF)

    @property
    def confident(self) -> bool:
        return self.intent == "answer"

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


@dataclass(frozen=True)
class _Ranked:
    order: np.ndarray  # document indices, best first
    scores: np.ndarray  # per document, 0..1
    tokens: tuple[str, ...] = ()  # the question's content words (for _focused)
    phrases: tuple[str, ...] = ()  # adjacent nouns joined (中国+語)
    lean: int = 0  # the wording: +1 a term, -1 an initiative, 0 neither
    cued: bool = False  # a cue word of either kind (とは, 目標, 導入 …) is in the question
    named: np.ndarray | None = None  # per document: the question names it (part of its name)


class AnswerEngine:
    """Built once from the plan; `ask` is pure and thread-safe."""

    BARE_TERM_BONUS = 0.02  # ties between a term and an initiative go to the term
    MENU_WORD_MAX = 20  # longer messages are questions, never a typed menu word
    TERM_NAMED = 0.6  # a term's name matches the question this well: 「〜とは」 may lean to it

    def __init__(
        self,
        plan: Plan,
        rules: AnsweringRules,
        semantic: SemanticStage | None = None,
        english: EnglishWords | None = None,
    ) -> None:
        self.plan = plan
        self.rules = rules
        groups = [(g.canonical, g.variants) for g in plan.synonyms]
        # A term's aliases are synonyms of its headword everywhere (個人番号カード).
        groups += [(t.headword, t.aliases) for t in plan.terms if t.aliases]
        stopwords = (*rules.question_words, *rules.english_words)
        self.analyzer = Analyzer(SynonymTable.build(groups), stopwords)
        self.docs: list[Doc] = plan_docs(plan)
        self.lexical = LexicalIndex(self.docs, self.analyzer, rules.field_weights)
        self.names = NameIndex(self.docs, self.analyzer)
        # English questions: content/english.yaml plus the Latin names the plan uses (LINE)
        english = english if english is not None else load_english()
        check_english(english, plan)
        self.english = EnglishIndex(
            [(d.kind, d.id) for d in self.docs],
            english,
            [" ".join(_LATIN_NAME.findall(" ".join(d.names))) for d in self.docs],
        )
        self.intents = IntentRules(rules)
        names = [n for ini in plan.initiatives for n in (ini.title, *ini.keywords)]
        self.facet_rules = FacetRules(rules, names=names)
        self.kana = KanaReader(self.analyzer, self._vocabulary(plan, rules), self.names.parts())
        self.semantic = semantic
        # words the plan marks with ※ but defines nowhere -> the initiative that uses them;
        # each is known by its own spelling and by its synonyms' (イーマフ)
        spellings = {fold_key(g.canonical): g.variants for g in plan.synonyms}
        self._marked = [
            (key, w, ini.id)
            for ini in plan.initiatives
            for w in ini.marked
            for key in {fold_key(w), *(fold_key(v) for v in spellings.get(fold_key(w), ()))}
            if key
        ]
        self._item_tokens = {
            ini.id: (
                [set(self._tokens(i.name)) for i in ini.indicators],
                [set(self._tokens(r.item)) for r in ini.schedule],
            )
            for ini in plan.initiatives
        }
        self._is_term = np.array([d.kind == "term" for d in self.docs])
        self._term_keys = [
            k
            for t in plan.terms
            for k in {fold_key(n) for n in (t.headword, *t.aliases)}
            if len(k) >= 2
        ]
        self._by_id = {(d.kind, d.id): i for i, d in enumerate(self.docs)}
        self._linked = self._link_pairs(plan)
        pairs = sorted(self._linked)
        self._linked_a = np.array([p[0] for p in pairs], dtype=np.intp)
        self._linked_b = np.array([p[1] for p in pairs], dtype=np.intp)
        # each term with its partner initiatives (in index order)
        partners: dict[int, list[int]] = {}
        for a, b in pairs:
            if self._is_term[a] and not self._is_term[b]:
                partners.setdefault(a, []).append(b)
        self._partners = sorted(partners.items())

    @classmethod
    def from_content(
        cls, plan: Plan, rules: AnsweringRules | None = None, *, semantic: str = "off"
    ) -> AnswerEngine:
        """The engine for `plan` with the rules of content/answering.yaml.

        semantic: "off" (lexical only), "background" (the second scorer loads in a thread
        and joins when ready: the web and worker processes) or "sync" (load now: benchmarks,
        evaluation)."""
        engine = cls(plan, rules or load_rules())
        if semantic != "off":  # after the build, so the two do not compete for the CPU
            engine.semantic = SemanticStage(
                semantic_documents(plan), engine.vocabulary(), background=semantic != "sync"
            )
        return engine

    def _link_pairs(self, plan: Plan) -> set[tuple[int, int]]:
        """(term, initiative) pairs that name the same thing: not rivals for the margin."""
        pairs: set[tuple[int, int]] = set()
        for ini in plan.initiatives:
            i = self._by_id[("initiative", ini.id)]
            title = fold_key(ini.title)
            names = [title, *(fold_key(k) for k in ini.keywords)]
            for term in plan.terms:
                t = self._by_id[("term", term.headword)]
                head = fold_key(term.headword)
                # ドローン / ドローンの活用; チャットボット as a keyword of 1-5; ※-marked terms
                if (
                    any(head in n for n in names)
                    or term.headword in ini.terms
                    or ini.id in term.initiatives
                ):
                    pairs.add((t, i))
                    pairs.add((i, t))
        return pairs

    # --- the question ------------------------------------------------------------------------

    @staticmethod
    def _vocabulary(plan: Plan, rules: AnsweringRules) -> list[str]:
        """The plan's naming texts and the question words: what kana-only input may spell."""
        texts: list[str] = [*rules.question_words]
        for ini in plan.initiatives:
            texts += [ini.title, *ini.keywords, *ini.departments]
            texts += [i.name for i in ini.indicators] + [r.item for r in ini.schedule]
        for term in plan.terms:
            texts += [term.headword, *term.aliases]
        return texts

    def ask(self, question: str) -> Result:
        if is_blank(question):
            return Result(question, "empty")
        asked, question = question, self.kana.rewrite(question)
        result = self._ask(question)
        return result if asked == question else dataclasses.replace(result, question=asked)

    def _ask(self, question: str) -> Result:
        facets = self.facet_rules.read(question)
        numbered = self._numbered(question, facets)
        if numbered is not None:
            return numbered
        talk = self.intents.small_talk(question)
        if talk is not None:
            return Result(question, talk)  # type: ignore[arg-type]
        if self.intents.browse(question):
            return Result(question, "browse")
        if len(question) <= self.MENU_WORD_MAX:  # a menu word is typed on its own
            menu = self.facet_rules.menu(question, self.intents.only)
            if menu is not None:
                return Result(question, "menu", topic=menu)
            policy = self.facet_rules.policy(question)
            if policy is not None:
                return Result(question, "browse", topic=str(policy))
        text = self.facet_rules.without_years(self.intents.strip_small_talk(question))
        marked = self._marked_word(text)
        ranked = self._rank(text, facets, marked)
        th = self.rules.thresholds
        top = float(ranked.scores[ranked.order[0]])
        topic = self.intents.topic(text)
        if topic is not None and top < th.candidates and not facets.safety:
            return Result(question, "offtopic", topic=topic, facets=facets)
        if facets.nearmiss is not None:
            near = self._near_miss(question, ranked, facets)
            if near is not None:
                return near
        strong = topic is not None and topic not in self.intents.weak_topics
        if strong and top < th.offtopic_override:
            return Result(question, "offtopic", topic=topic, facets=facets)
        intent = self._decide(ranked)
        if intent == "candidates" and self._semantic_agrees(text, ranked):
            intent = "answer"
        if intent == "answer" and self._one_anchor(ranked, facets, marked):
            intent = "candidates"
        if intent == "fallback" and talk is None and self.intents.small_talk(question):
            intent = "greeting"
        matches = self._matches(ranked, intent)
        result = Result(
            question, intent, matches, facets=facets, marked=marked[1] if marked else None
        )
        return self._focused(result, ranked.tokens)

    def _one_anchor(self, ranked: _Ranked, facets: Facets, marked: tuple[str, str] | None) -> bool:
        """The question shares one word with the plan and says things the plan never does,
        with nothing that asks about the plan (no figure, date or desk, no cue word such as
        とは or 導入; a bare 「…ある？」 is no such cue): 「英語の勉強って何からやればいい？」
        is not about 1-3's English support. Such a match is offered as 「もしかして」, never
        answered."""
        if facets.facet in ("figure", "when", "department") or facets.english:
            return False
        if marked is not None or ranked.cued:
            return False
        known = {t for t in ranked.tokens if self.lexical.known(t)}
        # a compound the plan uses (中国+語) is one word
        compounds = {p for p in ranked.phrases if self.lexical.known(PHRASE + p)}
        return len(known) - len(compounds) == 1 and len(known) < len(set(ranked.tokens))

    def _semantic_agrees(self, text: str, ranked: _Ranked) -> bool:
        """The second scorer's nearest document is the lexical favourite, and there is
        enough lexical evidence for that agreement to mean something."""
        if self.semantic is None:
            return False
        first = int(ranked.order[0])
        if ranked.scores[first] < self.rules.thresholds.semantic:
            return False  # too little lexical evidence to confirm
        named = ranked.named is not None and bool(ranked.named[first])
        if not named and len({t for t in ranked.tokens if self.lexical.known(t)}) < 2:
            return False  # one body-text word (「あなたは人間ですか」: 人間, in AI's definition)
        found = self.semantic.nearest(ranked.tokens)
        if found is None:
            return False
        return found[0] == first

    def vocabulary(self) -> dict[str, str]:
        """Content-word key -> its dictionary form, for every word of the documents' texts
        and the synonyms' canonical words: what the second scorer embeds once."""
        words: dict[str, str] = {}
        texts = [*semantic_documents(self.plan), *(g.canonical for g in self.plan.synonyms)]
        for text in texts:
            for key, form in self.analyzer.content_words(self.analyzer.prepare(text)):
                words.setdefault(key, form)
        return words

    def _marked_word(self, text: str) -> tuple[str, str] | None:
        """(initiative id, word) when the question names a ※ word the glossary lacks."""
        key = fold_key(text)
        for folded, word, ini_id in self._marked:
            if folded and folded in key:
                return ini_id, word
        return None

    def _near_miss(self, question: str, ranked: _Ranked, facets: Facets) -> Result | None:
        """An in-scope topic asking what the plan does not hold: the related initiative."""
        th = self.rules.thresholds
        related: list[Match] = []
        for j in ranked.order[:3]:
            score = float(ranked.scores[int(j)])
            if score < th.nearmiss_related:
                break
            ini_id = self._initiative_of(self.docs[int(j)])
            if ini_id and all(m.id != ini_id for m in related):
                ini = self.plan.initiative_by_id[ini_id]
                related.append(Match("initiative", ini.id, ini.title, round(score, 4)))
        if facets.safety:
            safety = self.rules.safety.initiative
            if safety in self.plan.initiative_by_id:
                ini = self.plan.initiative_by_id[safety]
                top = related[0].score if related else 0.0
                related = [m for m in related if m.id != safety]
                related.insert(0, Match("initiative", ini.id, ini.title, top))
        if not related:
            return None
        return Result(question, "nearmiss", tuple(related[:3]), facets=facets)

    def _initiative_of(self, doc: Doc) -> str | None:
        """The initiative a document stands for (a term: the first initiative that uses it)."""
        if doc.kind == "initiative":
            return doc.id
        term = self.plan.term_by_headword.get(doc.id)
        inis = sorted(
            (
                self.plan.initiative_by_id[i]
                for i in (term.initiatives if term else ())
                if i in self.plan.initiative_by_id
            ),
            key=lambda i: i.sort_key,
        )
        return inis[0].id if inis else None

    def _tokens(self, text: str) -> list[str]:
        return self.analyzer.tokens(self.analyzer.prepare(text))

    def _focused(self, result: Result, tokens: tuple[str, ...] | None) -> Result:
        """The indicator and schedule row of the answered initiative the question names."""
        best = result.best
        if result.intent != "answer" or best is None or best.kind != "initiative":
            return result
        if result.facets.facet is None:
            return result
        ini = self.plan.initiative_by_id[best.id]
        words = set(tokens if tokens is not None else self._tokens(result.question))
        indicators, rows = self._item_tokens[ini.id]
        unit = result.facets.unit
        ind_scores = [
            len(words & toks) + (2 if unit and ind.unit == unit else 0)
            for toks, ind in zip(indicators, ini.indicators, strict=True)
        ]
        row_scores = [len(words & toks) for toks in rows]
        return dataclasses.replace(
            result, indicator=_unique_best(ind_scores), row=_unique_best(row_scores)
        )

    def _numbered(self, question: str, facets: Facets) -> Result | None:
        ids = [i for i in initiative_numbers(question) if ("initiative", i) in self._by_id]
        if not ids:
            return None
        found = tuple(
            Match("initiative", i, self.plan.initiative_by_id[i].title, 1.0)
            for i in dict.fromkeys(ids)
        )
        result = Result(question, "answer", found[:MAX_MATCHES], facets=facets)
        return self._focused(result, None)

    def _rank(self, text: str, facets: Facets, marked: tuple[str, str] | None) -> _Ranked:
        core = self.analyzer.prepare(self.intents.core(text))
        tokens, phrases = self.analyzer.analyse(core)
        bm, cov, named = self.lexical.score(tokens, phrases, self.rules.unknown_word_weight)
        name = self.names.score(fold_key(core))
        # coverage is the main evidence, discounted when the question names only part of the
        # document's title; a name typed as it is (or nearly) is proof on its own
        lexical = cov * (0.75 + 0.25 * named)
        scores = 0.87 * np.maximum(name, lexical) + 0.13 * np.minimum(name, lexical)
        top_bm = bm.max()
        if top_bm > 0:
            scores = scores + 0.02 * bm / top_bm  # tf and length break ties
        if facets.english:  # the English path: English keywords, stems, stop words
            scores = np.maximum(scores, self.english.score(text))
        scores = np.minimum(scores, 1.0)  # (every part is >= 0)
        cues = self.intents.lean(text)
        lean = cues.direction
        if facets.facet in ("figure", "when", "department") or marked is not None:
            lean = -1  # a count, a date or a desk is held by an initiative, not a definition
        elif facets.facet == "yesno" and lean == 0:
            lean = -1  # 「〜できる？」 asks what the city will do
        elif lean > 0 and not (
            (name[self._is_term] >= self.TERM_NAMED).any() or self._names_term(core)
        ):
            lean = 0  # 「〜って何」 about a word that is no glossary term (LINE): no lean
        penalty = 1 - self.rules.cue_weight
        if lean > 0:
            scores = np.where(self._is_term, scores, scores * penalty)
        elif lean < 0:
            scores = np.where(self._is_term, scores * penalty, scores)
        if lean != 0:
            scores = self._wording_decides(scores, favour_terms=lean > 0)
        if lean == 0:  # a bare word that is a glossary term: the term (see module docstring)
            bonus = self._is_term & (scores > 0)
            scores = np.where(bonus, scores + self.BARE_TERM_BONUS, scores)
        order = np.argsort(-scores, kind="stable")
        named_any = (named > 0) | (name > 0)
        cued = cues.term or cues.initiative
        return _Ranked(
            order, np.minimum(scores, 1.0), tuple(tokens), tuple(phrases), lean, cued, named_any
        )

    def _names_term(self, core: str) -> bool:
        """A glossary term's headword or alias is written whole in the question
        (「デジタルデバイドってお年寄りのこと？」: the name is only part of a long core)."""
        key = fold_key(core)
        return any(k in key for k in self._term_keys)

    def _wording_decides(self, scores: np.ndarray, favour_terms: bool) -> np.ndarray:
        """Where a term and an initiative name the same thing (ドローン / 3-4), the wording
        picks between them: the favoured one ranks just above its partner. A term several
        initiatives use (マイナンバーカード: 1-2 and 1-4) lifts only the one the question
        matches best, so the wording never ties them."""
        if favour_terms:
            a, b = self._linked_a, self._linked_b
            keep = self._is_term[a] & (scores[b] > 0)
            out = scores.copy()
            np.maximum.at(out, a[keep], np.minimum(1.0, scores[b[keep]] + 0.01))
            return out
        values = scores.tolist()
        lifted: dict[int, float] = {}
        for term, partners in self._partners:
            if values[term] <= 0:
                continue
            best = max(partners, key=values.__getitem__)  # the first of equals
            lift = min(1.0, values[term] + 0.01)
            if lift > max(values[best], lifted.get(best, 0.0)):
                lifted[best] = lift
        if not lifted:
            return scores
        out = scores.copy()
        out[list(lifted)] = list(lifted.values())
        return out

    def _decide(self, ranked: _Ranked) -> Intent:
        th = self.rules.thresholds
        first = int(ranked.order[0])
        top = float(ranked.scores[first])
        rival = next(
            (int(j) for j in ranked.order[1:] if (first, int(j)) not in self._linked), None
        )
        runner = float(ranked.scores[rival]) if rival is not None else 0.0
        if top >= th.answer and top - runner >= th.margin:
            return "answer"
        if top >= th.clear_answer and runner <= top * th.clear_lead:
            return "answer"  # modest score, but nothing else comes close
        if top >= th.candidates:
            return "candidates"
        return "fallback"

    def _matches(self, ranked: _Ranked, intent: Intent) -> tuple[Match, ...]:
        limit = 3 if intent == "candidates" else MAX_MATCHES
        out = []
        top = ranked.order[:limit].tolist()
        for j, raw in zip(top, ranked.scores[top].tolist(), strict=True):
            doc = self.docs[j]
            score = round(raw, 4)
            if intent in ("fallback", "candidates") and score <= 0:
                break  # never offer an item the question does not match at all
            out.append(Match(doc.kind, doc.id, doc.title, score))  # type: ignore[arg-type]
        return tuple(out)


def _unique_best(scores: list[int]) -> int | None:
    """The index of the single highest positive score, else None (ask about all)."""
    if not scores:
        return None
    top = max(scores)
    if top <= 0 or scores.count(top) > 1:
        return None
    return scores.index(top)


def semantic_documents(plan: Plan) -> list[str]:
    """One text per document, in plan_docs order: its name, keywords and opening sentences."""
    texts = []
    for ini in sorted(plan.initiatives, key=lambda i: i.sort_key):
        texts.append(f"{ini.title}。{'、'.join(ini.keywords)}。{ini.content[:120]}")
    for term in plan.terms:
        texts.append(f"{term.headword}。{term.definition[:120]}")
    return texts
