"""Japanese text normalisation shared by the query and the documents.

Citizens type the same word in many ways (全角/半角, ひらがな/カタカナ, ー or no ー,
マイナカード for マイナンバーカード, １－５ for 1-5). Everything that compares text goes through
the functions here, applied identically to questions and to plan text, so both sides meet
in one form.
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import jaconv

# Dash-like and long-vowel-like characters people type between or after characters.
_DASHES = "-‐‑‒–—―−ｰ－"
_LONG_VOWEL_LIKE = "ーｰ〜～~" + _DASHES
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")


# The pure string folds below run many times per question (every rule folds the question
# again); caching them is cheaper than threading the folded forms through every caller.
@functools.lru_cache(maxsize=8192)
def nfkc(text: str) -> str:
    """NFKC (full/half width, compatibility forms) without zero-width characters."""
    return unicodedata.normalize("NFKC", text.translate(_ZERO_WIDTH))


def is_blank(text: str) -> bool:
    """True when nothing but spaces, punctuation, symbols or emoji is left."""
    return all(unicodedata.category(ch)[0] not in "LN" for ch in nfkc(text))


def _is_kana(ch: str) -> bool:
    return "\u3041" <= ch <= "\u30ff" or ch == "ー"


_LONG_AFTER_KANA = re.compile("(?<=[\u3041-\u30ffー])[" + re.escape(_LONG_VOWEL_LIKE) + "]")


@functools.lru_cache(maxsize=8192)
def soft(text: str) -> str:
    """NFKC + lower-case ASCII + one long-vowel mark; keeps hiragana vs katakana and kanji.

    A dash or wave right after a kana is a long vowel typed with the wrong key (ろーど, ロ-ド).
    """
    return _LONG_AFTER_KANA.sub("ー", nfkc(text).lower())


_HIRA_TO_KATA = {c: c + 0x60 for c in range(0x3041, 0x3097)}


@functools.lru_cache(maxsize=8192)
def katakana(text: str) -> str:
    """Hiragana -> katakana, one character for one, so spans found in the folded text
    are valid in the original."""
    return text.translate(_HIRA_TO_KATA)


_KEY_DROP = re.compile(
    r"[\sー・･、。,.!?！？「」『』()（）\[\]【】〈〉<>＜＞\"'“”‘’:;／/=＝※*＊☆★]+"
)


@functools.lru_cache(maxsize=8192)
def fold_key(text: str) -> str:
    """The loosest comparable form: soft + katakana + no long vowels, spaces or punctuation.

    コンピュータ / コンピューター / こんぴゅーた all become コンピュタ, so names and readings
    can be compared as strings. Dashes between letters or digits are dropped too (AI-OCR =
    AIOCR).
    """
    return _KEY_DROP.sub("", katakana(soft(text))).replace("-", "")


def pattern_fold(text: str) -> str:
    """The form both answering.yaml patterns and questions take before regex matching.

    NFKC turns full-width ？ into ?, so patterns must escape it (\\?) like any regex.
    """
    return katakana(soft(text))


_LATIN_EDGE = re.compile(r"[a-z]")


def rule_pattern(pattern: str, whole_word: bool = False) -> str:
    """One answering.yaml pattern, folded like a question, as a regex alternative.

    English words are matched from the start of a word (rate is not inside separate); with
    `whole_word`, to its end too (the greeting hi is not inside hiking, bus not inside
    business). Japanese has no spaces, so only patterns that start with a Latin letter are
    bounded.
    """
    folded = pattern_fold(pattern)
    if _LATIN_EDGE.match(folded):
        # the look-behind goes after the first letter: an alternation whose branches all
        # start with a literal is searched much faster (the regex engine skips ahead)
        first, rest = folded[0], folded[1:]
        if rest[:1] in ("?", "*", "+", "{"):
            folded = "(?<![a-z])" + folded
        else:
            folded = f"{first}(?<![a-z]{first}){rest}"
    if whole_word and _LATIN_EDGE.match(pattern_fold(pattern)):
        folded = f"(?:{folded})(?![a-z])"  # an English word, to its end (bus(es)?)
    return f"(?:{folded})"


def kana_runs_to_katakana(text: str) -> str:
    """Turn hiragana runs that contain ー into katakana (どろーん -> ドローン).

    A long-vowel mark almost never appears inside hiragana words, so such a run is a
    katakana loanword typed in hiragana; the tokenizer only knows the katakana form.
    """

    def repl(m: re.Match[str]) -> str:
        return katakana(m.group(0)) if "ー" in m.group(0) else m.group(0)

    return re.sub(r"[\u3041-\u3096ー]{2,}", repl, text)


# --- initiative numbers --------------------------------------------------------------------

_SEP = r"\s*(?:[" + re.escape(_DASHES) + r"ー〜～~_・]|の|之|ノ)\s*"
_NUMBER = re.compile(
    r"(?<![0-9])(?<![0-9][.,])([1-9])" + _SEP + r"([1-9][0-9]?)(?![0-9]|\s*[%.,])"
)


def initiative_numbers(text: str) -> list[str]:
    """Every 'policy-item' number written in the text, as '1-5' strings, in order.

    Accepts 1-5, １－５, 1ー5, 1の5, 一の五, 取組番号1-5 …; the caller checks they exist.
    """
    t = nfkc(text).translate(_KANJI_DIGITS)
    return [f"{a}-{b}" for a, b in _NUMBER.findall(t)]


# --- synonyms ------------------------------------------------------------------------------


_HIRAGANA_WORD = re.compile("[\u3041-\u3096]+")  # no long-vowel mark: ー makes a loanword
_PARTICLES = frozenset("のでにをはがともへやかね")


def _is_hiragana_letter(ch: str) -> bool:
    return bool(ch) and "\u3041" <= ch <= "\u3096"


def _script(ch: str) -> str:
    if "\u30a1" <= ch <= "\u30ff" or ch == "ー":
        return "katakana"
    if ch.isascii() and ch.isalnum():
        return "latin"
    return "other"


@dataclass(frozen=True)
class SynonymTable:
    """Variant -> canonical replacements applied to questions and documents alike.

    Replacement is on whole words only for katakana and Latin words, so ライン never turns
    オンライン into オンLINE; kanji variants may sit inside compounds.
    """

    pairs: tuple[tuple[str, str], ...]  # (soft variant, canonical), longest variant first

    def __post_init__(self) -> None:
        lookup = dict(self.pairs)
        pattern = "|".join(re.escape(v) for v, _ in self.pairs)
        object.__setattr__(self, "_lookup", lookup)
        object.__setattr__(self, "_pattern", re.compile(pattern) if pattern else None)

    @classmethod
    def build(cls, groups: Iterable[tuple[str, Sequence[str]]]) -> SynonymTable:
        pairs: dict[str, str] = {}
        for canonical, variants in groups:
            for v in variants:
                sv = soft(v)
                sc = soft(canonical)
                if sv and sv != sc:
                    pairs.setdefault(sv, sc)
                    # hiragana typed for a katakana variant still counts
                    pairs.setdefault(jaconv.kata2hira(sv), sc)
                    pairs.setdefault(katakana(sv), sc)
        ordered = sorted(pairs.items(), key=lambda kv: -len(kv[0]))
        return cls(tuple(ordered))

    def apply(self, text: str) -> str:
        """Replace variants in `text` (already `soft`) by their canonical word, one pass."""
        pattern: re.Pattern[str] | None = self._pattern  # type: ignore[attr-defined]
        if pattern is None:
            return text
        lookup: dict[str, str] = self._lookup  # type: ignore[attr-defined]

        def repl(m: re.Match[str]) -> str:
            canonical = lookup[m.group(0)]
            if self._inside(text, m.start(), m.end(), canonical):
                return m.group(0)  # 安心メール inside いせはらくらし安心メール stays
            if self._whole(text, m.start(), m.end(), m.group(0)):
                return canonical
            return m.group(0)

        return pattern.sub(repl, text)

    @staticmethod
    def _inside(text: str, start: int, end: int, canonical: str) -> bool:
        """The match lies inside an occurrence of its own canonical word."""
        at = text.find(canonical, max(0, end - len(canonical)), start + len(canonical))
        return at != -1 and at <= start and at + len(canonical) >= end

    @staticmethod
    def _whole(text: str, start: int, end: int, variant: str) -> bool:
        first, last = _script(variant[0]), _script(variant[-1])
        if first != "other" and start > 0 and _script(text[start - 1]) == first:
            return False
        if last != "other" and end < len(text) and _script(text[end]) == last:
            return False
        if len(variant) <= 3 and _HIRAGANA_WORD.fullmatch(variant):
            # a short word spelt in hiragana (らいん, ちず) sits between particles, not inside
            # other hiragana (見づらいんだけど); a longer one is distinctive (まどぐち in
            # かかないまどぐち)
            before = text[start - 1] if start > 0 else ""
            after = text[end] if end < len(text) else ""
            return not (_is_hiragana_letter(before) and before not in _PARTICLES) and not (
                _is_hiragana_letter(after) and after not in _PARTICLES
            )
        return True


# --- tokens --------------------------------------------------------------------------------

_KEEP_POS = {"名詞", "動詞", "形容詞", "形状詞"}
_DROP_POS2 = {"数詞", "非自立可能", "助動詞語幹"}


class Analyzer:
    """Text -> content-word keys: soft form, synonyms, Sudachi mode A `normalized_form`.

    Mode A normalized forms were measured best for Japanese FAQ search (表記ゆれ: 子ども ->
    子供). Particles, auxiliaries, pronouns, numbers and the configured question words are
    dropped: they say how something is asked, not what about.
    """

    def __init__(self, synonyms: SynonymTable, stopwords: Iterable[str] = ()) -> None:
        from sudachipy import Dictionary, SplitMode

        # A Sudachi tokenizer is not thread-safe ("Tokenizer is already in use"): the engine
        # is shared by the worker threads, so each thread gets its own tokenizer of one
        # shared dictionary.
        self._dictionary = Dictionary()
        self._local = threading.local()
        self._mode = SplitMode.A
        self.synonyms = synonyms
        # a stop word is known by its own key and by its dictionary form (就く -> つく)
        keys = {fold_key(w) for w in stopwords}
        for w in stopwords:
            if w.isascii():  # English: Sudachi would map "number" to ナンバー, "on" to オン
                continue
            ms = self._tok.tokenize(soft(w), self._mode)
            if len(ms) == 1:
                keys.add(fold_key(ms[0].normalized_form()))
        self.stopwords = frozenset(keys)

    @property
    def _tok(self) -> Any:
        tok = getattr(self._local, "tokenizer", None)
        if tok is None:
            tok = self._local.tokenizer = self._dictionary.tokenizer()
        return tok

    def boundaries(self, text: str) -> set[int]:
        """Offsets in `text` where a word starts or ends (mode A)."""
        cuts = {0, len(text)}
        for m in self._tok.tokenize(text, self._mode):
            cuts.add(m.begin())
            cuts.add(m.end())
        return cuts

    def prepare(self, text: str) -> str:
        """soft + synonyms + hiragana loanwords to katakana: the form every scorer sees."""
        return kana_runs_to_katakana(self.synonyms.apply(soft(text)))

    def tokens(self, prepared: str) -> list[str]:
        """Content-word keys of already `prepare`d text, in order (duplicates kept)."""
        return self.analyse(prepared)[0]

    def analyse(self, prepared: str) -> tuple[list[str], list[str]]:
        """(content-word keys, phrase keys).

        Phrases are adjacent content nouns joined (電子+契約 -> 電子契約): a question that
        names a compound should prefer the document that uses the same compound over one
        that has both words apart.
        """
        words: list[str] = []
        phrases: list[str] = []
        prev: str | None = None
        for m in self._tok.tokenize(prepared, self._mode):
            pos = m.part_of_speech()
            key = fold_key(m.normalized_form())
            keep = (
                pos[0] in _KEEP_POS
                and pos[1] not in _DROP_POS2
                and key
                and key not in self.stopwords
                and not (len(key) == 1 and _is_kana(key))
            )
            if not keep:
                prev = None
                continue
            words.append(key)
            if pos[0] == "名詞":
                if prev is not None:
                    phrases.append(prev + key)
                prev = key
            else:
                prev = None
        return words, phrases

    def content_words(self, prepared: str) -> list[tuple[str, str]]:
        """(key, dictionary form) of the content words of already `prepare`d text."""
        out = []
        for m in self._tok.tokenize(prepared, self._mode):
            pos = m.part_of_speech()
            key = fold_key(m.normalized_form())
            if pos[0] in _KEEP_POS and pos[1] not in _DROP_POS2 and key:
                out.append((key, m.normalized_form()))
        return out

    def nouns(self, text: str) -> list[tuple[str, str, str]]:
        """(surface, katakana reading, part of speech) of each morpheme of `text`."""
        return [
            (m.surface(), m.reading_form(), m.part_of_speech()[0])
            for m in self._tok.tokenize(soft(text), self._mode)
        ]

    def reading(self, text: str) -> str:
        """Katakana reading of `text` (要配慮者 -> ヨウハイリョシャ) for kana-only questions."""
        return "".join(m.reading_form() for m in self._tok.tokenize(soft(text), self._mode))


# --- kana-only questions ----------------------------------------------------------------------

_HIRAGANA_RUN = re.compile(r"[\u3041-\u3096ー]{5,}")
_KANJI = re.compile(r"[\u3400-\u9fff]")


class KanaReader:
    """Rewrites long hiragana-only runs (こうふりつもくひょう) into the plan's words (交付率目標).

    Citizens type whole compounds in kana; the tokenizer cannot split them. The reader knows
    the reading of every noun the plan uses in its names (titles, keywords, indicators,
    schedule rows, headwords) and of the question words, and rewrites a run greedily, longest
    reading first, when the readings explain most of it; otherwise the run stays as typed.
    """

    MIN_READING = 2
    MIN_COVER = 0.6
    SURE_READING = 4  # a reading this long is rewritten even inside an unexplained run
    MAX_KANJI = 2  # a question with more kanji is not "typed in kana"

    def __init__(
        self, analyzer: Analyzer, texts: Iterable[str], names: Iterable[str] = ()
    ) -> None:
        # a run that spells (part of) a name as typed is left alone (ようはいりょしゃ is
        # matched whole by its reading; いせはらくらし is part of a headword)
        self.name_parts = frozenset(names)
        words: dict[str, str] = {}
        for text in texts:
            for surface, reading, pos in analyzer.nouns(text):
                if len(reading) >= self.MIN_READING and pos == "名詞":
                    words.setdefault(fold_key(reading), surface)
        self.words = words
        self.longest = max((len(r) for r in words), default=0)

    def rewrite(self, text: str) -> str:
        """`text` with its long kana runs spelt in the plan's words, when it is typed in kana
        (a question with kanji has its hiragana runs as grammar, not compounds)."""
        if not self.words or len(_KANJI.findall(text)) > self.MAX_KANJI:
            return text
        if not _HIRAGANA_RUN.search(text):
            return text
        return _HIRAGANA_RUN.sub(lambda m: self._run(m.group(0)), text)

    def _run(self, run: str) -> str:
        """The run rewritten where readings explain most of it; else only its long words."""
        if fold_key(run) in self.name_parts:
            return run
        rewritten, covered = self._greedy(run, self.MIN_READING)
        if covered >= self.MIN_COVER * len(run):
            return rewritten
        return self._greedy(run, self.SURE_READING)[0]

    def _greedy(self, run: str, shortest: int) -> tuple[str, int]:
        key = katakana(run)
        out: list[str] = []
        covered = 0
        i = 0
        while i < len(key):
            for size in range(min(self.longest, len(key) - i), shortest - 1, -1):
                piece = key[i : i + size]
                found = self.words.get(fold_key(piece))
                if found is not None and fold_key(piece) == piece.replace("ー", ""):
                    out.append(found)
                    covered += size
                    i += size
                    break
            else:
                out.append(run[i])
                i += 1
        return "".join(out), covered
