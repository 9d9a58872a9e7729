"""The CLI and environment are read in one place, with docs/api.md's defaults."""

import os

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


def test_task_keys_are_the_registrys():
    from models.registry import REGISTRY

    assert config.TASK_KEYS == tuple(REGISTRY)
    assert config.load_settings(["--model", "encoder=./mine"], {}).model_overrides == {"encoder": "./mine"}


# ---- dtype: auto, or forced; the CPU's bf16 detected from /proc/cpuinfo, or forced too -------------

def test_dtype_comes_from_the_cli_or_the_environment():
    assert config.load_settings([], {"PLAYGROUND_CPU_BF16": "0"}).dtype == "auto"
    assert config.load_settings([], {"PLAYGROUND_DTYPE": "float32"}).dtype == "float32"
    assert config.load_settings(["--dtype", "float32"], {"PLAYGROUND_DTYPE": "auto"}).dtype == "float32"


def test_bf16_detection_can_be_forced_either_way():
    assert config.load_settings([], {"PLAYGROUND_CPU_BF16": "1"}).native_bf16 is True
    assert config.load_settings([], {"PLAYGROUND_CPU_BF16": "no"}).native_bf16 is False
    assert config.load_settings([], {}).native_bf16 is config.cpu_has_native_bf16()
    with pytest.raises(SystemExit, match="PLAYGROUND_CPU_BF16 must be 1 or 0"):
        config.load_settings([], {"PLAYGROUND_CPU_BF16": "maybe"})


def test_bfloat16_is_refused_at_start_where_the_cpu_lacks_it():
    with pytest.raises(SystemExit, match="needs a CPU that computes bf16 natively"):
        config.load_settings([], {"PLAYGROUND_DTYPE": "bfloat16", "PLAYGROUND_CPU_BF16": "0"})
    forced = config.load_settings(["--dtype", "bfloat16"], {"PLAYGROUND_CPU_BF16": "1"})
    assert (forced.dtype, forced.native_bf16) == ("bfloat16", True)
    with pytest.raises(SystemExit, match="PLAYGROUND_DTYPE must be one of auto, float32, bfloat16"):
        config.load_settings([], {"PLAYGROUND_DTYPE": "fp16"})


# ---- the memory budget follows the machine unless set ---------------------------------------------

def test_the_memory_budget_follows_the_machines_memory_unless_set(monkeypatch):
    monkeypatch.setattr(config, "machine_memory_mb", lambda: 32_768)
    assert config.load_settings([], {}).memory_budget_mb == config.default_memory_budget_mb(32_768) == 23_552
    assert config.load_settings([], {"PLAYGROUND_MEMORY_BUDGET_MB": "900"}).memory_budget_mb == 900
    for bad in ("lots", "0", "-5"):
        with pytest.raises(SystemExit, match="PLAYGROUND_MEMORY_BUDGET_MB must be a whole number"):
            config.load_settings([], {"PLAYGROUND_MEMORY_BUDGET_MB": bad})


def test_a_4_gib_notebook_keeps_the_largest_model_but_never_two_that_would_take_it_down():
    # model.safetensors on the Hub (float32): facebook/bart-large-mnli 1.63 GB, distilbart-cnn-12-6 1.22 GB.
    bart_large_mnli, distilbart = 1_630_000_000 >> 20, 1_222_000_000 >> 20
    budget = config.default_memory_budget_mb(4_096)  # an ml.t3.medium
    assert bart_large_mnli <= budget < bart_large_mnli + distilbart
    assert config.default_memory_budget_mb(512) == config.MIN_MEMORY_BUDGET_MB


def test_machine_memory_is_the_lower_of_ram_and_the_containers_limit(tmp_path):
    ram_mb = config.machine_memory_mb(())
    assert 0 < ram_mb == os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 20
    limit = tmp_path / "memory.max"
    limit.write_text(f"{1 << 30}\n")  # a container given 1 GiB
    assert config.machine_memory_mb((str(limit), str(tmp_path / "absent"))) == min(ram_mb, 1024)
    limit.write_text("max\n")  # cgroup v2 without a limit
    assert config.machine_memory_mb((str(limit),)) == ram_mb
