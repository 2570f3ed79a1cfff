import tomllib

import pytest

from namuweb import config


def test_data_home_uses_env_and_creates_it(isolated_home):
    assert not isolated_home.exists()
    home = config.data_home()
    assert home == isolated_home.resolve()
    assert home.is_dir()


def test_data_home_defaults_to_cwd(tmp_path, monkeypatch):
    monkeypatch.delenv("NAMUWEB_HOME")
    monkeypatch.chdir(tmp_path)
    assert config.data_home() == (tmp_path / "namuweb-data").resolve()
    assert (tmp_path / "namuweb-data").is_dir()


def test_max_upload_matches_streamlit_config():
    with config.STREAMLIT_CONFIG.open("rb") as f:
        assert tomllib.load(f)["server"]["maxUploadSize"] == 200
    assert config.max_upload_bytes() == 200 * 1024 * 1024


def test_max_upload_env_overrides(monkeypatch):
    monkeypatch.setenv("NAMUWEB_MAX_UPLOAD_MB", "3")
    assert config.max_upload_bytes() == 3 * 1024 * 1024


def test_max_upload_falls_back_without_config(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "STREAMLIT_CONFIG", tmp_path / "missing.toml")
    assert config.max_upload_bytes() == 200 * 1024 * 1024


def test_max_upload_reads_other_value(tmp_path, monkeypatch):
    toml = tmp_path / "config.toml"
    toml.write_text("[server]\nmaxUploadSize = 7\n")
    monkeypatch.setattr(config, "STREAMLIT_CONFIG", toml)
    assert config.max_upload_bytes() == 7 * 1024 * 1024


@pytest.mark.parametrize("bad", ["ten", "0", "-5"])
def test_max_upload_env_must_be_positive_int(monkeypatch, bad):
    monkeypatch.setenv("NAMUWEB_MAX_UPLOAD_MB", bad)
    with pytest.raises(ValueError, match="NAMUWEB_MAX_UPLOAD_MB"):
        config.max_upload_bytes()
