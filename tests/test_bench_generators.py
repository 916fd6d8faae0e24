"""The generators table of notebook 10 (gan_helpers.bench.generators): its record loads, fails
clearly when missing or corrupt, prints every row, and matches the shipped files it describes."""
import json

import pytest

from gan_helpers.bench import generators as bg


def test_the_committed_table_loads_and_prints_every_row():
    table = bg.load_table()
    names = [r["name"] for r in table["rows"]]
    assert names[0] == "real training digits" and any(n.startswith("04 DCGAN") for n in names)
    assert sum(r["family"] == "diffusion" for r in table["rows"]) == 2
    text = bg.table_text(table)
    assert all(n in text for n in names) and "ms/sample" in text
    assert table["command"].startswith("python tools/generators_table.py")


def test_the_table_records_the_shipped_training_times():
    table = bg.load_table()
    for row in table["rows"]:
        if row["family"] == "GAN":
            assert row["train_min"] > 0 and row["evals"] == 1
            assert (row["CAS"] is not None) == row["name"].startswith("05"), row["name"]
    ddpm = [r for r in table["rows"] if r["family"] == "diffusion"]
    assert {r["evals"] for r in ddpm} == {50, 1000}


def test_load_table_names_the_command_when_missing_or_corrupt(tmp_path):
    with pytest.raises(FileNotFoundError, match="tools/generators_table.py"):
        bg.load_table(tmp_path / "none.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        bg.load_table(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "something else", "rows": [1]}))
    with pytest.raises(ValueError, match="not a generators table"):
        bg.load_table(other)


def test_save_then_load_round_trips(tmp_path):
    table = {"format": bg.TABLE_FORMAT, "n": 20, "rows": [
        {"name": "x", "family": "GAN", "FID": 1.0, "KID": 2.0, "precision": 0.5, "recall": 0.5, "density": 1.0,
         "coverage": 0.9, "CAS": None, "params": 1000, "train_min": 3.0, "threads": 1, "evals": 1,
         "ms_per_sample": 0.01}]}
    assert bg.load_table(bg.save_table(table, tmp_path / "t.json")) == table
    assert "0.010" in bg.table_text(table) and "-" in bg.table_text(table)


def test_measure_refuses_too_few_samples():
    with pytest.raises(ValueError, match="at least 20"):
        bg.measure(n=5)
