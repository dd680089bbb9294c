"""Words of one family: forms that share their start ("samordning" / "samordnas", "utfört" / "utför"), and a verb
with its particle as the noun of its family begins ("följs upp" / "uppföljning")."""

import re

from ingest.language.lexicon import interrogatives, verb_particles


def shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def same_family(a: str, b: str, *, min_prefix: int, min_share: float = 0.0, max_extra: int | None = None) -> bool:
    """Equal, or sharing at least `min_prefix` leading letters and `min_share` of the shorter word. With
    `max_extra`, both at least `min_prefix` letters, sharing that many and differing in length by at most `max_extra`:
    loose on purpose, since "sammantaget" and "sammanfattande" are asked for one another (measured: requiring the
    shorter whole cost two answers of the real reports)."""
    shorter, longer = sorted((a.lower(), b.lower()), key=len)
    prefix = shared_prefix(shorter, longer)
    if max_extra is not None:
        return len(shorter) >= min_prefix and prefix >= min_prefix and len(longer) - len(shorter) <= max_extra
    return shorter == longer or (prefix >= min_prefix and prefix >= min_share * len(shorter))


def particle_joined(text: str) -> list[str]:
    """Each verb followed by its particle, joined as the verb's noun begins: "Avtalstroheten följs upp" ->
    ["uppföljs"], "tog fram" -> ["framtog"]; a word that is no verb joins into no word the reports use."""
    particles = verb_particles()
    joined = []
    for sentence in re.split(r"(?<=[.?!:;])", text.casefold()):
        words = re.findall(r"[^\W\d_]+", sentence)
        inverted = sentence.rstrip().endswith("?")
        for i, word in enumerate(words[1:], start=1):
            if word in particles and words[i - 1] not in particles:
                # The particle follows its verb, or in a question the subject after it ("Följer nämnden upp …?",
                # "Följs kostnaderna för lokalerna upp?").
                verbs = [words[i - 1]] + ([words[0]] if inverted and (i == 2 or i > 2 and words[0] not in interrogatives()) else [])
                joined += [particles[word] + verb for verb in verbs]
    return joined
