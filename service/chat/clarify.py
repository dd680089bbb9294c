"""The answer to a follow-up asked with nothing to follow: say so, and offer the questions it most likely meant."""

from service.answering.base import Answer
from service.answering.wording import Wording
from service.query.retrieval import Filters

ANSWERER = "clarification"


def clarification(question: str, named: list[str], reports: list[tuple[str, int | None, str]], filters: Filters, w: Wording) -> Answer:
    """`named`: the municipalities the fragment names; `reports`: (municipality, year, title) of the loaded reports;
    `w`: the wording of the fragment's language.

    Ungrounded on purpose: nothing was looked up, so nothing may look like a finding of the reports.
    """
    scope = list(named) or list(filters.municipality)
    lines = [w.no_context.format(question=w.quoted(question.strip()))]
    if scope:
        for municipality in scope:
            titles = [f"{title} ({year})" if year else title for m, year, title in reports if m == municipality]
            if titles:
                lines.append(w.report_from.format(municipality=municipality, titles="; ".join(titles)))
        where = w.conjunction.join(scope)
        lines.append(w.for_example)
        lines += [example.format(where=where) for example in w.examples]
    else:
        lines.append(w.ask_whole)
    return Answer("\n".join(lines), grounded=False, answerer=ANSWERER, evidence={"reason": "follow_up_without_context"})
