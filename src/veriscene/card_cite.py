"""The dataset card's Citation section: BibTeX for veriscene, which made the data, and for the
annotation sets the scene graphs were converted from (`meta.source_format`, the sources whose
licences `card_data.SOURCE_LICENCES` names).

Each source entry is the paper its publishers ask users to cite. GQA's scene graphs are built on
Visual Genome's images and annotations, so a GQA source cites both. A source with no entry here
(medical label maps, DICOM) is named, with a request to cite the data set it came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from veriscene.card import CardFacts

VISUAL_GENOME = """@article{krishna2017visualgenome,
  title   = {Visual Genome: Connecting Language and Vision Using Crowdsourced Dense Image Annotations},
  author  = {Krishna, Ranjay and Zhu, Yuke and Groth, Oliver and Johnson, Justin and Hata, Kenji and
             Kravitz, Joshua and Chen, Stephanie and Kalantidis, Yannis and Li, Li-Jia and
             Shamma, David A. and Bernstein, Michael S. and Fei-Fei, Li},
  journal = {International Journal of Computer Vision},
  volume  = {123},
  number  = {1},
  pages   = {32--73},
  year    = {2017}
}"""

GQA = """@inproceedings{hudson2019gqa,
  title     = {{GQA}: A New Dataset for Real-World Visual Reasoning and Compositional Question Answering},
  author    = {Hudson, Drew A. and Manning, Christopher D.},
  booktitle = {Proceedings of the IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)},
  pages     = {6700--6709},
  year      = {2019}
}"""

COCO = """@inproceedings{lin2014coco,
  title     = {Microsoft {COCO}: Common Objects in Context},
  author    = {Lin, Tsung-Yi and Maire, Michael and Belongie, Serge and Hays, James and Perona, Pietro and
               Ramanan, Deva and Doll{\\'a}r, Piotr and Zitnick, C. Lawrence},
  booktitle = {European Conference on Computer Vision (ECCV)},
  pages     = {740--755},
  year      = {2014}
}"""

CLEVR = """@inproceedings{johnson2017clevr,
  title     = {{CLEVR}: A Diagnostic Dataset for Compositional Language and Elementary Visual Reasoning},
  author    = {Johnson, Justin and Hariharan, Bharath and van der Maaten, Laurens and Fei-Fei, Li and
               Zitnick, C. Lawrence and Girshick, Ross},
  booktitle = {Proceedings of the IEEE Conference on Computer Vision and Pattern Recognition (CVPR)},
  pages     = {2901--2910},
  year      = {2017}
}"""

OPEN_IMAGES = """@article{kuznetsova2020openimages,
  title   = {The Open Images Dataset {V4}: Unified Image Classification, Object Detection, and Visual
             Relationship Detection at Scale},
  author  = {Kuznetsova, Alina and Rom, Hassan and Alldrin, Neil and Uijlings, Jasper and Krasin, Ivan and
             Pont-Tuset, Jordi and Kamali, Shahab and Popov, Stefan and Malloci, Matteo and
             Kolesnikov, Alexander and Duerig, Tom and Ferrari, Vittorio},
  journal = {International Journal of Computer Vision},
  volume  = {128},
  number  = {7},
  pages   = {1956--1981},
  year    = {2020}
}"""

# source format (`meta.source_format`) -> (name, the BibTeX entries to cite), as card_data.SOURCE_LICENCES
SOURCE_CITATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "visual_genome": ("Visual Genome", (VISUAL_GENOME,)),
    "gqa": ("GQA (built on Visual Genome)", (GQA, VISUAL_GENOME)),
    "coco": ("COCO", (COCO,)),
    "clevr": ("CLEVR", (CLEVR,)),
    "open_images": ("Open Images", (OPEN_IMAGES,)),
}


# the first release of each year, (year, (major, minor)), oldest first: a release in a new year adds
# its line (all releases to date, 0.1.0 to 0.15.0, came out in 2026)
FIRST_RELEASE_OF_YEAR: tuple[tuple[int, tuple[int, int]], ...] = ((2026, (0, 1)),)


def _major_minor(version: str) -> tuple[int, int] | None:
    parts = version.split(".")
    if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    return int(parts[0]), int(parts[1])


def release_year(version: str) -> int | None:
    """The year the release `version` came out, up to the installed one (`veriscene.__version__`);
    None for a version not read as MAJOR.MINOR, before the first release or after the installed one
    (its year is not known here)."""
    from veriscene import __version__

    release, installed = _major_minor(version), _major_minor(__version__)
    if release is None or installed is None or release > installed:
        return None
    years = [year for year, first in FIRST_RELEASE_OF_YEAR if first <= release]
    return years[-1] if years else None


def veriscene_bibtex(version: str | None) -> str:
    """veriscene's entry, with the release that made the data and its year (None: not recorded;
    the year is left out for a release it is not known of, see `release_year`)."""
    year = release_year(version) if version else None
    release = f"\n  version = {{{version}}}," if version else ""
    release += f"\n  year    = {{{year}}}," if year is not None else ""
    return ("@software{veriscene,\n"
            "  title   = {veriscene: verifiable vision-language data from scene graphs},\n"
            "  author  = {{veriscene developers}},"
            f"{release}\n"
            "  note    = {Questions generated from scene graphs, each with the program that computes its answer}\n"
            "}")


def _release(facts: CardFacts) -> str | None:
    if facts.manifest is None:
        return None
    version = facts.manifest["config"].get("veriscene_version")
    return str(version) if version else None


def sources(every: Iterable[CardFacts]) -> list[str]:
    """The source formats the scene graphs of all `every` were converted from, sorted."""
    found: set[str] = set()
    for facts in every:
        if facts.scenes is not None:
            found.update(facts.scenes.sources)
    return sorted(found)


def citation_section(facts: CardFacts, splits: Mapping[str, CardFacts] | None = None) -> str:
    """The card's "Citation" section: veriscene, then each source the scene graphs came from."""
    formats = sources([facts, *(splits or {}).values()])
    text = ("## Citation\n\nThe data was generated with veriscene; if you use it, cite veriscene:\n\n"
            f"```bibtex\n{veriscene_bibtex(_release(facts))}\n```")
    known = [f for f in formats if f in SOURCE_CITATIONS]
    if known:
        entries: list[str] = []
        for fmt in known:
            entries += [e for e in SOURCE_CITATIONS[fmt][1] if e not in entries]
        names = ", ".join(SOURCE_CITATIONS[f][0] for f in known)
        text += (f"\n\nThe scene graphs were converted from {names} annotations: cite "
                 f"{'it' if len(entries) == 1 else 'them'} too:\n\n```bibtex\n" + "\n\n".join(entries) + "\n```")
    unknown = [f for f in formats if f not in SOURCE_CITATIONS]
    if unknown:
        text += (f"\n\nScene graphs were also converted from {', '.join(f'`{f}`' for f in unknown)} annotations: "
                 "cite the data set they came from as its publishers ask.")
    return text
