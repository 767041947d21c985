"""Calibrations belong to a model: written per model, recorded in the manifest, read from it."""

import json
import re
from dataclasses import replace

import pytest

import index.calibration
from bot import Bot, BotSettings
from conftest import FAKE_CALIBRATION
from index import build, load_index
from index.calibration import Calibration, calibration_for, read_calibrations, save_calibration
from index.errors import CalibrationMissingError


@pytest.fixture
def calibrations(tmp_path, monkeypatch):
    path = tmp_path / "calibrations.json"
    monkeypatch.setattr(index.calibration, "CALIBRATIONS", path)
    return path


def test_saving_one_model_keeps_the_others(calibrations):
    other = replace(FAKE_CALIBRATION, bias=1.5, fitted_on="another model")
    save_calibration("other-model", other)
    save_calibration("fake-hashed-words", FAKE_CALIBRATION)
    assert read_calibrations() == {"fake-hashed-words": FAKE_CALIBRATION, "other-model": other}
    assert calibration_for("no-such-model") is None


def test_a_build_records_its_model_s_calibration_and_the_bot_uses_it(
    calibrations, small_corpus, tmp_path, fake_embedder
):
    fitted = replace(FAKE_CALIBRATION, faq_match=0.9)
    save_calibration(fake_embedder.name, fitted)
    manifest = build(small_corpus, tmp_path / "index", embedder=fake_embedder)
    assert manifest.calibration == fitted
    assert load_index(tmp_path / "index").manifest.calibration == fitted
    bot = Bot.load(tmp_path / "index", embedder=fake_embedder)
    assert bot.calibration == fitted and bot.retriever.faq_match == 0.9
    overridden = Bot.load(
        tmp_path / "index",
        embedder=fake_embedder,
        settings=BotSettings(calibration=FAKE_CALIBRATION),
    )
    assert overridden.retriever.faq_match == FAKE_CALIBRATION.faq_match


def test_a_model_without_calibration_is_refused_with_how_to_fit_one(
    calibrations, small_corpus, tmp_path, fake_embedder
):
    manifest = build(small_corpus, tmp_path / "index", embedder=fake_embedder)
    assert manifest.calibration is None
    with pytest.raises(
        CalibrationMissingError,
        match=re.escape("python -m bench.calibrate --model fake-hashed-words"),
    ):
        Bot.load(tmp_path / "index", embedder=fake_embedder)


def test_a_calibration_fitted_on_other_evidence_is_refused(small_corpus, tmp_path, fake_embedder):
    build(small_corpus, tmp_path / "index", embedder=fake_embedder)
    stale = Calibration(("dense", "sentence"), (1.0, 1.0), 0.0, 0.8, 40.0, "older features")
    with pytest.raises(CalibrationMissingError, match="fitted on the evidence"):
        Bot.load(
            tmp_path / "index", embedder=fake_embedder, settings=BotSettings(calibration=stale)
        )


def test_weights_must_match_features():
    with pytest.raises(ValueError, match="3 weights for 2 features"):
        Calibration(("dense", "sentence"), (1.0, 1.0, 1.0), 0.0, 0.8, 40.0, "")


def test_an_faq_question_at_the_threshold_is_as_likely_the_same_as_not():
    assert FAKE_CALIBRATION.faq_same(FAKE_CALIBRATION.faq_match) == pytest.approx(0.5)
    assert FAKE_CALIBRATION.faq_same(0.95) > 0.99 > 0.01 > FAKE_CALIBRATION.faq_same(0.6)


def test_an_entry_of_an_older_format_counts_as_not_fitted(calibrations):
    save_calibration("fake-hashed-words", FAKE_CALIBRATION)
    data = json.loads(calibrations.read_text())
    data["old-model"] = {"weights": [1.0], "bias": 0.0}
    calibrations.write_text(json.dumps(data))
    assert read_calibrations() == {"fake-hashed-words": FAKE_CALIBRATION}


def test_an_index_built_before_sentences_were_judged_uses_its_model_s_current_calibration(
    calibrations, small_corpus, tmp_path, fake_embedder
):
    """An index records the calibration of its day; one from before the bot judged
    sentences (fewer features, no sentence model) is not refused while its model has a
    current calibration: what is fitted belongs to the model."""
    older = replace(
        FAKE_CALIBRATION, features=FAKE_CALIBRATION.features[:-1],
        weights=FAKE_CALIBRATION.weights[:-1], sentence=None, follow=None,
    )  # fmt: skip
    save_calibration(fake_embedder.name, older)
    build(small_corpus, tmp_path / "index", embedder=fake_embedder)
    assert load_index(tmp_path / "index").manifest.calibration == older
    with pytest.raises(CalibrationMissingError, match="fitted on the evidence"):
        Bot.load(tmp_path / "index", embedder=fake_embedder)
    save_calibration(fake_embedder.name, FAKE_CALIBRATION)
    bot = Bot.load(tmp_path / "index", embedder=fake_embedder)
    assert bot.calibration == FAKE_CALIBRATION
    assert bot.answer("Was ist Arctic Sentry?").answered
