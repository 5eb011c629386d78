"""Question (+history) → Intent: the one reading of the question (answer type, constraints, parts, search form)."""

from __future__ import annotations

import functools
import re
from collections.abc import Container, Mapping, Sequence
from dataclasses import replace

from assistant.lang.figures import parse_chinese_number
from assistant.lang.lexicon import CJK, YEAR, Lexicon, is_english, language_stopwords, normalize_query, nouns
from assistant.lang.places import gazetteer
from assistant.query.vocabulary import Vocabulary, load_vocabulary
from assistant.types import Constraints, Document, Intent, Query, Turn

# Words that count or point ("八个学院", "哪所大学", "各研究院", "该所院校") stand before a suffix but name nothing.
_NOT_A_NAME = re.compile(
    r"^(?:[哪几各每多该本这那此其某诸全]|[\d０-９一二两三四五六七八九十百千万]+[个家所座项位名类种批])"
)
_CLAUSE_END = re.compile(r"[，。？！；,.?!;]")


def organisations_in(text: str, lexicon: Lexicon, vocab: Vocabulary) -> list[str]:
    """The names of the organisations a Chinese question names by a suffix ("华为公司" → 华为, "清华大学" → 清华):
    the word before a suffix word, or the word a suffix ends (a place's name too: 西湖大学, 台州学院); stopwords
    are not names."""
    with_suffix = vocab.organisation_suffixes
    words = [w.strip() for w in lexicon.tokenizer.lcut(normalize_query(text))]
    names: list[str] = []
    for i, word in enumerate(words):
        suffix = next((s for s in with_suffix if word.endswith(s)), "")
        if not suffix:
            continue
        name = word[: -len(suffix)] if len(word) > len(suffix) else (words[i - 1] if i else "")
        if len(name) >= 2 and CJK.fullmatch(name[0]) and name not in lexicon.stopwords and not _NOT_A_NAME.match(name):
            names.append(name)
    return list(dict.fromkeys(names))


def names_organisation(text: str, vocab: Vocabulary | None = None) -> bool:
    """True when a text names some organisation by a suffix ("…与某某大学共建", "某某公司的"), a pronoun
    ("该实验室") or a count ("五个研究院") aside: a sentence that does is about that organisation."""
    vocab = vocab or load_vocabulary()
    for suffix in vocab.organisation_suffixes:
        for found in re.finditer(rf"([\u4e00-\u9fff]{{2,6}}?){re.escape(suffix)}", text):
            name = found.group(1)
            if not _NOT_A_NAME.match(name) and not re.search(r"[该其此本这那]", name[-2:]):
                return True
    return False


_NUMERAL_WORD = re.compile(r"[\d０-９一二两三四五六七八九十百千万几每各]+[年月日天周次个项]?")  # 一年, 每年, 两项


def measure_of(
    query: Query, constraints: Constraints, text: str, lexicon: Lexicon, df: Mapping[str, int], vocab: Vocabulary
) -> tuple[tuple[str, ...], ...]:
    """The forms of the two most specific concepts of what a question measures: the rarest in the corpus (`df`,
    in how many passages each search token occurs; of equals, the later in the question), places, years,
    organisations' names, words an earlier question lent and words naming the kind of value ("金额", "规模")
    aside. A concept no passage has is left out: whether the corpus covers it at all is for the learned detector."""
    places = {p.lower() for p in constraints.places}
    # "椒江实验室": the organisation's suffix word belongs to its name, not to what is measured.
    named = [m.group(0) for o in constraints.organisations for m in re.finditer(rf"{re.escape(o)}\w{{0,5}}", text)]

    def frequency(form: str) -> int:
        # A compound the index splits ("概念验证" → 概念, 验证) occurs at most as often as its rarest part.
        if df.get(form.lower()):
            return df[form.lower()]
        parts = lexicon.tokenize(form)
        return min((df.get(p, 0) for p in parts), default=0) if parts else 0

    rarity = []
    for term, forms in query.concepts:
        if (
            len(term) < 2
            or term.lower() in places
            or term in query.carried
            or term in vocab.value_words
            or vocab.document_words.fullmatch(term)
            or vocab.document_fact.fullmatch(term)
            or _NUMERAL_WORD.fullmatch(term)
            or gazetteer().get(term)
            or any(term in n for n in named)
        ):
            continue
        found = [f for f in (frequency(form) for form in forms) if f]
        if found:
            # Equally rare: the later one, nearer the question word ("…发明专利多少件").
            rarity.append((min(found), -text.lower().rfind(term.lower()), tuple(forms)))
    return tuple(forms for *_, forms in sorted(rarity)[:2])


def tiers_named(tiers: Sequence[str], text: str, above: bool = True) -> set[str]:
    """The tiers of one set a text names on its own (合格 inside 不合格 is not 合格); with `above`, "省级以上"
    names 省级 and every tier above it."""
    named = set()
    for i, tier in enumerate(tiers):
        alone = functools.reduce(lambda t, o: t.replace(o, " ") if tier in o and tier != o else t, tiers, text)
        if tier in alone:
            named.add(tier)
            if above and re.search(rf"{re.escape(tier)}(?:及|或)?以上", alone):
                named |= set(tiers[:i])
    return named


def tiers_in(text: str, vocab: Vocabulary | None = None) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    """For each set of tiers (vocabulary [contrasts]) a question names any of: those it names, in the set's order,
    in Chinese or English ("provincial-level"), and the whole set."""
    vocab = vocab or load_vocabulary()
    english = {tier for pattern, tier in vocab.contrasts_english if pattern.search(text)}
    found = []
    for tiers in vocab.contrasts:
        in_text = tiers_named(tiers, text, above=False)
        named = tuple(t for t in tiers if t in english or t in in_text)
        if named:
            found.append((named, tiers))
    return tuple(found)


def places_in(text: str) -> list[str]:
    """Short names of the places a text names (Chinese, or pinyin in English text)."""
    return [p.name for p in gazetteer().find(text)]


def last_user_turn(history: Sequence[Turn]) -> str:
    """The latest user message of a chat history, or ""."""
    for message in reversed(history):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return message["content"]
    return ""


def resolve_followup(question: str, history: Sequence[Turn], vocab: Vocabulary | None = None) -> str:
    """Carry the previous question's subject into a dependent follow-up ("那成都呢？", "And for X?").

    The previous question is kept, minus the places, years and document kinds the follow-up replaces.
    """
    vocab = vocab or load_vocabulary()
    previous = normalize_query(last_user_turn(history))
    if not previous:
        return question
    if is_english(question):
        short = len(question.split()) <= vocab.followup_max_english
    else:
        short = len(CJK.findall(question)) <= vocab.followup_max_chinese
    cued = (
        vocab.followup_start.search(question)
        or vocab.followup_end.search(question.strip())
        or vocab.followup_part.search(question)  # a pronoun or 又/也: "它的期限多长？"
    )
    # A short question leans on the one before only when it names nothing of its own ("2035年定为几何？");
    # one with its own subject is a new question, however short ("众创空间有何奖补？").
    if not (cued or (short and not _has_subject(question, vocab))):
        return question
    if places_in(question):
        for place in gazetteer().find(previous):
            previous = previous.replace(place.full, "").replace(place.name, "")
    if YEAR.search(question):
        previous = YEAR.sub("", previous).replace("年年", "年")
    if vocab.kinds_named(question):
        # "And what did the 2025 reply say?" asks another document than the plan the last question named.
        for _, pattern in vocab.document_kinds:
            previous = pattern.sub("", previous)
    return f"{previous} {question}"


def build_query(
    question: str,
    asked: str,
    lexicon: Lexicon,
    vocabulary: Container[str] | None = None,
    aliases: Sequence[tuple[str, str]] = (),
) -> Query:
    """The search form of a (resolved) question: glossary expansions, BM25 tokens, concepts to cover.

    Words only the previous question brought (when `question` resolves a follow-up `asked`) count for less.
    A name the corpus shortens (`aliases`: (short, full) pairs its documents define) also stands for its other form.
    """
    dictionary = lexicon.dictionary_terms(question, vocabulary)  # once, for the search and the concepts
    expansions = lexicon.expand(question, vocabulary, dictionary)
    tokens = list(dict.fromkeys(lexicon.tokenize(question)))
    concepts = lexicon.concepts(question, vocabulary, dictionary)
    for short, full in aliases:
        named, other = (short, full) if short in question and full not in question else (full, short)
        if named in question and other not in question:
            # Each word of the name the question uses is met by the other form too.
            concepts = [(t, (*forms, other)) if t in named else (t, forms) for t, forms in concepts]
            expansions = [*expansions, other]
    carried: frozenset[str] = frozenset()
    carried_tokens: list[str] = []
    if question != asked:
        asked_concepts = {term for term, _ in lexicon.concepts(asked, vocabulary)}
        carried = frozenset(term for term, _ in concepts if term not in asked_concepts)
        asked_tokens = set(lexicon.tokenize(asked))
        carried_tokens = [t for t in tokens if t not in asked_tokens]
    own = [t for t in tokens if t not in carried_tokens]
    expanded = [t for term in expansions for t in lexicon.tokenize(term) if t not in tokens]
    extra = list(dict.fromkeys(carried_tokens + expanded))
    return Query(
        text=question,
        keywords=own + extra,
        expansion_keywords=extra,
        expansions=expansions,
        english=is_english(asked),
        places=places_in(question),
        concepts=concepts,
        carried=carried,
    )


def _number_key(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


def named_documents(
    text: str, docs: Mapping[str, Document], vocab: Vocabulary
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Documents the question names firmly (by 文号, or by year and kind: "2025年的答复", "the 2023 reply"),
    and the kinds it names without a year ("按方案…" also asks about documents it does not name)."""
    key = _number_key(text)
    by_number = [d.doc_id for d in docs.values() if d.doc_number and _number_key(d.doc_number) in key]
    if by_number:
        return tuple(sorted(by_number)), ()
    by_title = {d.doc_id for name in _BOOK_TITLE.findall(text) for d in docs.values() if _names(d, name)}
    if by_title:
        return tuple(sorted(by_title)), ()
    named: set[str] = set()
    kinds: set[str] = set()
    dated = False
    for kind, match in vocab.kinds_named(text):
        # Years earlier in the same clause pick that year's document(s); a kind with no year names them all.
        years = set(YEAR.findall(_CLAUSE_END.split(text[: match.start()])[-1]))
        dated = dated or bool(years)
        kinds.add(kind)
        named |= {d.doc_id for d in docs.values() if d.kind == kind and (not years or d.date[:4] in years)}
    # Naming a document by year is firm ("方案和2024年通知" names both); by kind alone is not: "方案中怎么部署，
    # 进展怎样？" also asks about documents it does not name.
    return (tuple(sorted(named)), ()) if dated else ((), tuple(sorted(kinds)))


_BOOK_TITLE = re.compile(r"《([^》]{2,60})》")


def _names(doc: Document, name: str) -> bool:
    """Whether 《name》 names a document: its title, or a document its text shortens to or from that name (a news
    article that introduces "《若干措施》" is about those measures)."""
    title = doc.title.strip("《》")
    if name == title or (len(name) >= 6 and (name in title or title in name)):
        return True
    return any(name in (short, full) for short, full in doc.aliases)


def leans_on_previous(part: str, vocab: Vocabulary | None = None) -> bool:
    """True when a later part of a multi-part question needs the earlier part to be read ("B呢？", "…又是多少？");
    a part with its own subject stands alone, however short."""
    vocab = vocab or load_vocabulary()
    part = normalize_query(part)
    cued = vocab.followup_start.search(part) or vocab.followup_end.search(part) or vocab.followup_part.search(part)
    return bool(cued) or not _has_subject(part, vocab)


def _has_subject(part: str, vocab: Vocabulary) -> bool:
    """Whether a part names something of its own (a noun) beyond a year, a place, a kind of document and the
    wording of what it asks ("2035年定为几何？", "方案中2035年的指标为何？" name nothing: they are about the
    part before them; "申报截止是哪天？" names 申报)."""
    rest = YEAR.sub(" ", part)
    for place in places_in(rest):
        rest = rest.replace(place, " ")
    kinds = (p for _, p in vocab.document_kinds)  # "方案为2030年设的指标" names the plan, not a subject
    for pattern in (*(p for _, p in vocab.answer_types), vocab.target, vocab.actual, vocab.growth, *kinds):
        rest = pattern.sub(" ", rest)
    if is_english(part):
        return bool([w for w in re.findall(r"[A-Za-z]{3,}", rest) if w.lower() not in language_stopwords()])
    return bool(nouns(rest))


_ENGLISH_NUMBERS = {"three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}


def list_size(question: str, vocab: Vocabulary) -> int:
    """The number of items a list question names ("四大新兴产业包括什么" → 4), or 0."""
    found = vocab.list_size.search(question)
    if not found:
        return 0
    if found.group(2):
        return _ENGLISH_NUMBERS[found.group(2).lower()]
    value = parse_chinese_number(found.group(1))
    return int(value) if value is not None and 2 <= value <= 30 else 0


def split_parts(question: str, vocab: Vocabulary) -> tuple[str, ...]:
    """The sub-questions of "A有几个？B呢，占多大比例？": pieces that each ask something; one piece otherwise."""
    pieces = [p.strip() for p in vocab.part_separators.split(question) if p and p.strip(" ，,")]
    asking = [p for p in pieces if vocab.part_asks.search(p) and len(CJK.findall(p)) + len(p.split()) >= 4]
    return tuple(pieces) if len(pieces) > 1 and len(asking) == len(pieces) else ()


def read_intent(
    question: str,
    history: Sequence[Turn],
    lexicon: Lexicon,
    docs: Mapping[str, Document] | None = None,
    vocabulary: Container[str] | None = None,
) -> Intent:
    """Read a question once: resolve a follow-up, classify what it asks, and collect its constraints.
    `vocabulary` (the corpus's search tokens) keeps only the dictionary translations the corpus uses."""
    vocab = load_vocabulary()
    asked = normalize_query(question)
    text = resolve_followup(asked, history, vocab)
    documents, kinds = named_documents(text, docs or {}, vocab)
    wants_target = bool(vocab.target.search(text))
    wants_actual = bool(vocab.actual.search(text))
    constraints = Constraints(
        places=tuple(places_in(text)),
        years=tuple(dict.fromkeys(YEAR.findall(text))),
        periods=tuple(dict.fromkeys(vocab.period.findall(text))),
        documents=documents,
        kinds=kinds,
        target=wants_target if wants_target != wants_actual else None,
        growth=bool(vocab.growth.search(text)),
        organisations=tuple(organisations_in(text, lexicon, vocab)) if not is_english(text) else (),
        tiers=tiers_in(asked, vocab),
    )
    # The asked question decides the type; a follow-up that does not say ("那成都呢？") keeps its first turn's.
    answer_type = vocab.answer_type(asked)
    if answer_type == "explanation" and text != asked:
        answer_type = vocab.answer_type(text)
    if answer_type not in ("yesno", "list") and vocab.asks("yesno", asked) and not vocab.wh.search(asked):
        answer_type = "yesno"  # "利率有优惠吗？": whether, not which rate
    compare = bool(vocab.compare.search(text)) or len(constraints.places) > 1 or len(documents) > 1
    compare = compare or len(constraints.years) > 1
    aliases = sorted({pair for d in (docs or {}).values() for pair in d.aliases})
    query = build_query(text, asked, lexicon, vocabulary, aliases)
    if answer_type == "superlative":
        # "最大/最少" says which row to pick, not what a passage is about: no passage is expected to contain it.
        extreme = [(t, f) for t, f in query.concepts if vocab.largest.fullmatch(t) or vocab.smallest.fullmatch(t)]
        query = replace(query, concepts=[c for c in query.concepts if c not in extreme])
    which_documents = bool(vocab.which_documents.search(asked))
    if which_documents:
        # "哪些文件提到了…": the documents and their mentioning are what is asked, not words a passage should hold.
        meta = vocab.document_words.fullmatch
        query = replace(
            query,
            concepts=[c for c in query.concepts if not meta(c[0])],
            keywords=[k for k in query.keywords if not meta(k)],
        )
    if isinstance(vocabulary, Mapping) and not is_english(text):
        # An English question's concepts are dictionary guesses at the documents' words: too loose to insist on.
        constraints = replace(constraints, measure=measure_of(query, constraints, text, lexicon, vocabulary, vocab))
    wants_list = answer_type == "list" or vocab.asks("list", asked)
    return Intent(
        question=question,
        query=query,
        answer_type=answer_type,
        constraints=constraints,
        wants_list=wants_list,
        list_size=list_size(asked, vocab) if wants_list else 0,
        compare=compare,
        which_documents=which_documents,
        support=bool(vocab.support.search(text)),
        about_document=bool(vocab.document_fact.search(text)),
        parts=split_parts(asked, vocab),
    )
