"""Synthetic Swedish municipal audit reports for the scale benchmark: as many as asked, the same ones for a seed.

    python -m evals.corpus_generator OUT_DIR [--count 100] [--seed 15]

Each report follows the genre: a cover (firm, authors, month), a Sammanfattning with the overall assessment,
an Inledning with syfte, revisionsfråga and kontrollmål, Iakttagelser och bedömningar per kontrollmål with the
verdict phrased one of the genre's ways (uppfyllt / delvis / ej uppfyllt, "i allt väsentligt", "till viss del",
a graded sentence, a Ja/Nej/Delvis table), Rekommendationer, and appendix tables. Municipalities are Sweden's
290 (ingest/language/data/kommuner.txt); topics, firms, people and figures are invented, and every sentence is a
template written for this module (none is taken from any real report). The output folder holds one .txt per report
and a manifest.toml with their metadata; it belongs under a temporary folder or .auditqa/, never in git.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest.findings.model import Verdict
from ingest.language.lexicon import swedish_municipalities

MONTHS = ("januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september", "oktober", "november", "december")
FIRMS = ("Revisionsbyrån Norrsken AB", "Kommunrevision Väst", "Granskningshuset i Sverige AB", "Offentlig Revision Mitt AB", "Ljung & Partners Revision")
FIRST_NAMES = ("Anna", "Erik", "Maria", "Lars", "Karin", "Johan", "Eva", "Mikael", "Sara", "Per", "Lena", "Ola", "Elin", "Henrik", "Sofia")
LAST_NAMES = ("Berglund", "Holm", "Lindqvist", "Sjöberg", "Ek", "Nyström", "Forsberg", "Wikström", "Dahl", "Åberg", "Hedlund", "Strand")
ROLES = ("Certifierad kommunal revisor", "Uppdragsledare", "Projektledare", "Verksamhetsrevisor")


@dataclass(frozen=True)
class Topic:
    slug: str
    title: str
    board: str  # the nämnd or styrelse audited, in the definite form
    area: str  # what the audit is about, as it follows "arbetet med"
    goals: tuple[str, ...]  # kontrollmål, as questions
    observations: tuple[str, ...]
    recommendations: tuple[str, ...]
    measures: tuple[str, ...]  # key figures of the appendix table


TOPICS = (
    Topic(
        "intern-kontroll", "Granskning av intern kontroll", "kommunstyrelsen", "den interna kontrollen",
        ("Finns ett aktuellt reglemente för intern kontroll?", "Upprättar nämnderna årligen en plan för intern kontroll?",
         "Bygger planerna på en dokumenterad riskanalys?", "Följs planerna upp och rapporteras resultatet till kommunstyrelsen?",
         "Vidtas åtgärder när brister upptäcks?"),
        ("Reglementet antogs av fullmäktige för {ago} år sedan och har inte reviderats sedan dess.",
         "{k} av nämnderna har upprättat en plan för året.", "Riskanalyserna är i flera fall inte dokumenterade.",
         "Uppföljningen redovisas i samband med årsbokslutet.", "Vid intervjuerna framkom att rutinerna är kända bland cheferna."),
        ("säkerställa att samtliga nämnder upprättar en plan för intern kontroll", "dokumentera riskanalyserna som ligger till grund för planerna",
         "revidera reglementet för intern kontroll", "följa upp att åtgärder vidtas när brister upptäcks"),
        ("Antal kontrollmoment", "Genomförda kontroller", "Rapporterade avvikelser"),
    ),
    Topic(
        "upphandling", "Granskning av upphandling och avtalstrohet", "kommunstyrelsen", "upphandling",
        ("Finns en aktuell upphandlingspolicy?", "Genomförs direktupphandlingar enligt lagen om offentlig upphandling?",
         "Dokumenteras direktupphandlingar över beloppsgränsen?", "Följs avtalstroheten upp?"),
        ("Upphandlingspolicyn antogs {year0} och beskriver ansvar och beloppsgränser.",
         "I stickprovet om {n} fakturor saknades avtal för {k} inköp.", "Upphandlingsenheten har {k} medarbetare.",
         "Det saknas ett samlat system för avtalsuppföljning.", "Direktupphandlingar dokumenteras i de flesta fall i ekonomisystemet."),
        ("införa en systematisk uppföljning av avtalstroheten", "säkerställa att direktupphandlingar dokumenteras",
         "utbilda beställare i upphandlingsregler", "se över beloppsgränserna i policyn"),
        ("Inköp utan avtal (tkr)", "Antal direktupphandlingar", "Antal ramavtal"),
    ),
    Topic(
        "hemtjanst", "Granskning av hemtjänstens kvalitet och styrning", "socialnämnden", "hemtjänsten",
        ("Finns mål för hemtjänstens kvalitet?", "Följs biståndsbesluten upp?", "Är bemanningen anpassad till behoven?",
         "Rapporteras avvikelser och hanteras de systematiskt?"),
        ("Hemtjänsten hade {n} brukare vid granskningstillfället.", "Kontinuiteten mättes till i genomsnitt {k} personal på fjorton dagar.",
         "Avvikelser rapporteras i ett digitalt system sedan {year0}.", "Uppföljningen av besluten sker enligt handläggarna när tid finns.",
         "Sjukfrånvaron bland personalen var {k} procent under året."),
        ("fastställa mätbara mål för hemtjänstens kvalitet", "säkerställa att biståndsbesluten följs upp minst en gång per år",
         "analysera avvikelserna och återföra lärdomar till verksamheten", "se över planeringen för att öka kontinuiteten"),
        ("Antal brukare", "Beviljade timmar per månad", "Sjukfrånvaro (%)"),
    ),
    Topic(
        "investeringar", "Granskning av styrning och uppföljning av investeringar", "tekniska nämnden", "investeringsprojekten",
        ("Finns riktlinjer för beslut om investeringar?", "Görs förstudier och kalkyler innan projekten beslutas?",
         "Följs projektens kostnader upp löpande?", "Rapporteras avvikelser till kommunstyrelsen?"),
        ("Investeringsbudgeten uppgick till {n} miljoner kronor.", "Utfallet motsvarade {k} procent av budgeten.",
         "Riktlinjerna för investeringar antogs {year0}.", "Slutredovisningar har lämnats för ett fåtal projekt.",
         "Projektledarna rapporterar månadsvis till förvaltningsledningen."),
        ("ta fram förstudier inför beslut om större investeringar", "slutredovisa samtliga avslutade projekt",
         "förbättra budgetprecisionen i investeringsplanen", "rapportera avvikelser till kommunstyrelsen i delårsrapporten"),
        ("Budget (mnkr)", "Utfall (mnkr)", "Antal projekt"),
    ),
    Topic(
        "elevhalsa", "Granskning av elevhälsan", "barn- och utbildningsnämnden", "elevhälsan",
        ("Har nämnden säkerställt att elevhälsan har tillgång till de kompetenser skollagen kräver?",
         "Arbetar elevhälsan främst förebyggande och hälsofrämjande?", "Följs elevhälsans arbete upp?",
         "Finns rutiner för samverkan med hälso- och sjukvården?"),
        ("Skolorna har tillgång till skolsköterska och kurator, men skolpsykolog finns endast på {k} skolor.",
         "Elevhälsoplanen antogs {year0}.", "Antalet elever per skolsköterska var {n}.",
         "Rektorerna beskriver att arbetet till stor del är åtgärdande.", "Samverkan med regionen sker genom ett avtal."),
        ("säkerställa tillgång till skolpsykolog på samtliga skolor", "utveckla det förebyggande arbetet",
         "följa upp elevhälsans arbete systematiskt", "tydliggöra ansvaret för samverkan med regionen"),
        ("Elever per skolsköterska", "Elever per kurator", "Antal skolor"),
    ),
    Topic(
        "bisysslor", "Granskning av hantering av bisysslor", "personalutskottet", "bisysslor",
        ("Finns riktlinjer för bisysslor?", "Informeras medarbetarna om reglerna?", "Prövas anmälda bisysslor och dokumenteras besluten?",
         "Följs efterlevnaden upp?"),
        ("Riktlinjerna antogs {year0}.", "Av {n} svarande kände {k} procent till riktlinjerna.",
         "Anmälda bisysslor registreras i personalsystemet.", "Någon uppföljning av riktlinjerna har inte gjorts.",
         "Frågan tas upp vid medarbetarsamtalen enligt cheferna."),
        ("informera medarbetarna om riktlinjerna årligen", "dokumentera prövningen av anmälda bisysslor",
         "följa upp efterlevnaden av riktlinjerna", "komplettera riktlinjerna med stöd för chefernas bedömning"),
        ("Anmälda bisysslor", "Avslagna ansökningar", "Antal medarbetare"),
    ),
    Topic(
        "krisberedskap", "Granskning av krisberedskap", "kommunstyrelsen", "krisberedskapen",
        ("Finns en aktuell risk- och sårbarhetsanalys?", "Finns en plan för hantering av extraordinära händelser?",
         "Övar krisledningen regelbundet?", "Utbildas förtroendevalda och tjänstepersoner i krisberedskap?"),
        ("Risk- och sårbarhetsanalysen antogs {year0}.", "Krisledningsnämnden har övat {k} gånger under mandatperioden.",
         "Planen för extraordinära händelser beskriver ledning och kommunikation.", "Utbildning erbjuds nya chefer.",
         "Kommunen har {n} reservkraftverk för samhällsviktig verksamhet."),
        ("genomföra övningar för krisledningen minst en gång per år", "uppdatera risk- och sårbarhetsanalysen",
         "utbilda förtroendevalda i krisledningsnämnden", "säkerställa reservkraft för samhällsviktig verksamhet"),
        ("Genomförda övningar", "Utbildade chefer", "Reservkraftverk"),
    ),
    Topic(
        "bygglov", "Granskning av handläggning av bygglov", "miljö- och byggnämnden", "bygglovshandläggningen",
        ("Handläggs bygglov inom lagstadgad tid?", "Finns rutiner för handläggningen?", "Tas avgifter ut enligt taxan?",
         "Följer nämnden upp handläggningstiderna?"),
        ("Nämnden fattade {n} beslut om bygglov under året.", "Den genomsnittliga handläggningstiden var {k} veckor.",
         "Rutinerna finns samlade i en handbok från {year0}.", "Avgifterna reducerades i några ärenden där tidsfristen överskreds.",
         "Handläggningstiderna redovisas i nämndens årsberättelse."),
        ("följa upp handläggningstiderna månadsvis", "uppdatera handboken för handläggningen",
         "säkerställa att avgifter reduceras när tidsfristen överskrids", "se över bemanningen på bygglovsenheten"),
        ("Beslut om bygglov", "Handläggningstid (veckor)", "Reducerade avgifter"),
    ),
)

# A verdict per kontrollmål, in the three steps of the findings model; the phrasing varies with the style.
VERDICT_WEIGHTS = (("uppfyllt", 3), ("delvis uppfyllt", 4), ("ej uppfyllt", 2))
# How the Bedömning section states a kontrollmål's verdict, per verdict: sentences of the genre, ours in wording.
STATEMENTS: dict[str, tuple[str, ...]] = {
    "uppfyllt": ("Vi bedömer att kontrollmålet är uppfyllt.", "Kontrollmålet bedöms vara uppfyllt.",
                 "Vår bedömning är att kontrollmålet i allt väsentligt är uppfyllt.", "Sammantaget bedömer vi att kontrollmålet är uppfyllt."),
    "delvis uppfyllt": ("Vi bedömer att kontrollmålet är delvis uppfyllt.", "Kontrollmålet bedöms som delvis uppfyllt.",
                        "Kontrollmålet uppfylls endast till viss del.", "Vi bedömer att kontrollmålet till viss del är uppfyllt."),
    "ej uppfyllt": ("Vi bedömer att kontrollmålet inte är uppfyllt.", "Kontrollmålet bedöms som ej uppfyllt.",
                    "Vår bedömning är att kontrollmålet inte är uppfyllt."),
}
TABLE_CELLS = {
    "verdicts": {"uppfyllt": "Uppfyllt", "delvis uppfyllt": "Delvis uppfyllt", "ej uppfyllt": "Ej uppfyllt"},
    "answers": {"uppfyllt": "Ja", "delvis uppfyllt": "Delvis", "ej uppfyllt": "Nej"},
}
OVERALL = {
    "uppfyllt": "i allt väsentligt", "delvis uppfyllt": "till viss del", "ej uppfyllt": "inte",
}
# Sentences any topic's background and observations may use; {board}, {area}, {town} and the figures are filled in.
GENERAL = (
    "Enligt kommunallagen ska nämnderna se till att verksamheten bedrivs i enlighet med de mål och riktlinjer som fullmäktige har bestämt.",
    "Nämnderna ska också se till att den interna kontrollen är tillräcklig och att verksamheten bedrivs på ett ändamålsenligt sätt.",
    "Vid intervjuerna beskrev företrädare för {board} att arbetet med {area} har prioriterats under de senaste åren.",
    "Av protokollen framgår att {board} har behandlat frågan vid {k} sammanträden under året.",
    "Förvaltningen har tagit fram en handlingsplan som ska ligga till grund för arbetet med {area}.",
    "Handlingsplanen innehåller aktiviteter, ansvariga och tidsplan men saknar uppgifter om kostnader.",
    "I verksamhetsplanen för {year} finns {k} mål som berör {area}.",
    "Måluppfyllelsen redovisas i delårsrapporten och i årsredovisningen.",
    "Det finns ingen samlad bild av hur arbetet med {area} fungerar i {town}.",
    "Enligt de intervjuade har samverkan mellan förvaltningarna förbättrats sedan {year0}.",
    "Ansvaret för {area} är fördelat mellan förvaltningsledningen och enhetscheferna.",
    "Delegationsordningen reviderades senast {year0} och anger vem som får fatta beslut i ärendena.",
    "Stickprov har tagits på {k} ärenden från det senaste året.",
    "Av stickproven framgår att dokumentationen varierar mellan enheterna.",
    "Förvaltningen uppger att bristen på personal har påverkat arbetet under året.",
    "Kostnaderna för verksamheten uppgick till {n} miljoner kronor under {year}.",
    "Någon utvärdering av arbetet har inte genomförts sedan {year0}.",
    "Rutinerna finns beskrivna i ledningssystemet och är tillgängliga för samtliga medarbetare.",
    "Uppföljningen till {board} sker genom muntliga dragningar och skriftliga rapporter.",
    "Det saknas en tydlig koppling mellan budget och verksamhetens mål inom området.",
)
REASONS = {
    "uppfyllt": "Arbetet bedrivs i enlighet med fattade beslut och följs upp.",
    "delvis uppfyllt": "Det finns en grund för arbetet, men dokumentationen och uppföljningen behöver utvecklas.",
    "ej uppfyllt": "Det saknas både beslut och uppföljning inom området.",
}


@dataclass(frozen=True)
class GeneratedReport:
    document_id: str
    text: str
    municipality: str
    year: int
    date: str
    title: str
    firm: str
    auditors: tuple[str, ...]
    goals: tuple[str, ...]
    verdicts: tuple[Verdict, ...]  # per kontrollmål, what the report states

    def manifest_entry(self) -> str:
        values = {"document_id": self.document_id, "municipality": self.municipality, "year": self.year, "date": self.date,
                  "title": self.title, "auditor": ", ".join(self.auditors), "firm": self.firm}
        # JSON strings are valid TOML basic strings.
        return "[[document]]\n" + "".join(f"{k} = {json.dumps(v, ensure_ascii=False)}\n" for k, v in values.items())


def slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def generate(count: int, seed: int = 15) -> list[GeneratedReport]:
    """`count` reports, the same for the same seed; report i of a larger count is report i of a smaller one."""
    municipalities = swedish_municipalities()
    return [_report(random.Random(f"{seed}:{index}"), index, municipalities) for index in range(count)]


def write_corpus(folder: Path, count: int, seed: int = 15) -> list[GeneratedReport]:
    """Write the reports and their manifest.toml into `folder` (created); files already there with the same text are
    left untouched, so that a re-ingest of an unchanged corpus finds nothing to do."""
    folder.mkdir(parents=True, exist_ok=True)
    reports = generate(count, seed)
    for report in reports:
        path = folder / f"{report.document_id}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != report.text:
            path.write_text(report.text, encoding="utf-8")
    manifest = "# Generated by evals/corpus_generator.py; not real reports.\n\n" + "\n".join(r.manifest_entry() for r in reports)
    manifest_path = folder / "manifest.toml"
    if not manifest_path.exists() or manifest_path.read_text(encoding="utf-8") != manifest:
        manifest_path.write_text(manifest, encoding="utf-8")
    return reports


def _report(rng: random.Random, index: int, municipalities: tuple[str, ...]) -> GeneratedReport:
    municipality = rng.choice(municipalities)
    topic = rng.choice(TOPICS)
    year = rng.randint(2008, 2023)
    month = rng.randrange(len(MONTHS))
    day = rng.randint(1, 28)
    firm = rng.choice(FIRMS)
    auditors = tuple(f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}" for _ in range(rng.randint(1, 2)))
    goals = tuple(rng.sample(topic.goals, rng.randint(3, len(topic.goals))))
    names, weights = zip(*VERDICT_WEIGHTS)
    verdicts: tuple[Verdict, ...] = tuple(rng.choices(names, weights)[0] for _ in goals)
    overall = verdicts[0] if len(set(verdicts)) == 1 else "delvis uppfyllt"
    town = f"{municipality} kommun"
    fill = {"n": rng.randint(20, 900), "k": rng.randint(2, 40), "ago": rng.randint(3, 12), "year0": year - rng.randint(1, 8),
            "year": year, "board": topic.board, "area": topic.area, "town": town}
    question = f"Har {topic.board} säkerställt en ändamålsenlig styrning och uppföljning av {topic.area}?"
    table_style = rng.choice(("verdicts", "answers", None))

    lines = ["Revisionsrapport", "", topic.title, "", town, ""]
    for name in auditors:
        lines += [name, rng.choice(ROLES), ""]
    lines += [firm, "", f"{MONTHS[month].capitalize()} {year}", ""]
    lines += ["Innehåll", "", "Sammanfattning\t2", "1. Inledning\t3", "2. Iakttagelser och bedömningar\t4",
              "3. Rekommendationer\t8", "Bilaga 1. Nyckeltal\t9", "Bilaga 2. Granskade dokument\t10", ""]
    lines += [
        "Sammanfattning", "",
        f"{firm} har på uppdrag av de förtroendevalda revisorerna i {town} granskat {topic.area}. "
        f"Granskningen har genomförts under {MONTHS[month]} {year}.", "",
        f"Vår samlade bedömning är att {topic.board} {OVERALL[overall]} har säkerställt en ändamålsenlig styrning och "
        f"uppföljning av {topic.area}. {REASONS[overall]}", "",
    ]
    lines += [
        "1. Inledning", "", "1.1. Bakgrund", "",
        f"Revisorerna har i sin riskanalys för {year} bedömt att det finns risker i {topic.area}. "
        f"{_general(rng, fill, 3, 5)}", "",
        "1.2. Syfte och revisionsfråga", "",
        f"Syftet med granskningen är att bedöma om {topic.board} har en tillräcklig styrning av {topic.area}. "
        "Granskningen ska besvara följande revisionsfråga:", "", question, "",
        "1.3. Kontrollmål", "", "Följande kontrollmål har använts för att besvara revisionsfrågan:", "",
        *[f"- {goal}" for goal in goals], "",
        "1.4. Metod och avgränsning", "",
        f"Granskningen har genomförts genom dokumentstudier och intervjuer med företrädare för {topic.board}. "
        f"Granskningen avser verksamhetsåret {year}.", "",
        "2. Iakttagelser och bedömningar", "",
    ]
    for number, (goal, verdict) in enumerate(zip(goals, verdicts), start=1):
        lines += [
            f"2.{number}. {goal}", "", f"2.{number}.1. Iakttagelser", "",
            " ".join(o.format(**fill) for o in rng.sample(topic.observations, rng.randint(2, 3))), "",
            _general(rng, fill, 3, 6), "",
            f"2.{number}.2. Bedömning", "",
            f"{rng.choice(STATEMENTS[verdict])} {REASONS[verdict]}", "", _general(rng, fill, 1, 3), "",
        ]
    if table_style:
        lines += [f"2.{len(goals) + 1}. Bedömning per kontrollmål", "", "Kontrollmål\tBedömning\tKommentar"]
        lines += [f"{goal}\t{TABLE_CELLS[table_style][verdict]}\t{REASONS[verdict]}" for goal, verdict in zip(goals, verdicts)]
        lines.append("")
    recommendations = rng.sample(topic.recommendations, rng.randint(2, len(topic.recommendations)))
    lines += ["3. Rekommendationer", "", f"Utifrån granskningen rekommenderar vi att {topic.board}:", ""]
    lines += [f"- {r}" for r in recommendations]
    lines += ["", f"{municipality} den {day} {MONTHS[month]} {year}", "", *auditors, "", firm, ""]
    lines += ["Bilaga 1. Nyckeltal", "", f"Nyckeltal\t{year - 2}\t{year - 1}\t{year}"]
    for measure in topic.measures:
        lines.append(f"{measure}\t" + "\t".join(str(rng.randint(5, 1500)) for _ in range(3)))
    lines += ["", "Bilaga 2. Granskade dokument", ""]
    lines += [f"- {document}" for document in (
        f"Reglemente för {topic.board}", f"Verksamhetsplan {year}", f"Årsredovisning {year - 1}", f"Protokoll från {topic.board} {year}",
    )]
    document_id = f"gen{index:05d}-{slug(municipality)}-{year}-{topic.slug}"
    return GeneratedReport(
        document_id, "\n".join(lines) + "\n", municipality, year, f"{year}-{month + 1:02d}-{day:02d}",
        topic.title, firm, auditors, goals, verdicts,
    )


def _general(rng: random.Random, fill: dict, low: int, high: int) -> str:
    return " ".join(sentence.format(**fill) for sentence in rng.sample(GENERAL, rng.randint(low, high)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.corpus_generator", description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder to write the reports and manifest.toml into")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args(argv)
    reports = write_corpus(args.out, args.count, args.seed)
    print(f"{len(reports)} reports in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
