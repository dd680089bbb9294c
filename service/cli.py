"""The `auditqa` command: ingest, status, serve, ask, chat, build-model, eval."""

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from ingest.config import Settings, get_settings

log = logging.getLogger("auditqa")


class CliError(Exception):
    """Bad input to a command: printed as one line, exit code 2."""


def _embedder(settings: Settings):
    from ingest.embedding import Embedder

    return Embedder.from_settings(settings)


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    # The output is this command's own bars and summary: no model-loading bar, no bm25s debug line.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from ingest.documents.loading import SUPPORTED_SUFFIXES
    from ingest.documents.metadata import read_manifest
    from ingest.pipeline import Ingestor, discover, set_aside_index

    logging.getLogger("bm25s").setLevel(logging.DEBUG if args.verbose else logging.WARNING)  # set DEBUG on import

    target = Path(args.path) if args.path else settings.corpus_dir
    single = target.is_file()
    folder = target.parent if single else target
    if single and target.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise CliError(f"filen '{target}' är ingen rapport som kan läsas in (godkända filändelser: {', '.join(sorted(SUPPORTED_SUFFIXES))})")
    if single and args.prune:
        raise CliError("--prune gäller en mapp, inte en enskild fil")
    found = [target] if single else discover(folder)  # a bad folder fails here, before the model loads
    if not found and not args.prune and not args.rebuild:
        raise CliError(f"mappen '{folder}' innehåller inga rapporter att läsa in ({', '.join(sorted(SUPPORTED_SUFFIXES))}); inget ändrades")
    if args.rebuild:
        for path in set_aside_index(settings):
            print(f"flyttade undan {path}", file=sys.stderr)
    ingestor = Ingestor(settings, _embedder(settings))  # a damaged catalog fails here, in one line
    # Loading the model takes a while on a cold machine: say so before the first bar or line appears.
    print(f"auditqa ingest: {len(found)} fil{'er' if len(found) != 1 else ''} i '{folder}'; laddar inbäddningsmodellen …", file=sys.stderr, flush=True)
    ingestor.warm_up()
    if single:
        report = ingestor.run_files(found, manifest=read_manifest(folder), progress=_progress_lines)
    elif args.rebuild and settings.uploads_path.is_dir():
        # Uploaded documents are read again from their kept files too (the metadata given with them is inferred anew).
        report = ingestor.run_files(discover(folder) + discover(settings.uploads_path), manifest=read_manifest(folder))
    elif not sys.stderr.isatty():
        report = ingestor.run(folder, prune=args.prune, progress=_progress_lines)  # not a terminal: a line per document
    else:
        # On a terminal: a bar for the files read, then one for the documents and one for the current one's chunks.
        from tqdm import tqdm
        from tqdm.contrib.logging import logging_redirect_tqdm

        bars: dict[str, tqdm] = {}

        def bar(key: str, **options) -> tqdm:
            if key not in bars:
                bars[key] = tqdm(file=sys.stderr, dynamic_ncols=True, leave=key == "docs", **options)
            return bars[key]

        def progress(document_id: str, index: int, total: int) -> None:
            if "files" in bars:
                bars.pop("files").close()
            docs = bar("docs", total=total, desc="Dokument", unit="dok")
            docs.n = index - 1
            docs.set_postfix_str(document_id)

        def stage(document_id: str, name: str, done: int, total: int) -> None:
            if name == "loading":
                files = bar("files", total=total, desc="Läser filer", unit="fil")
                files.n = done
                files.set_postfix_str(document_id)
            elif name in ("embedding", "storing"):
                chunks = bar("chunks", total=total, unit="chunk")
                if name == "embedding":
                    if done == 0:
                        chunks.reset(total=total)
                    chunks.n = done
                chunks.set_description_str("  bäddar in" if name == "embedding" else "  sparar")
            elif name == "live":
                if "chunks" in bars:
                    bars["chunks"].n = total
                    bars["chunks"].set_description_str("  klar")
                if "docs" in bars:
                    bars["docs"].update(1)

        try:
            with logging_redirect_tqdm():
                report = ingestor.run(folder, prune=args.prune, progress=progress, stage=stage)
        finally:
            for key in ("chunks", "files", "docs"):
                if key in bars:
                    bars.pop(key).close()
    print(report.summary())
    for name, message in report.failed:
        print(f"  misslyckades: {name}: {message}", file=sys.stderr)
    for document_id, missing in report.incomplete.items():
        print(f"  {document_id}: kunde inte härleda {', '.join(missing)}", file=sys.stderr)
    return 1 if report.failed else 0


def _progress_lines(document_id: str, index: int, total: int) -> None:
    """Progress where no bar can be drawn (a log, CI): one line per document as its turn comes."""
    print(f"  [{index}/{total}] {document_id}", file=sys.stderr, flush=True)


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from ingest.documents.metadata import read_manifest
    from ingest.index.catalog import Catalog
    from ingest.pipeline import Ingestor, discover

    catalog = Catalog(settings.catalog_path)
    documents = catalog.documents()
    ingestor = Ingestor(settings, _embedder(settings), catalog=catalog)
    planned, failed = ingestor.plan(discover(settings.corpus_dir), read_manifest(settings.corpus_dir))
    live = {d.document_id for d in documents}
    stale = [p.document_id for p in planned if p.state != "unchanged"]
    gone = sorted(live - {p.document_id for p in planned})
    status = {
        "documents": len(documents),
        "chunks": sum(d.chunk_count for d in documents),
        "model": str(settings.embed_model),
        "index": settings.chroma_url or str(settings.chroma_path.resolve()),
        "catalog": str(settings.catalog_path.resolve()),
        "corpus": str(settings.corpus_dir),
        "stale": bool(stale or failed),
        "to_ingest": stale,
        "not_in_corpus": gone,
    }
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=2))
    else:
        for key, value in status.items():
            print(f"{key:14} {', '.join(value) if isinstance(value, list) else value}")
    return 1 if args.check and status["stale"] else 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from service.api import collector

    collector.pause_for_start_up()  # before the imports below: most of start-up's objects are theirs
    import uvicorn

    from ingest.index.database import check_intact
    from service.api.app import create_app
    from service.api.security import KeyConfigError, KeyRing, is_loopback

    # A damaged catalog or unit store is one line here, not a traceback from the server's start-up.
    check_intact(settings.catalog_path)
    check_intact(settings.units_path, thorough=False)

    host = args.host or settings.host
    settings = settings.model_copy(
        update={"host": host, "port": args.port or settings.port, "allow_unauthenticated": settings.allow_unauthenticated or args.allow_unauthenticated}
    )
    try:
        keys = KeyRing.from_settings(settings)
    except KeyConfigError as exc:
        raise CliError(str(exc)) from exc
    if not keys and not is_loopback(host) and not settings.allow_unauthenticated:
        raise CliError(
            f"utan API-nycklar lyssnar tjänsten bara på loopback, inte på '{host}': sätt AUDITQA_API_KEYS "
            "(eller AUDITQA_API_KEYS_FILE), eller --allow-unauthenticated om alla som når adressen får vara administratörer"
        )
    uvicorn.run(create_app(settings), host=host, port=settings.port, log_level="info")
    return 0


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from service.api.app import build_qa
    from service.api.presenters import citations_out

    qa = build_qa(settings)
    if not qa.ready:
        raise CliError("inget index är byggt ännu; kör `auditqa ingest` först")
    result = qa.ask(args.question, _municipality_filter(qa, args.municipality))
    citations = citations_out(result.answer)
    if args.json:
        body = {"answer": result.answer.text, "grounded": result.answer.grounded, "citations": [c.model_dump() for c in citations]}
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return 0
    _print_answer(result.answer.text, citations, result.analysis.language)
    return 0


def _municipality_filter(qa, names: list[str] | None):
    """`--municipality kalmar` as the index spells it ("Kalmar"); an unknown name is left for validation to name."""
    from service.query.retrieval import Filters

    known = {m.casefold(): m for m in qa.retriever.view.municipalities}
    return Filters(municipality=tuple(known.get(n.casefold(), n) for n in names or ()))


def _print_answer(text: str, citations, language: str) -> None:
    """The answer, then its sources worded in the question's language."""
    from service.answering.wording import wording_for

    w = wording_for(language)
    print(text)
    if citations:
        print(f"\n{w.sources}")
        for c in citations:
            place = "".join(f", {p}" for p in (w.passage_place(c.section, c.part or ""), c.page and w.page.format(c.page)) if p)
            print(f"  [{c.n}] {c.title or c.document_id} ({c.municipality} {c.year}){place}, {w.characters.format(c.quote_start, c.quote_end)}")
            print(f"      {w.quoted(' '.join(c.quote.split()))}")


def cmd_chat(args: argparse.Namespace, settings: Settings) -> int:
    """A conversation in the terminal: each question resolved against the ones before, as the chat UI does."""
    from service.api.app import build_qa
    from service.api.presenters import citations_out
    from service.chat.service import ChatService
    from service.chat.store import ConversationStore
    from service.query.analysis import QuestionError

    qa = build_qa(settings)
    if not qa.ready:
        raise CliError("inget index är byggt ännu; kör `auditqa ingest` först")
    chat = ChatService(qa, ConversationStore.from_settings(settings))
    filters = _municipality_filter(qa, args.municipality)
    print("Ställ en fråga om rapporterna. \"ny\" börjar ett nytt samtal; tom rad eller Ctrl-D avslutar.", file=sys.stderr)
    asked: list[str] = []
    while True:
        try:
            question = input("\nfråga> ").strip()
        except EOFError:
            break
        if not question:
            break
        if question.casefold() == "ny":
            asked = []
            continue
        try:
            result = chat.ask_stateless([*asked, question], filters)
        except QuestionError as exc:
            print(f"Ogiltig fråga: {exc}.", file=sys.stderr)
            continue
        asked.append(question)
        if result.resolved_question != question:
            print(f"(Tolkad som: {result.resolved_question})")
        _print_answer(result.result.answer.text, citations_out(result.result.answer), result.result.analysis.language)
    return 0


def cmd_build_model(args: argparse.Namespace, settings: Settings) -> int:
    from tools.model_build import build_model

    path = build_model(Path(args.dir) if args.dir else settings.embed_model, force=args.force)
    print(f"model ready at {path}")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    logging.getLogger("bm25s").setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    from evals.dataset import DatasetError
    from evals.gates import GateResult, ThresholdsError, suggested_lines
    from evals.report import summary_text
    from evals.runner import default_out_dir, run_eval
    from evals.swefaq import SweFAQError

    if args.set in ("dev", "all"):
        # Build or refresh the index in AUDITQA_HOME; unchanged documents are skipped without loading the model.
        from ingest.pipeline import Ingestor

        report = Ingestor(settings, _embedder(settings)).run(settings.corpus_dir)
        print(report.summary(), file=sys.stderr)
        if report.failed:
            raise CliError("ingest failed: " + "; ".join(f"{n}: {m}" for n, m in report.failed))
    out = Path(args.out) if args.out else default_out_dir()
    try:
        extra = {"items_path": Path(args.items)} if args.items else {}
        result = run_eval(args.set, settings, out, progress=lambda message: print(message, file=sys.stderr, flush=True), **extra)
    except (DatasetError, SweFAQError, ThresholdsError) as exc:
        raise CliError(str(exc)) from exc
    print(summary_text(result))
    lines = suggested_lines([GateResult(**g) for g in result["gates"]])
    if lines:
        print("\nSuggested thresholds (measured - 0.02; evals/thresholds.toml is edited by hand):")
        print("\n".join(lines))
    failed = [g["metric"] for g in result["gates"] if not g["passed"]]
    return 1 if args.check and failed else 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="auditqa", description="Question answering over Swedish municipal audit reports.")
    root.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = root.add_subparsers(dest="command", required=True)
    p = sub.add_parser("ingest", help="ingest a folder of reports, or one report file (default: the bundled corpus)")
    p.add_argument("path", nargs="?", help="a folder of .txt, .md, .pdf, .docx reports (its manifest.toml is read), or one such file")
    p.add_argument("--prune", action="store_true", help="remove documents whose files are gone")
    p.add_argument(
        "--rebuild", action="store_true",
        help="rebuild the catalog, findings and BM25 index from the files (the corpus folder and uploads/), e.g. after a damaged catalog",
    )
    p.set_defaults(func=cmd_ingest)
    p = sub.add_parser("status", help="documents, chunks, model, index location, staleness")
    p.add_argument("--json", action="store_true", help="print the status as JSON")
    p.add_argument("--check", action="store_true", help="exit 1 if the index is stale against the corpus")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("serve", help="run the HTTP API")
    p.add_argument("--host", help="address to listen on (default AUDITQA_HOST, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default AUDITQA_PORT, 8000)")
    p.add_argument(
        "--allow-unauthenticated", action="store_true",
        help="serve beyond loopback without API keys (AUDITQA_ALLOW_UNAUTHENTICATED): everyone who reaches the address is an admin",
    )
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("ask", help="answer a question in the terminal")
    p.add_argument("question", help="the question, in Swedish or English")
    p.add_argument("--json", action="store_true", help="print the answer and its citations as JSON")
    p.add_argument("--municipality", action="append", help="restrict to a municipality, in any case (repeatable)")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("chat", help="a conversation in the terminal, with follow-up questions")
    p.add_argument("--municipality", action="append", help="restrict to a municipality, in any case (repeatable)")
    p.set_defaults(func=cmd_chat)
    p = sub.add_parser("build-model", help="build the bundled embedding model (done by `make install`)")
    p.add_argument("dir", nargs="?", help="where to build it (default AUDITQA_EMBED_MODEL)")
    p.add_argument("--force", action="store_true", help="rebuild even if the model is already there")
    p.set_defaults(func=cmd_build_model)
    p = sub.add_parser("eval", help="run the evaluation suite and write evals/reports/<timestamp>/report.{md,json,html}")
    p.add_argument(
        "--set", choices=("dev", "swefaq", "real", "all"), default="all",
        help="dev: the bundled corpus (ours vs baseline); swefaq: external retrieval benchmark (AUDITQA_SWEFAQ_DIR); "
        "real: reports by other firms, read in place from AUDITQA_REAL_REPORTS_DIR into a throwaway index; all: every set "
        "(default). Dev and real are also scored per tune / held-out part (evals/splits.toml).",
    )
    p.add_argument("--out", help="report folder (default: evals/reports/<timestamp>)")
    p.add_argument("--check", action="store_true", help="exit 1 if a CI gate of evals/thresholds.toml fails")
    p.add_argument(
        "--items", help="the dev set's items from this JSONL file instead of evals/dev.jsonl, e.g. the UI's feedback export "
        "(GET /v1/feedback/export); items marked for review are skipped",
    )
    p.set_defaults(func=cmd_eval)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from ingest.documents.metadata import ManifestError
    from ingest.embedding import EmbeddingModelError
    from ingest.index.database import DatabaseUnavailableError
    from ingest.index.disk import DiskFullError
    from ingest.index.vectors import StoreError
    from ingest.pipeline import IngestError
    from service.query.analysis import QuestionError
    from service.query.retrieval import UnknownFilterError
    from tools.model_build import ModelBuildError
    from tools.onnx_export import OnnxExportError

    try:
        return args.func(args, get_settings())
    except (
        CliError, IngestError, ManifestError, ModelBuildError, OnnxExportError, EmbeddingModelError, StoreError, QuestionError,
        UnknownFilterError, DatabaseUnavailableError, DiskFullError,
    ) as exc:
        print(f"auditqa {args.command}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
