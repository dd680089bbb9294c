"""Words of one family: forms that share their start ("samordning" / "samordnas", "utfört" / "utför")."""


def shared_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def same_family(a: str, b: str, *, min_prefix: int, min_share: float = 0.0, max_extra: int | None = None) -> bool:
    """Equal, or sharing at least `min_prefix` leading letters and `min_share` of the shorter word. With
    `max_extra`, the shorter is a stem (at least `min_prefix` letters) that the longer extends by at most that many."""
    shorter, longer = sorted((a.lower(), b.lower()), key=len)
    prefix = shared_prefix(shorter, longer)
    if max_extra is not None:
        return len(shorter) >= min_prefix and prefix >= min_prefix and len(longer) - len(shorter) <= max_extra
    return shorter == longer or (prefix >= min_prefix and prefix >= min_share * len(shorter))
