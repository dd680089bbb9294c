"""Renders an eval run: report.json (everything), report.md, report.html (self-contained, inline SVG)."""

import html
import json
from pathlib import Path

from evals.swefaq import MODE_LABELS as SWEFAQ_LABELS

RETRIEVAL_COLUMNS = ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "all_gold@10")
ANSWER_ROWS = (
    ("key_fact_accuracy", "key-fact accuracy"),
    ("forbidden_rate", "forbidden-fact rate (lower is better)"),
    ("citation_precision", "citation precision"),
    ("citation_recall", "citation recall"),
    ("refusal_precision", "refusal precision"),
    ("refusal_recall", "refusal recall"),
    ("refused_rate", "refused (share of all items)"),
    ("citations_per_answer", "citations per answer"),
)
# Per part: the answer metrics that are rates of the items (not shares of all items or counts per answer).
PART_ROWS = ANSWER_ROWS[:6]
PART_COLUMNS = (("tune", "tune"), ("heldout", "held-out"), ("gap", "gap tune − held-out"))
SET_LABELS = {"dev": "dev", "real": "real"}
PART_COLORS = {("dev", "tune"): "#1f6feb", ("dev", "heldout"): "#79c0ff", ("real", "tune"): "#bf3989", ("real", "heldout"): "#f778ba"}
COLORS = {"ours": "#1f6feb", "baseline": "#d29922", "lexical": "#8250df", "dense": "#1a7f37", "hybrid": "#bf3989", "hybrid+filters": "#1f6feb"}
MAX_FAILURES_MD = 60


def fmt(value, digits: int = 3) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _ms(value) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def _clip(text: str, limit: int = 400) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind_rows(report: dict) -> list[dict]:
    ours, base = report["answers"]["ours"]["by_kind"], report["answers"]["baseline"]["by_kind"]
    r_ours = report["retrieval"]["ours"]["hybrid+filters"]["by_kind"]
    r_base = report["retrieval"]["baseline"]["by_kind"]
    rows = []
    for kind in sorted(ours, key=lambda k: (ours[k]["key_fact_accuracy"] is None, ours[k]["key_fact_accuracy"] or 0.0)):
        rows.append({
            "kind": kind, "n": ours[kind]["n"],
            "facts_ours": ours[kind]["key_fact_accuracy"], "facts_base": base[kind]["key_fact_accuracy"],
            "cp_ours": ours[kind]["citation_precision"], "cp_base": base[kind]["citation_precision"],
            "cr_ours": ours[kind]["citation_recall"], "cr_base": base[kind]["citation_recall"],
            "r5_ours": r_ours.get(kind, {}).get("recall@5"), "r5_base": r_base.get(kind, {}).get("recall@5"),
            "refused": ours[kind]["refused_rate"],
        })
    return rows


def _failures(report: dict) -> list[dict]:
    return [i for i in report.get("items", []) if i["failed"]]


def worst_kinds(report: dict, count: int = 4) -> list[tuple[str, float | None, int]]:
    rows = [r for r in _kind_rows(report) if r["facts_ours"] is not None]
    return [(r["kind"], r["facts_ours"], r["n"]) for r in rows[:count]]


def _gap(value) -> str:
    return "n/a" if value is None else f"{value:+.3f}"


def _part_cell(splits: dict, set_name: str, part: str, key: str) -> str:
    value = splits[set_name][part].get(key)
    return _gap(value) if part == "gap" else fmt(value)


def _part_header(report: dict) -> list[str]:
    splits = report.get("splits") or {}
    header = ["metric"]
    for set_name in splits:
        n = splits[set_name].get("n", {})
        for part, label in PART_COLUMNS:
            header.append(f"{SET_LABELS.get(set_name, set_name)} {label}" + (f" (n={n[part]})" if part in n else ""))
    return header


def _part_rows(report: dict) -> list[list[str]]:
    splits = report.get("splits") or {}
    return [[label] + [_part_cell(splits, s, part, key) for s in splits for part, _ in PART_COLUMNS] for key, label in PART_ROWS]


SPLITS_NOTE = (
    "Parts fixed once in evals/splits.toml: real reports split by report (11 tune / 6 held-out), dev items by a "
    "stratified rule (about 100 / 40). Nothing is tuned on a held-out part: only tune items' failures are read while "
    "changing the product. A positive gap (negative for the forbidden-fact rate) means the product does better on "
    "what it was tuned on."
)


def _real_kind_rows(real: dict) -> list[list[str]]:
    by_kind = real["answers"]["by_kind"]
    r5 = real["retrieval"]["hybrid+filters"]["by_kind"]
    return [
        [kind, str(s["n"]), fmt(s["key_fact_accuracy"]), fmt(s["citation_precision"]), fmt(s["citation_recall"]),
         fmt(r5.get(kind, {}).get("recall@5")), fmt(s["refused_rate"])]
        for kind, s in sorted(by_kind.items(), key=lambda kv: (kv[1]["key_fact_accuracy"] is None, kv[1]["key_fact_accuracy"] or 0.0))
    ]


def _real_answer_rows(report: dict) -> list[list[str]]:
    real, parts = report["real"], report["splits"]["real"]
    return [[label, fmt(real["answers"].get(k)), fmt(parts["tune"].get(k)), fmt(parts["heldout"].get(k))] for k, label in ANSWER_ROWS]


def _real_retrieval_rows(real: dict) -> list[list[str]]:
    rows = [[f"ours: {mode}"] + [fmt(s.get(c)) for c in RETRIEVAL_COLUMNS] for mode, s in real["retrieval"].items()]
    rows += [[f"hybrid+filters, {label}"] + [fmt(real["retrieval_parts"][part].get(c)) for c in RETRIEVAL_COLUMNS]
             for part, label in (("tune", "tune"), ("heldout", "held-out"))]
    return rows


# ---------------------------------------------------------------------------------------------- markdown


def _md_failure(item: dict) -> list[str]:
    out = []
    turns = " → ".join(item["turns"])
    part = f", {item['part']}" if item.get("part") else ""
    out.append(f"### `{item['id']}` ({item['kind']}{part}): {', '.join(item['problems'])}")
    out.append("")
    out.append(f"- **Q:** {turns}")
    if item.get("resolved_question") and item["resolved_question"] != item["turns"][-1]:
        out.append(f"- **resolved as:** {item['resolved_question']}")
    out.append(f"- **A** ({'grounded' if item['grounded'] else 'refused'}, {item['answerer']}): {_clip(item['answer'])}")
    if item["missing"]:
        out.append("- **missing:** " + "; ".join(" | ".join(f"`{p}`" for p in alts) for alts in item["missing"]))
    if item["forbidden"]:
        out.append("- **forbidden found:** " + ", ".join(f"`{p}`" for p in item["forbidden"]))
    if item["answerable"]:
        ranks = ", ".join(f"{m} {r if r else '>10'}" for m, r in item["gold_rank"].items())
        out.append(f"- **gold rank:** {ranks}; filters {item['filters'] or 'none'}; citations covering gold {item['citations_covering_gold']}")
    out.append("")
    return out


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _gate_rows(report: dict) -> list[list[str]]:
    rows = []
    for g in report.get("gates", []):
        op = "≤" if g["lower_is_better"] else "≥"
        status = "ok" if g["passed"] else "**FAILED**"
        target = "—" if g["target"] is None else f"{op} {fmt(g['target'])}"
        met = "—" if g["target_met"] is None else ("met" if g["target_met"] else f"{fmt(g['distance_to_target'])} to go")
        rows.append([g["metric"], fmt(g["measured"]), f"{op} {fmt(g['threshold'])}", status, target, met])
    return rows


def render_markdown(report: dict) -> str:
    meta = report["meta"]
    out = [
        f"# auditqa eval — {meta['set']} — {meta['started']}",
        "",
        f"git `{meta['git']}` · wall time **{meta.get('wall_s', 0):.0f} s** ({meta.get('cpu_s', 0):.0f} s CPU) on {meta['cpus']} CPUs "
        f"(load {', '.join(f'{x:.1f}' for x in meta.get('load_avg') or [])}) · model `{Path(meta['model']).name}`",
        "",
    ]
    if report.get("phases_s"):
        out += ["Phases: " + ", ".join(f"{k} {v:.0f} s" for k, v in report["phases_s"].items()), ""]
    if report.get("gates"):
        out += ["## CI gates and product targets", "", _md_table(["metric", "measured", "CI threshold", "gate", "target", "distance to target"], _gate_rows(report)), ""]
    if "retrieval" in report:
        dev = report["dev"]
        out += [
            "## Retrieval (dev set)", "",
            f"{dev['with_gold']} answerable items with gold; a chunk is relevant when it is in the gold document and contains the "
            "whitespace-normalized gold quote. recall@k = ANY gold passage covered in the top k; all_gold@10 = EVERY gold passage. "
            "Multi-turn items are ranked on their last turn as typed (no conversation context); "
            "hybrid+filters uses the municipality/year filters that /v1/ask infers from the question.",
            "",
        ]
        rows = [[f"ours: {mode}"] + [fmt(s.get(c)) for c in RETRIEVAL_COLUMNS] for mode, s in report["retrieval"]["ours"].items()]
        base = report["retrieval"]["baseline"]
        rows.append(["baseline: LlamaIndex dense"] + [fmt(base.get(c)) for c in RETRIEVAL_COLUMNS])
        out += [_md_table(["system / mode", *RETRIEVAL_COLUMNS], rows), ""]
        unreachable = report["retrieval"]["baseline"].get("unreachable") or []
        if unreachable:
            out += [f"Baseline: {len(unreachable)} item(s) have no chunk containing a whole gold quote (split across chunks): {', '.join(unreachable)}", ""]
        unreachable = report["retrieval"]["ours"]["hybrid"].get("unreachable") or []
        if unreachable:
            out += [f"Ours: {len(unreachable)} item(s) have no chunk containing a whole gold quote: {', '.join(unreachable)}", ""]
        out += ["## Answers via /v1/ask (dev set), ours vs baseline", ""]
        ours, base = report["answers"]["ours"], report["answers"]["baseline"]
        out += [_md_table(["metric", "ours", "baseline"], [[label, fmt(ours.get(k)), fmt(base.get(k))] for k, label in ANSWER_ROWS]), ""]
        out += [
            "Key facts count only for answered (grounded) items; forbidden-fact rate is over the "
            f"items with a must_not_contain list; citation precision/recall are pooled over citations/gold passages of "
            f"answerable items; refused = `grounded == false`. Baseline: {report['baseline_config']['pipeline']} "
            f"(chunk_size {report['baseline_config']['chunk_size']}, overlap {report['baseline_config']['chunk_overlap']}, "
            f"{report['baseline_config']['nodes']} nodes); it never refuses.",
            "",
            "## Per kind", "",
        ]
        rows = [
            [r["kind"], str(r["n"]), f"{fmt(r['facts_ours'])} / {fmt(r['facts_base'])}", f"{fmt(r['cp_ours'])} / {fmt(r['cp_base'])}",
             f"{fmt(r['cr_ours'])} / {fmt(r['cr_base'])}", f"{fmt(r['r5_ours'])} / {fmt(r['r5_base'])}", fmt(r["refused"])]
            for r in _kind_rows(report)
        ]
        out += [_md_table(["kind", "n", "key facts ours / base", "cit. precision", "cit. recall", "recall@5 (hybrid+filters) / base", "refused"], rows), ""]
        out += ["## Latency (this run)", ""]
        out += [_md_table(["endpoint", "n", "p50", "p95", "max"], [[k, str(v["n"]), _ms(v["p50_ms"]), _ms(v["p95_ms"]), _ms(v["max_ms"])] for k, v in report["latency"].items()]), ""]
    if report.get("splits"):
        out += ["## Tuning vs held-out (answers via /v1/ask)", "", SPLITS_NOTE, "", _md_table(_part_header(report), _part_rows(report)), ""]
    if "real" in report:
        real = report["real"]
        info = real["set"]
        out += [
            f"## Real reports by other firms ({info['items']} items, {info['answerable']} answerable, over "
            f"{len(info['reports']['tune']) + len(info['reports']['heldout'])} reports read in place)", "",
            f"Folder `{info['folder']}`, read in place into a throwaway home. {info['ingest']} ({info['chunks']} chunks in the index.) "
            f"Tune reports: {', '.join(info['reports']['tune'])}. Held-out reports: {', '.join(info['reports']['heldout'])}.",
            "",
            _md_table(["metric", "all", "tune", "held-out"], _real_answer_rows(report)), "",
            "### Retrieval (real set)", "",
            _md_table(["system / mode", *RETRIEVAL_COLUMNS], _real_retrieval_rows(real)), "",
            "### Per kind (real set)", "",
            _md_table(["kind", "n", "key facts", "cit. precision", "cit. recall", "recall@5 (hybrid+filters)", "refused"], _real_kind_rows(real)), "",
        ]
        failures = [i for i in real["items"] if i["failed"]]
        out += [f"### Failing real items ({len(failures)} of {len(real['items'])})", ""]
        for item in failures[:MAX_FAILURES_MD]:
            out += _md_failure(item)
        if len(failures) > MAX_FAILURES_MD:
            out += [f"… {len(failures) - MAX_FAILURES_MD} more in report.json / report.html.", ""]
    if "swefaq" in report:
        sw = report["swefaq"]
        out += [f"## SweFAQ ({sw['n_questions']} questions, {sw['n_documents']} answers ranked corpus-wide)", ""]
        rows = [[SWEFAQ_LABELS.get(m, m), fmt(s["recall@1"]), fmt(s["recall@5"]), fmt(s["recall@10"]), fmt(s["mrr@10"]), f"{s['mrr@10_gain']:+.3f}"] for m, s in sw["modes"].items()]
        out += [_md_table(["mode", "recall@1", "recall@5", "recall@10", "MRR@10", "MRR@10 vs plain BM25"], rows), ""]
        if "parts" in sw:
            tune, heldout = sw["parts"]["tune"], sw["parts"]["heldout"]
            out += [
                f"By part (SweFAQ's own split: its dev questions are the tuning part, n={tune['n']}; its test questions held out, n={heldout['n']}):", "",
                _md_table(
                    ["mode", "tune R@5", "tune MRR@10", "held-out R@5", "held-out MRR@10"],
                    [[SWEFAQ_LABELS.get(m, m), fmt(tune[m]["recall@5"]), fmt(tune[m]["mrr@10"]), fmt(heldout[m]["recall@5"]), fmt(heldout[m]["mrr@10"])]
                     for m in ("lexical", "dense", "hybrid")],
                ),
                "",
            ]
    failures = _failures(report)
    if "items" in report:
        out += [f"## Failing dev items ({len(failures)} of {len(report['items'])})", ""]
        for item in failures[:MAX_FAILURES_MD]:
            out += _md_failure(item)
        if len(failures) > MAX_FAILURES_MD:
            out.append(f"… {len(failures) - MAX_FAILURES_MD} more in report.json / report.html.")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------- html / svg


def _svg_bars(title: str, labels: list[str], series: list[tuple[str, str, list[float | None]]], width: int = 760) -> str:
    """Horizontal grouped bars, values in [0, 1]."""
    bar, gap, left, right = 11, 10, 130, 60
    group = bar * len(series) + gap
    height = 40 + group * len(labels) + 24
    plot = width - left - right
    e = html.escape
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{e(title)}">',
             f'<text x="0" y="16" font-weight="bold" font-size="14">{e(title)}</text>']
    for i, (name, color, _) in enumerate(series):
        x = left + i * 170
        parts.append(f'<rect x="{x}" y="24" width="12" height="10" fill="{color}"/><text x="{x + 16}" y="33" font-size="12">{e(name)}</text>')
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + plot * tick
        parts.append(f'<line x1="{x:.1f}" y1="40" x2="{x:.1f}" y2="{height - 20}" stroke="#ddd"/>'
                     f'<text x="{x:.1f}" y="{height - 6}" font-size="11" text-anchor="middle">{tick:g}</text>')
    for row, label in enumerate(labels):
        y0 = 44 + row * group
        parts.append(f'<text x="{left - 6}" y="{y0 + group / 2:.1f}" font-size="12" text-anchor="end">{e(label)}</text>')
        for i, (name, color, values) in enumerate(series):
            value = values[row]
            y = y0 + i * bar
            if value is None:
                parts.append(f'<text x="{left + 4}" y="{y + 9}" font-size="10" fill="#888">n/a</text>')
                continue
            parts.append(f'<rect x="{left}" y="{y}" width="{plot * value:.1f}" height="{bar - 2}" fill="{color}"><title>{e(name)} {label}: {value:.3f}</title></rect>'
                         f'<text x="{left + plot * value + 4:.1f}" y="{y + 9}" font-size="10">{value:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _svg_curves(title: str, curves: list[tuple[str, str, dict[str, float | None]]], width: int = 640, height: int = 300) -> str:
    """recall@k against k (1-10), one line per series; y from 0 to 1."""
    left, right, top, bottom = 44, 230, 28, 34
    pw, ph = width - left - right, height - top - bottom
    e = html.escape
    values = [v for _, _, curve in curves for v in curve.values() if v is not None]
    floor = max(0.0, min(0.8, int(min(values, default=0.0) * 10) / 10))  # zoom in, on a 0.1 grid

    def xy(k: int, v: float) -> tuple[float, float]:
        return left + pw * (k - 1) / 9, top + ph * (1 - (v - floor) / (1 - floor))

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" aria-label="{e(title)}">',
             f'<text x="0" y="16" font-weight="bold" font-size="14">{e(title)}</text>']
    for tick in [floor + i * (1 - floor) / 5 for i in range(6)]:
        _, y = xy(1, tick)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#eee"/><text x="{left - 4}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{tick:.1f}</text>')
    for k in range(1, 11):
        x, _ = xy(k, 0)
        parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" font-size="11" text-anchor="middle">{k}</text>')
    parts.append(f'<text x="{left + pw / 2}" y="{height - 4}" font-size="11" text-anchor="middle">k</text>')
    for i, (name, color, curve) in enumerate(curves):
        points = [(int(k), v) for k, v in curve.items() if v is not None]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(k, v) for k, v in points))
        dash = ' stroke-dasharray="5,3"' if "baseline" in name or "plain" in name else ""
        parts.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dash}><title>{e(name)}</title></polyline>')
        for k, v in points:
            x, y = xy(k, v)
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{color}"><title>{e(name)} recall@{k}: {v:.3f}</title></circle>')
        ly = top + 14 + i * 18
        parts.append(f'<line x1="{left + pw + 12}" y1="{ly - 4}" x2="{left + pw + 32}" y2="{ly - 4}" stroke="{color}" stroke-width="2"{dash}/>'
                     f'<text x="{left + pw + 36}" y="{ly}" font-size="12">{e(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _html_table(header: list[str], rows: list[list[str]], raw: bool = False) -> str:
    e = (lambda s: s) if raw else html.escape
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1100px;color:#1f2328;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:13px}th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right}.fail{color:#cf222e;font-weight:bold}.ok{color:#1a7f37}
.meta{color:#57606a;font-size:13px}.charts{display:flex;flex-wrap:wrap;gap:24px}
details{border:1px solid #d0d7de;border-radius:6px;padding:6px 10px;margin:6px 0}summary{cursor:pointer}
code{background:#f6f8fa;padding:1px 4px;border-radius:4px;font-size:12px}.answer{white-space:pre-wrap;font-size:13px;background:#f6f8fa;padding:6px}
"""


def _html_failure(item: dict) -> str:
    e = html.escape
    body = [f"<p><b>Q:</b> {e(' → '.join(item['turns']))}</p>"]
    if item.get("resolved_question") and item["resolved_question"] != item["turns"][-1]:
        body.append(f"<p class='meta'>resolved as: {e(item['resolved_question'])}</p>")
    for turn in item["earlier_turns"]:
        body.append(f"<p class='meta'>earlier turn: {e(turn['question'])} → {e(_clip(turn['answer'], 200))}</p>")
    body.append(f"<p><b>A</b> ({'grounded' if item['grounded'] else 'refused'}, {e(item['answerer'])}):</p><div class='answer'>{e(item['answer'])}</div>")
    if item["missing"]:
        body.append("<p><b>missing facts:</b> " + "; ".join(" | ".join(f"<code>{e(p)}</code>" for p in alts) for alts in item["missing"]) + "</p>")
    if item["forbidden"]:
        body.append("<p><b>forbidden found:</b> " + ", ".join(f"<code>{e(p)}</code>" for p in item["forbidden"]) + "</p>")
    if item["gold"]:
        body.append("<p><b>gold:</b></p><ul>" + "".join(f"<li><code>{e(g['document_id'])}</code>: {e(g['quote'])}</li>" for g in item["gold"]) + "</ul>")
        ranks = ", ".join(f"{m} {r if r else '&gt;10'}" for m, r in item["gold_rank"].items())
        body.append(f"<p class='meta'>gold rank: {ranks} · filters {e(json.dumps(item['filters'], ensure_ascii=False))} · citations covering gold {item['citations_covering_gold']} · gold covered {item['gold_covered']}</p>")
    if item["citations"]:
        body.append("<p class='meta'>citations: " + "<br>".join(e(c) for c in item["citations"]) + "</p>")
    if item["notes"]:
        body.append(f"<p class='meta'>notes: {e(item['notes'])}</p>")
    part = f", {e(item['part'])}" if item.get("part") else ""
    return f"<details><summary><code>{e(item['id'])}</code> ({e(item['kind'])}{part}): <span class='fail'>{e(', '.join(item['problems']))}</span></summary>{''.join(body)}</details>"


def render_html(report: dict) -> str:
    e = html.escape
    meta = report["meta"]
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>auditqa eval {e(meta['started'])}</title><style>{_CSS}</style></head><body>",
        f"<h1>auditqa eval — {e(meta['set'])}</h1>",
        f"<p class='meta'>{e(meta['started'])} · git <code>{e(meta['git'])}</code> · wall time {meta.get('wall_s', 0):.0f} s ({meta.get('cpu_s', 0):.0f} s CPU) on {meta['cpus']} CPUs · "
        f"model <code>{e(Path(meta['model']).name)}</code></p>",
    ]
    if report.get("phases_s"):
        parts.append("<p class='meta'>" + e(", ".join(f"{k} {v:.0f} s" for k, v in report["phases_s"].items())) + "</p>")
    if report.get("gates"):
        rows = []
        for g in report["gates"]:
            op = "≤" if g["lower_is_better"] else "≥"
            status = "<span class='ok'>ok</span>" if g["passed"] else "<span class='fail'>FAILED</span>"
            met = "—" if g["target_met"] is None else ("<span class='ok'>met</span>" if g["target_met"] else f"<span class='fail'>{fmt(g['distance_to_target'])} to go</span>")
            target = "—" if g["target"] is None else f"{op} {fmt(g['target'])}"
            rows.append([e(g["metric"]), fmt(g["measured"]), f"{op} {fmt(g['threshold'])}", status, e(target), met])
        parts += ["<h2>CI gates and product targets</h2>", _html_table(["metric", "measured", "CI threshold", "gate", "target", "distance to target"], rows, raw=True)]
    if "retrieval" in report:
        kinds = _kind_rows(report)
        answerable_kinds = [r for r in kinds if r["facts_ours"] is not None or r["facts_base"] is not None]
        labels = [r["kind"] for r in answerable_kinds]
        parts.append("<h2>Ours vs baseline</h2><div class='charts'>")
        parts.append(_svg_bars("Key-fact accuracy per kind", labels, [("ours (/v1/ask)", COLORS["ours"], [r["facts_ours"] for r in answerable_kinds]), ("baseline (LlamaIndex top-1)", COLORS["baseline"], [r["facts_base"] for r in answerable_kinds])]))
        parts.append(_svg_bars("Retrieval recall@5 per kind", labels, [("ours (hybrid+filters)", COLORS["ours"], [r["r5_ours"] for r in answerable_kinds]), ("baseline", COLORS["baseline"], [r["r5_base"] for r in answerable_kinds])]))
        parts.append(_svg_bars("Citation precision per kind", labels, [("ours", COLORS["ours"], [r["cp_ours"] for r in answerable_kinds]), ("baseline", COLORS["baseline"], [r["cp_base"] for r in answerable_kinds])]))
        curves = [(f"ours: {m}", COLORS.get(m, "#444"), s["curve"]) for m, s in report["retrieval"]["ours"].items()]
        curves.append(("baseline (dense)", COLORS["baseline"], report["retrieval"]["baseline"]["curve"]))
        parts.append(_svg_curves("Dev retrieval: recall@k (any gold in top k)", curves))
        parts.append("</div>")
        rows = [[f"ours: {mode}"] + [fmt(s.get(c)) for c in RETRIEVAL_COLUMNS] for mode, s in report["retrieval"]["ours"].items()]
        rows.append(["baseline: LlamaIndex dense"] + [fmt(report["retrieval"]["baseline"].get(c)) for c in RETRIEVAL_COLUMNS])
        parts += ["<h3>Retrieval (dev, answerable items with gold)</h3>", _html_table(["system / mode", *RETRIEVAL_COLUMNS], rows)]
        ours, base = report["answers"]["ours"], report["answers"]["baseline"]
        parts += ["<h3>Answers via /v1/ask</h3>", _html_table(["metric", "ours", "baseline"], [[label, fmt(ours.get(k)), fmt(base.get(k))] for k, label in ANSWER_ROWS])]
        rows = [[r["kind"], str(r["n"]), f"{fmt(r['facts_ours'])} / {fmt(r['facts_base'])}", f"{fmt(r['cp_ours'])} / {fmt(r['cp_base'])}",
                 f"{fmt(r['cr_ours'])} / {fmt(r['cr_base'])}", f"{fmt(r['r5_ours'])} / {fmt(r['r5_base'])}", fmt(r["refused"])] for r in kinds]
        parts += ["<h3>Per kind (ours / baseline)</h3>", _html_table(["kind", "n", "key facts", "citation precision", "citation recall", "recall@5", "refused"], rows)]
        parts += ["<h3>Latency (this run)</h3>", _html_table(["endpoint", "n", "p50", "p95", "max"], [[k, str(v["n"]), _ms(v["p50_ms"]), _ms(v["p95_ms"]), _ms(v["max_ms"])] for k, v in report["latency"].items()])]
    if report.get("splits"):
        splits = report["splits"]
        series = [(f"{SET_LABELS.get(s, s)} {label}", PART_COLORS.get((s, part), "#444"), [splits[s][part].get(k) for k, _ in PART_ROWS])
                  for s in splits for part, label in PART_COLUMNS if part != "gap"]
        parts += ["<h2>Tuning vs held-out (answers via /v1/ask)</h2>", f"<p class='meta'>{e(SPLITS_NOTE)}</p>", "<div class='charts'>",
                  _svg_bars("Answers per part (forbidden-fact rate: lower is better)", [label.split(" (")[0] for _, label in PART_ROWS], series),
                  "</div>", _html_table(_part_header(report), _part_rows(report))]
    if "real" in report:
        real = report["real"]
        info = real["set"]
        parts += [
            f"<h2>Real reports by other firms ({info['items']} items, {info['answerable']} answerable)</h2>",
            f"<p class='meta'>Folder <code>{e(info['folder'])}</code>, read in place into a throwaway home. {e(info['ingest'])} ({info['chunks']} chunks in the index.)<br>"
            f"Tune reports: {e(', '.join(info['reports']['tune']))}.<br>Held-out reports: {e(', '.join(info['reports']['heldout']))}.</p>",
            _html_table(["metric", "all", "tune", "held-out"], _real_answer_rows(report)),
            "<h3>Retrieval (real set)</h3>", _html_table(["system / mode", *RETRIEVAL_COLUMNS], _real_retrieval_rows(real)),
            "<h3>Per kind (real set)</h3>",
            _html_table(["kind", "n", "key facts", "citation precision", "citation recall", "recall@5", "refused"], _real_kind_rows(real)),
        ]
        failures = [i for i in real["items"] if i["failed"]]
        parts.append(f"<h3>Failing real items ({len(failures)} of {len(real['items'])})</h3>")
        parts += [_html_failure(item) for item in failures]
    if "swefaq" in report:
        sw = report["swefaq"]
        parts.append(f"<h2>SweFAQ ({sw['n_questions']} questions, {sw['n_documents']} answers, corpus-wide)</h2><div class='charts'>")
        colors = {"bm25_plain": COLORS["baseline"], "lexical": COLORS["lexical"], "dense": COLORS["dense"], "hybrid": COLORS["hybrid"]}
        parts.append(_svg_curves("SweFAQ recall@k", [(SWEFAQ_LABELS.get(m, m), colors.get(m, "#444"), s["curve"]) for m, s in sw["modes"].items()]))
        parts.append("</div>")
        rows = [[SWEFAQ_LABELS.get(m, m), fmt(s["recall@1"]), fmt(s["recall@5"]), fmt(s["recall@10"]), fmt(s["mrr@10"]), f"{s['mrr@10_gain']:+.3f}"] for m, s in sw["modes"].items()]
        parts.append(_html_table(["mode", "recall@1", "recall@5", "recall@10", "MRR@10", "MRR@10 vs plain BM25"], rows))
    if "items" in report:
        failures = _failures(report)
        parts.append(f"<h2>Failing dev items ({len(failures)} of {len(report['items'])})</h2>")
        parts += [_html_failure(item) for item in failures]
    parts.append("</body></html>")
    return "\n".join(parts)


def summary_text(report: dict) -> str:
    """One screen for the terminal."""
    meta = report["meta"]
    lines = [f"auditqa eval ({meta['set']}): {meta.get('wall_s', 0):.0f} s wall, {meta.get('cpu_s', 0):.0f} s CPU on {meta['cpus']} CPUs, git {meta['git']}"]
    if "retrieval" in report:
        lines.append("retrieval (dev)        R@1    R@5    R@10   MRR@10 nDCG@10")
        for mode, s in report["retrieval"]["ours"].items():
            lines.append(f"  ours {mode:16} " + " ".join(f"{fmt(s[c]):6}" for c in ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")))
        s = report["retrieval"]["baseline"]
        lines.append(f"  baseline {'dense':12} " + " ".join(f"{fmt(s[c]):6}" for c in ("recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10")))
        ours, base = report["answers"]["ours"], report["answers"]["baseline"]
        lines.append("answers (ours / baseline): " + ", ".join(
            f"{short} {fmt(ours[k])}/{fmt(base[k])}" for k, short in (
                ("key_fact_accuracy", "facts"), ("forbidden_rate", "forbidden"), ("citation_precision", "cit.P"),
                ("citation_recall", "cit.R"), ("refusal_precision", "ref.P"), ("refusal_recall", "ref.R"))))
        lines.append("latency: " + ", ".join(f"{k} p50 {_ms(v['p50_ms'])} p95 {_ms(v['p95_ms'])}" for k, v in report["latency"].items() if k.startswith("/")))
        lines.append("worst kinds (key facts): " + ", ".join(f"{k} {fmt(v)} (n={n})" for k, v, n in worst_kinds(report)))
        lines.append(f"failing items: {len(_failures(report))} of {len(report['items'])}")
    if report.get("splits"):
        lines.append("tune vs held-out       facts  forbid cit.P  cit.R  ref.P  ref.R")
        for set_name, parts in report["splits"].items():
            for part, label in (("tune", "tune"), ("heldout", "held-out"), ("gap", "gap")):
                n = parts.get("n", {}).get(part)
                name = f"{set_name} {label}" + (f" (n={n})" if n is not None else "")
                cells = [(_gap if part == "gap" else fmt)(parts[part].get(k)) for k, _ in PART_ROWS]
                lines.append(f"  {name:20} " + " ".join(f"{c:6}" for c in cells))
    if "real" in report:
        real = report["real"]
        hf = real["retrieval"]["hybrid+filters"]
        lines.append(
            f"real ({real['set']['items']} items, {len(real['set']['reports']['tune']) + len(real['set']['reports']['heldout'])} reports): "
            f"hybrid+filters R@5 {fmt(hf.get('recall@5'))} MRR@10 {fmt(hf.get('mrr@10'))}; failing items: "
            f"{sum(1 for i in real['items'] if i['failed'])} of {len(real['items'])}"
        )
    if "swefaq" in report:
        lines.append("swefaq                 R@1    R@5    MRR@10 vs plain")
        for mode, s in report["swefaq"]["modes"].items():
            lines.append(f"  {mode:20} {fmt(s['recall@1']):6} {fmt(s['recall@5']):6} {fmt(s['mrr@10']):6} {s['mrr@10_gain']:+.3f}")
    for g in report.get("gates", []):
        flag = "ok  " if g["passed"] else "FAIL"
        op = "<=" if g["lower_is_better"] else ">="
        target = "" if g["target"] is None else (f", target {op} {fmt(g['target'])}" + ("" if g["target_met"] else f" ({fmt(g['distance_to_target'])} to go)"))
        lines.append(f"  [{flag}] {g['metric']} {fmt(g['measured'])} (gate {op} {fmt(g['threshold'])}{target})")
    files = meta.get("files") or {}
    if files:
        lines.append("report: " + files.get("html", ""))
    return "\n".join(lines)


def write_reports(report: dict, out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "report.json", "md": out_dir / "report.md", "html": out_dir / "report.html"}
    paths["md"].write_text(render_markdown(report), encoding="utf-8")
    paths["html"].write_text(render_html(report), encoding="utf-8")
    report.setdefault("meta", {})["files"] = {k: str(v) for k, v in paths.items()}
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return paths
