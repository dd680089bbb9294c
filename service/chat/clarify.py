"""The answer to a follow-up asked with nothing to follow: say so, and offer the questions it most likely meant."""

from service.answering.base import Answer
from service.query.retrieval import Filters

ANSWERER = "clarification"


def clarification(question: str, named: list[str], reports: list[tuple[str, int | None, str]], filters: Filters) -> Answer:
    """`named`: the municipalities the fragment names; `reports`: (municipality, year, title) of the loaded reports.

    Ungrounded on purpose: nothing was looked up, so nothing may look like a finding of the reports.
    """
    scope = list(named) or list(filters.municipality)
    lines = [f"”{question.strip()}” bygger på en tidigare fråga, men konversationen har ingen. Vad vill du veta?"]
    if scope:
        for municipality in scope:
            titles = [f"{title} ({year})" if year else title for m, year, title in reports if m == municipality]
            if titles:
                lines.append(f"Rapporten från {municipality}: {'; '.join(titles)}.")
        where = " och ".join(scope)
        lines.append("Du kan till exempel fråga:")
        lines += [
            f"- Vilka rekommendationer gavs i {where}?",
            f"- Vad var den revisionella bedömningen i {where}?",
            f"- Vilka kontrollmål bedömdes inte uppfyllda i {where}?",
        ]
    else:
        lines.append("Ställ gärna hela frågan, med vilken kommun eller rapport den gäller.")
    return Answer("\n".join(lines), grounded=False, answerer=ANSWERER, evidence={"reason": "follow_up_without_context"})
