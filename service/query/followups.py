"""Rule-based resolution of follow-up questions within a conversation.

A follow-up often leaves out its subject ("Och i Hultsfred?", "Hur bedömdes det?"). `resolve` turns
it into a self-contained question from the previous turn's resolved question, so the rest of the
pipeline (analysis, filters, retrieval, answering) only ever sees whole questions:

- An elliptical follow-up ("Och i Hultsfred?", "Och Umeå?", "What about Kalmar?", "Och den andra?",
  "Och kontrollmålet om samordning?") reuses the previous question's frame (question type, topic,
  municipality) and replaces what it names: a municipality, a year, an ordinal, or the noun phrase
  whose head it repeats.
- A whole question that names no municipality keeps the conversation's municipality: "där"/"there"
  becomes "i Alvesta", otherwise "i Alvesta" is added. Questions about the whole corpus ("alla
  kommuner", "underlaget") are left corpus-wide.
- "det"/"den"/"it" stand for the previous question's topic; "dem"/"them" for its plural question noun.
- A self-contained question passes unchanged.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ingest.config import Settings
from ingest.language.english import is_english
from ingest.language.lexicon import item_nouns, last_words, ordinals
from ingest.language.words import same_family
from service.query.analysis import AMBIGUOUS_NAMES, analyze_question, swedish_municipalities


class PastTurn(Protocol):
    """An earlier turn of the conversation, as far as resolution needs it."""

    resolved_question: str


# What introduces an elliptical follow-up ("Och i Hultsfred?", "What about Kalmar?").
_LEAD = re.compile(
    r"^\s*(?:och|men|samt|än|and|but|what about|how about|and what about|hur är det (?:med|i|för)|hur var det (?:med|i|för)"
    r"|vad gäller|samma (?:fråga )?(?:för|i|om)|same (?:question )?for)(?![\w-])[\s,:]*",
    re.IGNORECASE,
)
# A question word alone (with "och", "då"): "Varför?", "Och hur då?", "Why?".
_BARE_WH = re.compile(r"^(?:och\s+|and\s+)?(varför|hur|när|why|how|when)(?:\s+(?:då|det|so|then))?\s*[?!.]*$", re.IGNORECASE)
# "det första", "den tredje" with no noun after it; "the second", "the second one".
_BARE_ORDINAL = re.compile(
    rf"\b(?:det|den)\s+(?:{'|'.join(ordinals())})\b(?!\s+[^\W\d_])|\bthe\s+(?:{'|'.join(ordinals())})(?:\s+one\b|\b(?!\s+[^\W\d_]))",
    re.IGNORECASE,
)
_ONE = re.compile(r"\s+one$", re.IGNORECASE)
_TRAILING_FILLER = re.compile(r"(?:[\s,]+(?:då|istället|i stället|också|then|instead|too))+\s*$", re.IGNORECASE)
_QUESTION_START = re.compile(
    r"^(?:vad|vilk(?:a|en|et)|hur(?:\s+(?:stor[at]?|många|mycket|hög[at]?|länge|ofta)\b)?|när|var|varför|vem|vems|finns|fanns|har|hade|är|gör|gjorde|kan|kunde|ska|skulle|bedömdes|bedöms|fick|får"
    r"|berätta|beskriv|sammanfatta|förklara|lista|ge|what|which|how|when|where|why|who|whom|whose|is|are|was|were|does|do|did|has|have|can|could"
    r"|should|tell|describe|summarize|summarise|list|explain|give)(?![\w-])",
    re.IGNORECASE,
)
# Questions about the corpus as a whole: no municipality is carried into them.
_CORPUS_WIDE = re.compile(
    r"(?<![\w-])(?:kommuner(?:na)?|kommunernas|alla|samtliga|varje|underlaget|rapporterna|granskningarna|övriga|jämför\w*"
    r"|all|every|each|reports|municipalities|compare\w*)(?![\w-])",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<![\w-])(?:19[5-9]\d|20[0-4]\d)(?![\w-])")
_ORDINALS = (*ordinals(), *last_words())
# Shorter words of a fragment are its glue ("i", "för", "den", "kommun").
_CONTENT_LETTERS = 7
_ORDINAL = re.compile(r"(?<![\w-])(?:" + "|".join(_ORDINALS) + r")(?![\w-])", re.IGNORECASE)
_DETERMINERS = frozenset("den det de en ett the a an om about för for this that denna detta dessa".split())
_COMPOUND = r"(?:rapport|granskning|revision|förstudie)\w*"
# Words that start a question frame, and the subjects that only say "the report says".
_WH = frozenset("vad vilka vilken vilket hur när var varför vem vems what which how when where why who whose".split())
_WH_QUANTITY = re.compile(r"^(?:hur\s+(?:många|mycket|stor(?:a)?\s+andel(?:\s+av)?|stor(?:a|t)?)|how\s+(?:many|much))\s+", re.IGNORECASE)
_GENERIC_SUBJECT = re.compile(
    r"^(?:rapporten|granskningen|revisionen|revisorerna|revisorn|förstudien|kpmg|pwc|ey|deloitte|man|de|kommunen|the report|the audit|the auditors|it)(?![\w-])"
    r"(?:\s+(?:om|kring|gällande|angående|about|on|regarding))?\s*",
    re.IGNORECASE,
)
_TRAILING_WORDS = frozenset("ut till fram upp in av på totalt egentligen idag nu då också sammantaget overall total".split())
# Singular pronouns that stand for a noun phrase when what follows is not a noun.
_PRONOUN = re.compile(r"(?<![\w-])(det|den|detta|denna|it|this|that)(?![\w-])", re.IGNORECASE)
_PLURAL_PRONOUN = re.compile(
    r"(?<![\w-])(dem|them|dessa|those)(?![\w-])(?=\s*(?:[?.!,;:]|$|\s+(?:har|hade|är|var|fick|gäller|have|had|are|were|got)\b))"
    # "de" only where it ends the question ("Hur mycket ökade de?"): elsewhere it is as often an article.
    r"|(?<=\s)(?:(de)(?=\s*(?:[?.!]|$)))"
    # After a preposition a pronoun is an object, so it refers: "Hur många av dem gick till kvinnor?".
    r"|(?<=\b(?:av|of) )(dem|them|dessa|those)(?![\w-])",
    re.IGNORECASE,
)
# A pronoun beside a verb of saying or of making a report stands for the report: "Vad säger den om bostäder?",
# "När skrevs den?", "Vem skrev den?", "Vem beställde den?".
# "När är den daterad?" after a question with no topic of its own ("Vem skrev rapporten från Kalmar?"): the report.
_DATED = re.compile(r"(?<![\w-])(?:är|var|is|was)\s+(det|den|it)(?=\s+(?:daterad|dated)\b)", re.IGNORECASE)
_REPORT_VERB = re.compile(
    r"(?<![\w-])(?:säger|sade|sa|skriver|anger|angav|beskriver|visar|visade|konstaterar|skrevs|daterades|publicerades|lämnades"
    r"|gjordes|genomfördes|says|said|states|stated|shows|showed|written|published|done|conducted"
    # "Vem skrev den?": who made it is asked of the report, whatever the previous question was about.
    r"|skrev|skrivit|författade|författat|undertecknade|undertecknat|beställde|beställt|wrote|authored|signed|commissioned)\s+(det|den|it)(?![\w-])",
    re.IGNORECASE,
)
_THERE = re.compile(r"(?<![\w-])(där|there)(?![\w-])(?=\s*(?:[?.!,;:]|$|\s+(?:då|också|egentligen|too|then|(?:19|20)\d\d)\b))", re.IGNORECASE)
_PREPOSITIONS = frozenset("av för om i på med till från enligt kring under efter inom hos mot of for about in on with to from by".split())
# "de" standing for the previous question's topic when that is a plural noun ("Hur stora var lokalkostnaderna?" …
# "Hur mycket ökade de?"): at the end of the question or before a preposition, never the article of a noun.
_THEY = re.compile(r"(?<=\s)(de)(?=\s*(?:[?!.,]|$|\s+(?:på|av|i|för|under|till|mellan|sedan)\b))", re.IGNORECASE)
_PRONOUN_FOLLOWERS = frozenset("inte också egentligen sedan då nu alltså redan fortfarande not also".split())


@dataclass(frozen=True)
class _Mention:
    name: str
    start: int
    end: int  # the end of the name itself (a compound suffix or a genitive s stays in the text)


class FollowUpResolver:
    """Resolves a follow-up against the conversation so far, using the corpus municipalities and years."""

    def __init__(self, corpus_municipalities: Sequence[str] = (), corpus_years: Sequence[int] = (), max_chars: int = Settings.model_fields["max_question_chars"].default) -> None:
        self.max_chars = max_chars
        self.municipalities = tuple(corpus_municipalities)
        self.years = tuple(corpus_years)
        names = sorted(
            {m for m in (*self.municipalities, *swedish_municipalities()) if len(m) >= 4 and m.lower() not in AMBIGUOUS_NAMES},
            key=len, reverse=True,
        )
        self._compound = re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in names) + r")s?(?=" + _COMPOUND + r")", re.IGNORECASE) if names else None
        self._canonical = {n.lower(): n for n in (*swedish_municipalities(), *self.municipalities)}

    # -- what a text names

    def mentions(self, text: str) -> list[_Mention]:
        """Municipalities a text names (in or outside the corpus, "Kalmarrapporten" included), in order."""
        analysis = analyze_question(text, self.municipalities, self.years)
        found: list[_Mention] = []
        for name in (*analysis.municipalities, *analysis.unknown_municipalities):
            pattern = re.compile(rf"(?<![\w-]){re.escape(name)}(?=s?(?![\w-])|s?{_COMPOUND}|\s+kommun)", re.IGNORECASE)
            found.extend(_Mention(name, m.start(), m.end()) for m in pattern.finditer(text))
        if self._compound is not None:
            for m in self._compound.finditer(text):
                name = self._canonical.get(m.group(1).lower(), m.group(1))
                if not any(f.start == m.start() for f in found):
                    found.append(_Mention(name, m.start(), m.start() + len(m.group(1))))
        found.sort(key=lambda f: f.start)
        return found

    def named(self, text: str) -> list[str]:
        """The municipalities a text names, each once, in order."""
        return self._names(self.mentions(text))

    @staticmethod
    def _names(mentions: list[_Mention]) -> list[str]:
        return list(dict.fromkeys(m.name for m in mentions))

    # -- resolution

    def resolve(self, history: Sequence["PastTurn | str"], question: str) -> str:
        """The question made self-contained; a question that needs nothing from the history is returned as it is."""
        normalized = " ".join(question.split())
        if not history or not normalized:
            return question
        last = history[-1]
        previous = " ".join((last if isinstance(last, str) else last.resolved_question).split())
        if not previous:
            return question
        resolved = self._resolve(previous, normalized)
        if resolved == normalized or len(resolved) > self.max_chars:
            return question
        return resolved

    def needs_context(self, question: str) -> bool:
        """Whether the question is a fragment ("Och i Hultsfred?", "Och den andra?") that only an earlier turn completes."""
        fragment, named, lead = self._fragment(" ".join(question.split()))
        return bool(fragment) and self._is_elliptical(fragment, named, lead)

    def within(self, resolved: str, question: str, allowed: Sequence[str]) -> str:
        """The resolved question kept inside a municipality filter: a municipality carried from the conversation that
        the filter excludes becomes the filter's own (or is not carried when the filter allows several). What the
        user wrote is never changed: a question that itself names another municipality is answered as written."""
        if not allowed:
            return resolved
        own = {m.lower() for m in self._names(self.mentions(question))}
        allowed_lower = {m.lower() for m in allowed}
        carried = [m for m in self._names(self.mentions(resolved)) if m.lower() not in own and m.lower() not in allowed_lower]
        if not carried:
            return resolved
        if len(allowed) != 1:
            return question
        return self._replace_municipalities(resolved, list(allowed))

    def _fragment(self, question: str) -> tuple[str, list[_Mention], bool]:
        """What the question says without its lead ("Och", "What about") and trailing filler, and the municipalities in it."""
        lead = _LEAD.match(question)
        body = (question[lead.end() :] if lead else question).strip()
        fragment = _TRAILING_FILLER.sub("", body.rstrip(" ?!.")).strip()
        return fragment, self.mentions(fragment), bool(lead)

    @staticmethod
    def _is_elliptical(fragment: str, named: list[_Mention], lead: bool) -> bool:
        words = fragment.split()
        if _QUESTION_START.match(fragment):
            return False
        if lead:
            return True
        # Without "Och …" a few words are a fragment only when they name nothing but a place, a year or an ordinal:
        # "rek kungsbacka hemtjänst" is a question typed in a hurry, "Hultsfred 2019?" needs the one before it.
        rest = fragment
        for mention in sorted(named, key=lambda m: m.start, reverse=True):
            rest = rest[: mention.start] + rest[mention.end :]
        content = [w for w in re.findall(r"[^\W\d_]+", _ORDINAL.sub(" ", rest)) if len(w) >= _CONTENT_LETTERS]
        return len(words) <= 3 and not content and bool(named or _YEAR.search(fragment) or _ORDINAL.search(fragment))

    @staticmethod
    def _asked_again(previous: str, question: str) -> str | None:
        """A bare question word asks the previous question again in another way: "Varför?" after "Vilka kontrollmål
        bedömdes ej uppfyllda i Alvesta?" is "Varför kontrollmål bedömdes ej uppfyllda i Alvesta?"."""
        bare = _BARE_WH.match(question.strip())
        if bare is None:
            return None
        body = _QUESTION_START.sub("", previous.strip(), count=1).strip()
        return f"{_capitalize(bare.group(1).lower())} {body}" if body else None

    def _resolve(self, previous: str, question: str) -> str:
        again = self._asked_again(previous, question)
        if again:
            return again
        fragment, named, lead = self._fragment(question)
        if not fragment:
            return question
        if self._is_elliptical(fragment, named, lead):
            return self._elliptical(previous, fragment, named)
        if lead:
            question = _capitalize(question[_LEAD.match(question).end() :].strip())
        return self._complete(previous, question, named)

    def _elliptical(self, previous: str, fragment: str, named: list[_Mention]) -> str:
        """A fragment: the previous question with what the fragment names put in place."""
        text = previous.rstrip(" ?!.")
        # What the fragment says besides municipalities and years.
        rest = fragment
        for mention in sorted(named, key=lambda m: m.start, reverse=True):
            rest = rest[: mention.start] + rest[mention.end :]
        rest = _YEAR.sub(" ", rest)
        rest = re.sub(r"(?<![\w-])(?:i|för|in|for|kommun|s|och|and|,)(?![\w-])", " ", rest, flags=re.IGNORECASE) if named or _YEAR.search(fragment) else rest
        rest = " ".join(rest.split()).strip(" ,")
        if named:
            text = self._replace_municipalities(text, self._names(named))
        new_years = _YEAR.findall(fragment)
        if new_years:
            old_years = _YEAR.findall(text)
            joined = " och ".join(dict.fromkeys(new_years))
            text = _YEAR.sub(joined, text, count=1) if old_years else f"{text} {joined}"
            text = re.sub(rf"({re.escape(joined)})((?:\s*(?:,|och)\s*(?:19|20)\d\d)+)", r"\1", text)
        if rest:
            text = self._substitute_phrase(text, rest)
        return text + "?"

    def _replace_municipalities(self, text: str, new: list[str]) -> str:
        old = self.mentions(text)
        joined = " och ".join(new)
        if not old:
            return f"{text} {'in' if is_english(text) and not re.search('[åäö]', text) else 'i'} {joined}"
        # Merge "Alvesta och Hultsfred" into one group so it becomes one replacement.
        groups: list[list[int]] = []
        for m in old:
            if groups and re.fullmatch(r"s?(?:\s*,\s*|\s+(?:och|and)\s+)", text[groups[-1][1] : m.start], re.IGNORECASE):
                groups[-1][1] = m.end
            else:
                groups.append([m.start, m.end])
        for start, end in reversed(groups):
            text = text[:start] + joined + text[end:]
        return text

    def _substitute_phrase(self, text: str, rest: str) -> str:
        """Put the fragment's ordinal or noun phrase in place of its counterpart in the previous question."""
        new_ordinal = _ORDINAL.search(rest)
        old_ordinal = _ORDINAL.search(text)
        if new_ordinal and old_ordinal:
            return text[: old_ordinal.start()] + new_ordinal.group(0).lower() + text[old_ordinal.end() :]
        tokens = rest.split()
        head = next((t for t in tokens if t.lower() not in _DETERMINERS), None)
        if head is not None:
            for m in re.finditer(r"[^\W\d_]+", text):
                if _same_word(m.group(0), head):
                    start = m.start()
                    # Take the determiner before the head along when the fragment brings its own.
                    before = re.search(r"(?:\b(?:den|det|de|the)\s+)$", text[:start], re.IGNORECASE)
                    if before and tokens[0].lower() in _DETERMINERS:
                        start = before.start()
                    end = self._phrase_end(text, m.end())
                    return text[:start] + rest + text[end:]
        if tokens[0].lower() in _PREPOSITIONS:
            return f"{text} {rest}"
        return f"{text} – {rest}"

    def _phrase_end(self, text: str, after: int) -> int:
        """Where a noun phrase that starts before `after` ends: at a municipality phrase, a year, or the end."""
        end = len(text)
        for m in self.mentions(text):
            if m.start >= after:
                prep = re.search(r"\s+(?:i|för|in|for|inom|hos)\s+$", text[: m.start], re.IGNORECASE)
                end = min(end, prep.start() if prep else m.start)
                break
        year = _YEAR.search(text, after)
        if year:
            prep = re.search(r"\s+(?:år|under|in|i)?\s*$", text[: year.start()], re.IGNORECASE)
            end = min(end, prep.start() if prep else year.start())
        tail = text[after:end]
        trailing = re.search(r"(?:\s+(?:" + "|".join(_TRAILING_WORDS) + r"))+\s*$", tail, re.IGNORECASE)
        if trailing:
            end = after + trailing.start()
        return end

    def _complete(self, previous: str, question: str, named: list[_Mention]) -> str:
        """A whole question: pronouns take their referents, and the conversation's municipality is kept."""
        original = question
        text = question.rstrip()
        mark = ""
        while text and text[-1] in "?!.":
            mark = text[-1] + mark
            text = text[:-1].rstrip()
        mark = mark or "?"
        english = is_english(text)
        topic, plural = self.topic(previous)
        item = item_nouns().get(plural.casefold())
        one_of = bool(item and _BARE_ORDINAL.search(text))
        if one_of:
            # "det första" after "Vilka kontrollmål …?" is the first of them: "det första kontrollmålet".
            # "the second one" is "the second control objective".
            text = _BARE_ORDINAL.sub(lambda m: _ONE.sub("", m.group(0)) + " " + item, text, count=1)
        elif plural:
            text = _PLURAL_PRONOUN.sub(lambda m: ("these " if next(g for g in m.groups() if g).lower() in ("them", "those") else "dessa ") + plural, text, count=1)
        report = _REPORT_VERB.search(text) or (_DATED.search(text) if not topic else None)
        if report:
            text = text[: report.start(1)] + ("the report" if english else "rapporten") + text[report.end(1) :]
        elif topic and not one_of and topic.split()[-1].lower().endswith("na") and _THEY.search(text):
            text = _THEY.sub(topic, text, count=1)
        elif topic and not one_of:
            text = self._replace_singular_pronoun(text, _agreeing(text, topic, plural))
        previous_names = self._names(self.mentions(previous))
        if not named and previous_names and not _CORPUS_WIDE.search(text):
            place = ("in " if english else "i ") + " och ".join(previous_names)
            there = _THERE.search(text)
            if there:
                text = text[: there.start()] + place + text[there.end() :]
            elif not self.mentions(text):
                text = f"{text} {place}"
        if text == original.rstrip().rstrip("?!.").rstrip():
            return original
        return _capitalize(text) + mark

    @staticmethod
    def _replace_singular_pronoun(text: str, topic: str) -> str:
        for m in _PRONOUN.finditer(text):
            if m.start() == 0:
                continue  # "Det finns ..." is a dummy subject, not a reference
            follower = re.match(r"\s*([^\W\d_]+|[?!.,;:]|$)", text[m.end() :])
            word = follower.group(1).lower() if follower else ""
            # After a preposition ("hur mycket av det …") a pronoun is an object, so it refers; "det" as the
            # dummy subject of "det finns" never follows one.
            preceding = re.search(r"([^\W\d_]+)\s+$", text[: m.start()])
            governed = bool(preceding) and preceding.group(1).lower() in _PREPOSITIONS
            if governed or word in ("", "?", "!", ".", ",", ";", ":") or word in _PREPOSITIONS or word in _PRONOUN_FOLLOWERS or _participle(word):
                return text[: m.start()] + topic + text[m.end() :]
        return text

    def topic(self, question: str) -> tuple[str, str]:
        """The previous question's topic noun phrase, and its plural question noun ("Vilka kontrollmål ...")."""
        text = question.rstrip(" ?!.")
        for mention in sorted(self.mentions(text), key=lambda m: m.start, reverse=True):
            after = text[mention.end :]
            compound = re.match(r"s?" + _COMPOUND, after, re.IGNORECASE)
            if compound:
                continue  # "Kalmarrapporten" is a topic in itself
            prep = re.search(r"\s*(?:\b(?:i|för|in|for|inom|hos|från|from)\s+)?$", text[: mention.start], re.IGNORECASE)
            tail = re.match(r"s?(?:\s+kommun\w*)?", after)
            text = text[: prep.start()] + text[mention.end + tail.end() :]
        text = _YEAR.sub("", text)
        text = " ".join(text.split())
        words = text.split()
        if not words:
            return "", ""
        plural = ""
        quantity = _WH_QUANTITY.match(text)
        first = words[0].lower()
        if quantity:
            rest = text[quantity.end() :].split()
            if rest and rest[0].lower() in _WH_VERBS:
                body = rest[1:]  # "Hur stort var underskottet?": the topic follows the verb
            elif len(rest) >= 2:
                plural = rest[0]
                body = rest[2:]
                if body and body[0].lower() in _PREPOSITIONS:
                    # "Hur mycket pengar avsattes för projektet?": what was measured, and for what.
                    body = [rest[0], *body]
            else:
                body = rest[1:]
        elif first in ("vilka", "vilken", "vilket", "which", "what") and len(words) >= 3 and words[1].lower() not in _WH_VERBS:
            noun_end = 2
            if " ".join(words[1:3]).lower() in item_nouns():
                noun_end = 3  # "Which control objectives …": an English item noun is two words
            elif words[1].lower().endswith("s") and len(words) >= 4 and words[2].lower() not in _WH_VERBS:
                noun_end = 3  # "Vilka kommuners granskningar finns ..."
            noun = " ".join(words[1:noun_end])
            # "Vilka kontrollmål bedömdes ej uppfyllda": the question noun is the topic.
            if first in ("vilka", "which", "what"):
                return ("these " if first != "vilka" else "dessa ") + noun, noun
            return ("detta " if first == "vilket" else "denna ") + noun, ""
        elif first in _WH or first in ("finns", "fanns", "har", "hade", "är", "var", "bedömdes", "fick", "is", "are", "was", "were", "does", "did"):
            body = words[2:] if first in _WH else words[1:]
        else:
            return "", ""
        phrase = " ".join(body)
        phrase = _GENERIC_SUBJECT.sub("", phrase, count=1)
        tokens = phrase.split()
        while tokens and tokens[-1].lower() in _TRAILING_WORDS:
            tokens.pop()
        # A participle closing the question ("daterad", "uppfyllt") is the predicate, not the topic.
        while tokens and _participle(tokens[-1].lower()) and len(tokens) > 1:
            tokens.pop()
        phrase = " ".join(tokens)
        if not phrase or len(tokens) > 10 or phrase.lower() in _DETERMINERS:
            return "", plural
        return phrase, plural


_WH_VERBS = frozenset(
    """finns fanns gavs ges har hade är var bedömdes bedöms fick får gäller gällde lämnades lämnas rekommenderas
    rekommenderades saknas saknades kostade kostar ingår ingick omfattas omfattade nämns nämndes tas togs
    is are was were does did have has got""".split()
)


def _agreeing(text: str, topic: str, measured: str) -> str:
    """The referent of the question's singular pronoun. Swedish pronouns agree in gender with their noun: "den" an
    en-word, "det" an ett-word. A topic in the definite form shows its gender ("projektet", "budgeten"); where the
    pronoun disagrees with it, the pronoun stands for what the earlier question measured ("Hur stor budget hade
    projektet?" … "hur mycket av den" is the budget, of the project)."""
    pronoun = _PRONOUN.search(text)
    head = topic.split()[-1].lower() if topic.split() else ""
    if pronoun is None or not measured or measured.lower() in _WH_VERBS or measured.lower().endswith("s"):
        return topic
    neuter_topic = head.endswith("et")
    common_topic = head.endswith("en") and not head.endswith("arna")
    said = pronoun.group(1).lower()
    if (said == "den" and neuter_topic) or (said == "det" and common_topic):
        return f"{measured} för {topic}"
    return topic


def _participle(word: str) -> bool:
    return len(word) >= 5 and bool(re.search(r"(?:ad|ade|ades|ats|erat|erad|llt|mt|rt|dd|tt|ig|iga)$", word)) and word not in ("rapport", "resultat", "mycket")


def _same_word(a: str, b: str) -> bool:
    return same_family(a, b, min_prefix=5, min_share=0.7)


def _capitalize(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def resolve(history: Sequence["PastTurn | str"], question: str, corpus_municipalities: Sequence[str] = (), corpus_years: Sequence[int] = ()) -> str:
    """The follow-up `question` made self-contained from `history` (earlier turns, or their resolved questions)."""
    return FollowUpResolver(corpus_municipalities, corpus_years).resolve(history, question)
