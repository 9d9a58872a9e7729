"""The CLI and environment are read in one place, with docs/api.md's defaults."""

import pytest

import config


def test_defaults_follow_gradio_variables_then_loopback():
    assert config.load_settings([], {}).host == "127.0.0.1"
    assert config.load_settings([], {}).port == 7860
    env = {"GRADIO_SERVER_NAME": "0.0.0.0", "GRADIO_SERVER_PORT": "8080"}
    settings = config.load_settings([], env)
    assert (settings.host, settings.port, settings.share) == ("0.0.0.0", 8080, False)


def test_cli_overrides_environment():
    env = {"PLAYGROUND_MODELS": "hub", "PLAYGROUND_MODEL_NER": "dslim/distilbert-NER"}
    settings = config.load_settings(["--models", "offline", "--model", "ner=./my-ner", "--share",
                                     "--root-path", "/proxy/7860"], env)
    assert settings.profile == "offline"
    assert settings.model_overrides == {"ner": "./my-ner"}
    assert settings.share and settings.root_path == "/proxy/7860"


def test_environment_pins_models_per_task():
    settings = config.load_settings([], {"PLAYGROUND_MODEL_FILL_MASK": "distilbert/distilroberta-base"})
    assert settings.model_overrides == {"fill_mask": "distilbert/distilroberta-base"}


@pytest.mark.parametrize("bad", [["--model", "nonsense=x"], ["--model", "ner"], ["--models", "cloud"]])
def test_bad_command_lines_exit_with_a_message(bad):
    with pytest.raises(SystemExit):
        config.load_settings(bad, {})


def test_cache_dir_from_environment(tmp_path):
    assert config.load_settings([], {"PLAYGROUND_CACHE_DIR": str(tmp_path)}).cache_dir == tmp_path
