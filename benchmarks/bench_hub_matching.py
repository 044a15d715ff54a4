"""Benchmark: partner matching in the knowledge hub over 100,000 generated organisations.

Each organisation gets offers, needs, a description and tags in Danish, Swedish or English,
drawn from a shared list of fields (fermentation, enzymes, biogas, water treatment...) in
the three languages, with compounds and endings as the languages write them. The park is
not loaded from files (that is the register's benchmark): the actors table is built in
memory. Timed: building the index of every retrieval method (offers and needs), and
``partners_for`` per query once the index exists (its need text, past projects and kinds,
with the explanation of each of the 10 partners).

    .venv/bin/python benchmarks/bench_hub_matching.py              # 100,000, every method
    .venv/bin/python benchmarks/bench_hub_matching.py --size 20000 --method char
"""

from __future__ import annotations

import argparse
import gc
import resource
import time

import numpy as np
import pandas as pd

from symbionet.hub.matching import hub_index, partners_for
from symbionet.hub.text import METHODS
from symbionet.register.catalogue import default_catalogue
from symbionet.register.park import Park

# Each field in English, Danish and Swedish: (words of an offer, words of a need).
FIELDS = {
    "fermentation": (
        "fermentation fermenter bioreactor pilot scale-up strains yeast",
        "fermentering fermenteringsanlæg bioreaktor pilotanlæg opskalering stammer gær",
        "fermentering fermenteringsanläggning bioreaktor pilotanläggning uppskalning gäst",
    ),
    "enzymes": (
        "enzymes enzyme engineering protein expression detergents catalysis",
        "enzymer enzymudvikling proteinudtryk vaskemidler katalyse",
        "enzymer enzymteknik proteinuttryck tvättmedel katalys",
    ),
    "biogas": (
        "biogas digestion manure biomethane upgrading residues",
        "biogas biogasanlæg gylle biometan opgradering restprodukter",
        "biogas biogasanläggning gödsel biometan uppgradering restprodukter",
    ),
    "water": (
        "water treatment wastewater membranes reuse purification",
        "vandbehandling spildevand membraner genbrug rensning",
        "vattenrening avloppsvatten membran återanvändning rening",
    ),
    "heat": (
        "heat pumps district heating surplus heat recovery steam",
        "varmepumper fjernvarme overskudsvarme varmegenvinding damp",
        "värmepumpar fjärrvärme överskottsvärme värmeåtervinning ånga",
    ),
    "protein": (
        "protein feed ingredients gas fermentation single cell protein",
        "protein foder ingredienser gasfermentering encelleprotein",
        "protein foder ingredienser gasfermentering encellsprotein",
    ),
    "data": (
        "data analytics machine learning process control sensors digital twin",
        "dataanalyse maskinlæring processtyring sensorer digital tvilling",
        "dataanalys maskininlärning processtyrning sensorer digital tvilling",
    ),
    "downstream": (
        "downstream processing purification filtration drying formulation",
        "oprensning filtrering tørring formulering downstream",
        "upprening filtrering torkning formulering nedströms",
    ),
    "plastics": (
        "bioplastics polymers recycling packaging biobased materials",
        "bioplast polymerer genanvendelse emballage biobaserede materialer",
        "bioplast polymerer återvinning förpackningar biobaserade material",
    ),
    "training": (
        "training education process operators laboratory technicians courses",
        "uddannelse efteruddannelse procesoperatører laboranter kurser",
        "utbildning vidareutbildning processoperatörer laboratorietekniker kurser",
    ),
    "hydrogen": (
        "hydrogen electrolysis power-to-x methanol ammonia",
        "brint elektrolyse power-to-x metanol ammoniak",
        "vätgas elektrolys power-to-x metanol ammoniak",
    ),
    "food": (
        "food ingredients dairy side streams starch sugar",
        "fødevareingredienser mejeri sidestrømme stivelse sukker",
        "livsmedelsingredienser mejeri sidoströmmar stärkelse socker",
    ),
}
GLUE = {
    "en": "we offer expertise in and services for with experience from projects on",
    "da": "vi tilbyder ekspertise inden for og ydelser til med erfaring fra projekter om",
    "sv": "vi erbjuder expertis inom och tjänster för med erfarenhet från projekt om",
}
LANGS = ("en", "da", "sv")
KINDS = (
    "company",
    "startup",
    "knowledge_institution",
    "gts_institute",
    "utility",
    "municipality",
    "education",
    "funder",
)


def generate(size: int, seed: int = 1) -> Park:
    """A park of ``size`` organisations with multilingual offers, needs and tags."""
    rng = np.random.default_rng(seed)
    fields = list(FIELDS)
    vocab = {(f, lang): FIELDS[f][i].split() for f in fields for i, lang in enumerate(LANGS)}
    glue = {lang: np.array(GLUE[lang].split()) for lang in LANGS}
    pools: dict[tuple[int, ...], np.ndarray] = {}

    def text(chosen: tuple[int, ...], n: int, lang: int) -> str:
        key = (*chosen, lang)
        if key not in pools:
            pools[key] = np.array([w for f in chosen for w in vocab[(fields[f], LANGS[lang])]])
        pool = pools[key]
        picked = pool[rng.integers(len(pool), size=n)]
        fill = glue[LANGS[lang]][rng.integers(len(glue[LANGS[lang]]), size=n // 2)]
        return " ".join([*picked, *fill])

    lang_of = rng.choice(3, size=size, p=[0.4, 0.4, 0.2])
    mine = rng.integers(len(fields), size=(size, 2))
    wanted = rng.integers(len(fields), size=(size, 2))
    offers = [text(tuple(mine[i]), 10, lang_of[i]) for i in range(size)]
    needs = [text(tuple(wanted[i]), 6, lang_of[i]) for i in range(size)]
    descriptions = [text((mine[i, 0],), 6, lang_of[i]) for i in range(size)]
    tags = [
        ";".join(dict.fromkeys(pools[(mine[i, 0], lang_of[i])][rng.integers(5, size=3)]))
        for i in range(size)
    ]
    ids = [f"org{i:06d}" for i in range(size)]
    actors = pd.DataFrame(
        {
            "name": [f"Organisation {i}" for i in range(size)],
            "kind": rng.choice(KINDS, size=size).tolist(),
            "nace": rng.choice(["20.59", "21.20", "35.11", "72.11", "85.42"], size=size).tolist(),
            "description": descriptions,
            "country": rng.choice(["DK", "SE", "DE"], size=size).tolist(),
            "language": [LANGS[k] for k in lang_of],
            "offers": offers,
            "needs": needs,
            "tags": tags,
            "skills_needed": [""] * size,
        },
        index=pd.Index(ids, name="id"),
    )
    members = rng.choice(size, size=(size // 20, 4))
    links = pd.DataFrame(
        {
            "project": [f"p{j}" for j in range(len(members)) for _ in range(4)],
            "organisation": [ids[k] for row in members for k in row],
        },
        index=pd.Index([f"pp{j}" for j in range(members.size)], name="id"),
    )
    projects = pd.DataFrame(
        {"lead": [ids[row[0]] for row in members], "topic": [""] * len(members)},
        index=pd.Index([f"p{j}" for j in range(len(members))], name="id"),
    )
    frames = {"actors": actors, "projects": projects, "project_partners": links}
    return Park({"name": "Synthetic hub"}, frames, default_catalogue())


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--method", choices=METHODS, action="append")
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    started = time.perf_counter()
    park = generate(args.size)
    print(f"generated {args.size:,} organisations in {time.perf_counter() - started:.1f} s")
    rng = np.random.default_rng(7)
    asking = [str(park.actors.index[k]) for k in rng.choice(args.size, size=args.queries)]
    print(
        f"{'method':8} {'index s':>8} {'query s (mean)':>15} {'query s (max)':>14} {'peak MB':>8}"
    )
    for method in args.method or list(METHODS):
        gc.collect()
        started = time.perf_counter()
        hub_index(park, method)
        indexing = time.perf_counter() - started
        times = []
        for organisation in asking:
            started = time.perf_counter()
            found = partners_for(park, organisation, method=method)
            times.append(time.perf_counter() - started)
            assert len(found) == 10 and organisation not in set(found["organisation"])
        print(
            f"{method:8} {indexing:8.1f} {np.mean(times):15.3f} {np.max(times):14.3f}"
            f" {peak_mb():8.0f}",
            flush=True,
        )
    example = partners_for(park, asking[0], limit=3)
    print("\nexample: need of", asking[0], "-", park.actors.at[asking[0], "needs"])
    print(example[["organisation", "score", "matched"]].to_string(index=False))


if __name__ == "__main__":
    main()
