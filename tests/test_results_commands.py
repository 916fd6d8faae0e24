"""The method record stays true to the code (issue 35): every ``python -m gan_helpers ...``
command written in the README and docs/results.md, and every repeat command stored in
data/games/results.json, parses with the real command line (``gan_helpers.__main__``), so a
renamed flag cannot leave a stale recipe behind; every table in docs/results.md sits in a
section that names its command and its machine; the README's scores are the ones the
notebooks print."""
import json
import re
import shlex
from pathlib import Path

import pytest

from gan_helpers.__main__ import parse_command
from gan_helpers.recipes import contract, games

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", REPO / "docs" / "results.md"]
RESULTS = REPO / "docs" / "results.md"
MARK = "-m gan_helpers"
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
LESSON_HEADINGS = ["## Lesson 01: BCE loss", "## Lesson 02: a 2-D toy GAN", "## Lesson 03: vanilla GAN on MNIST",
                   "## Lesson 04: DCGAN", "## Lesson 05: conditional GAN",
                   "## Lesson 06: WGAN-GP, spectral norm, averaging",
                   "## Lesson 07: pix2pix",
                   "## Lesson 08: CycleGAN",
                   "## Lesson 09: measuring quality and diversity",
                   "## Lesson 10: a diffusion model beside the GANs"]


def commands_in(text: str) -> list[tuple[int, str]]:
    """(line number, command) for each command line in fenced code blocks and in code spans
    (a span may wrap over lines, as markdown allows)."""
    found = []
    for block in FENCE.finditer(text):
        first = text.count("\n", 0, block.start(1)) + 1
        for i, line in enumerate(block.group(1).splitlines()):
            if MARK in line:
                found.append((first + i, line.strip()))
    blanked = FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)  # keep line numbers
    for span in re.finditer(r"`([^`]+)`", blanked):
        code = " ".join(span.group(1).split())  # a span wrapped over lines is one command
        if MARK in code:
            found.append((blanked.count("\n", 0, span.start()) + 1, code))
    return found


def argv_of(command: str) -> list[str]:
    """What follows ``python -m gan_helpers`` (an env prefix, a venv path, a comment are dropped)."""
    return shlex.split(command.split(MARK, 1)[1], comments=True)


def _check(argv: list[str], where: str) -> None:
    try:
        parse_command(argv)
    except SystemExit as done:
        if done.code == 0 and ("--help" in argv or "-h" in argv):
            return  # `train NAME --help` is a real command: it prints the fields
        pytest.fail(f"{where}: `python -m gan_helpers {shlex.join(argv)}` is not a valid command of the "
                    f"current command line (argparse exit {done.code}); fix the text or the flag")


DOC_COMMANDS = [(f"{doc.relative_to(REPO)}:{line}", cmd) for doc in DOCS for line, cmd in commands_in(doc.read_text())]


def test_the_docs_hold_the_commands_this_test_checks():
    per_doc = {doc.name: sum(1 for where, _ in DOC_COMMANDS if where.split(":")[0].endswith(doc.name)) for doc in DOCS}
    assert per_doc["results.md"] >= 50 and per_doc["README.md"] >= 3, per_doc
    text = RESULTS.read_text()
    assert text.count("gan_helpers train") + text.count("gan_helpers bench") <= sum(
        1 for w, c in DOC_COMMANDS if "results.md" in w and re.search(r"gan_helpers (train|bench)", c)), \
        "a command in docs/results.md escaped the extraction (check how it is quoted)"


@pytest.mark.parametrize("where,command", DOC_COMMANDS, ids=[w for w, _ in DOC_COMMANDS])
def test_every_command_in_the_docs_parses(where, command, capsys):
    _check(argv_of(command), where)


@pytest.mark.parametrize("argv", [
    ["train", "dcgan", "--no-such-flag", "1"],           # a flag the recipe does not have
    ["train", "dcgan", "--steps", "many"],               # a value of the wrong type
    ["train", "fixes", "--steps", "2000"],               # the recipe's old name
    ["train", "games", "--game", "WGAN", "(clip)"],      # an unquoted value with a space
    ["bench", "games", "--seed", "0"],                   # a misspelt option of another command
    ["figures", "--smokey"],
])
def test_the_check_rejects_a_stale_or_broken_command(argv, capsys):
    with pytest.raises(SystemExit) as done:
        parse_command(argv)
    assert done.value.code == 2


def test_a_parsed_command_carries_its_values():
    ns = parse_command(argv_of("python -m gan_helpers train games --steps 2899 --game 'WGAN (clip)' --clip 0.01 --cpu-minutes None"))
    assert (ns.cmd, ns.model) == ("train", "games")
    assert (ns.config.steps, ns.config.game, ns.config.clip, ns.config.cpu_minutes) == (2899, "WGAN (clip)", 0.01, None)
    assert parse_command(["figures", "--smoke", "--only", "toy_ring"]).only == ["toy_ring"]


def test_recorded_commands_quote_values_and_parse_back():
    """What a recipe records (``contract.command_of``) is a command that parses to the same Config."""
    cfg = games.Config(game="WGAN (clip)", wasserstein=True, clip=0.01, n_critic=5, steps=7, cpu_minutes=None)
    ns = parse_command(argv_of(contract.command_of(cfg, "games")))
    assert ns.config == cfg


def _stored_repeats() -> list[tuple[str, str]]:
    results = json.loads((REPO / "data" / "games" / "results.json").read_text())
    rows = [(f"mnist[{i}]", r["repeat"]) for i, r in enumerate(results["mnist"])]
    return rows + [("shipped", results["shipped"]["repeat"])]


@pytest.mark.parametrize("where,command", _stored_repeats(), ids=[w for w, _ in _stored_repeats()])
def test_stored_repeat_commands_parse_and_are_in_the_record(where, command, capsys):
    _check(argv_of(command), f"data/games/results.json {where}")
    assert command in RESULTS.read_text(), f"{where}: `{command}` is missing from docs/results.md's lesson 06 table"


def test_results_md_has_the_lesson_sections_the_notebooks_link_to():
    headings = [line for line in RESULTS.read_text().splitlines() if line.startswith("## ")]
    for h in LESSON_HEADINGS:
        assert h in headings, f"docs/results.md lacks the heading {h!r} (notebooks link to its anchor)"
    assert [h for h in headings if h in LESSON_HEADINGS] == LESSON_HEADINGS, "lesson sections out of order"


def test_every_table_names_its_command_and_machine():
    """Each table of docs/results.md sits in a (sub)section that gives a command and the machine."""
    text = FENCE.sub(lambda m: m.group(0).replace("|", " "), RESULTS.read_text())  # code is not a table
    sections = re.split(r"^#{2,4} .*$", text, flags=re.M)
    heads = re.findall(r"^#{2,4} .*$", text, flags=re.M)
    raw_sections = re.split(r"^#{2,4} .*$", RESULTS.read_text(), flags=re.M)
    for head, body, raw in zip(["(top)", *heads], sections, raw_sections):
        if not re.search(r"^\|---", body, flags=re.M):
            continue
        tools = re.findall(r"`python (tools/[\w]+\.py)[^`]*`", raw)
        for tool in tools:
            assert (REPO / tool).is_file(), f"docs/results.md, section {head!r}: {tool} does not exist"
        has_command = (MARK in raw or "```python" in raw or tools
                       or re.search(r"`(make|jupyter nbconvert) [^`]*`", raw))
        assert has_command, f"docs/results.md, section {head!r}: a table without the command that produced it"
        assert "Machine:" in body, f"docs/results.md, section {head!r}: a table without 'Machine:' (where it ran)"


# The README's scores and where each notebook prints them (its stored full-mode outputs).
PRINTED = {
    "04_dcgan.ipynb": ["19.40", "83.7%", "8.55", "88.6%", "3.84"],
    "05_conditional_gan.ipynb": ["MNIST-FID 7.26", "label accuracy 99.6%", "MNIST-FID 4.76", "label accuracy 99.2%"],
    "06_wgan.ipynb": ["MNIST-FID 111.86", "confident 71.4%"],
    "07_pix2pix.ipynb": ["L1 to the true ab: 0.0729", "mean chroma: 13.2", "real photos 15.1", "overlap 0.86",
                         "L1 only           0.0676", "10.6"],
    "08_cyclegan.ipynb": ["0.908", "0.836", "0.992", "1.000", "photo-FID 46.1", "untranslated horses 247.6",
                          "real zebras 1.8"],
    "10_diffusion.ipynb": ["54.2", "62.0", "50.6", "42.0"],
}


def _outputs(notebook: str) -> str:
    nb = json.loads((REPO / "notebooks" / notebook).read_text())
    texts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            texts.append("".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", "")))
    return "\n".join(texts)


@pytest.mark.parametrize("notebook", sorted(PRINTED))
def test_the_readme_scores_are_the_ones_the_notebooks_print(notebook):
    printed, readme = _outputs(notebook), (REPO / "README.md").read_text()
    for value in PRINTED[notebook]:
        assert value in printed, f"{notebook} no longer prints {value!r}: update the README's table from its output"
        number = re.search(r"[-\d.]+%?$", value).group(0)
        assert number in readme, f"the README lacks {number!r}, printed by {notebook}"


def _slug(heading: str) -> str:
    """GitHub's anchor of a markdown heading."""
    text = heading.lstrip("#").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def test_links_into_results_md_land_on_a_heading():
    """Anchors into docs/results.md from itself, the README and the notebooks name real headings."""
    slugs = {_slug(h) for h in re.findall(r"^#{1,4} .*$", RESULTS.read_text(), flags=re.M)}
    sources = {"docs/results.md": re.findall(r"\]\(#([\w-]+)\)", RESULTS.read_text()),
               "README.md": re.findall(r"docs/results\.md#([\w-]+)", (REPO / "README.md").read_text())}
    for nb in sorted((REPO / "notebooks").glob("*.ipynb")):
        cells = json.loads(nb.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        sources[nb.name] = re.findall(r"results\.md#([\w-]+)", text)
    assert len(sources["docs/results.md"]) >= 10 and sources["README.md"]
    for where, anchors in sources.items():
        for anchor in anchors:
            assert anchor in slugs, f"{where} links to docs/results.md#{anchor}, which is no heading there"
