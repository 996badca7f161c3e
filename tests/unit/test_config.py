"""Config loading and validation: every documented error names the key or file."""
from __future__ import annotations

import pytest

from shoplake.config import ConfigError, load_config
from shoplake.session import spark_conf


def write(tmp_path, text: str):
    path = tmp_path / "custom.yaml"
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("env", ["local", "test", "cluster", "full"])
def test_shipped_configs_load(env):
    settings = load_config(env)
    assert settings.env == env
    assert settings.source_file.endswith(f"conf/{env}.yaml")


def test_test_config_is_sized_for_two_cores():
    settings = load_config("test")
    assert settings.spark.master == "local[2]"
    assert settings.spark.shuffle_partitions <= 4
    assert settings.spark.ui is False


def test_cluster_config_adds_delta_spark():
    settings = load_config("cluster")
    assert any(p.startswith("io.delta:delta-spark_2.13:") for p in settings.spark.packages)
    assert settings.spark.conf["spark.sql.extensions"] == "io.delta.sql.DeltaSparkSessionExtension"
    assert settings.lake.backend == "delta-spark"


def test_missing_file_is_named():
    with pytest.raises(ConfigError, match=r"config file not found: .*nowhere\.yaml"):
        load_config("/tmp/does-not-exist/nowhere.yaml")


def test_unknown_environment_lists_known_ones():
    with pytest.raises(ConfigError, match=r"staging\.yaml.*known environments: cluster, full, local, test"):
        load_config("staging")


def test_unknown_section_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown key 'sparkk'"):
        load_config(write(tmp_path, "sparkk:\n  master: local[1]\n"))


def test_mistyped_nested_key_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown key 'lake\.roott'.*allowed in lake: root"):
        load_config(write(tmp_path, "lake:\n  roott: /x\n"))


def test_wrong_type_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"'spark\.shuffle_partitions' must be an integer, got 'many'"):
        load_config(write(tmp_path, "spark:\n  shuffle_partitions: many\n"))


def test_list_items_are_typed(tmp_path):
    assert load_config(write(tmp_path, "als:\n  ranks: [8, 16]\n  alphas: [1]\n")).als.ranks == (8, 16)
    assert load_config(write(tmp_path, "als:\n  alphas: [1]\n")).als.alphas == (1.0,)
    with pytest.raises(ConfigError, match=r"'als\.ranks\[1\]' must be an integer, got 'big'"):
        load_config(write(tmp_path, "als:\n  ranks: [8, big]\n"))


def test_boolean_is_not_an_integer(tmp_path):
    with pytest.raises(ConfigError, match=r"'spark\.shuffle_partitions' must be an integer"):
        load_config(write(tmp_path, "spark:\n  shuffle_partitions: true\n"))


def test_bad_value_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"lake\.backend: 'iceberg' is not one of auto, delta-rs, delta-spark"):
        load_config(write(tmp_path, "lake:\n  backend: iceberg\n"))


def test_all_bad_values_reported_together(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "spark:\n  shuffle_partitions: 0\nlogging:\n  level: LOUD\n"))
    assert "spark.shuffle_partitions: must be >= 1" in str(err.value)
    assert "logging.level: 'LOUD'" in str(err.value)


def test_section_must_be_mapping(tmp_path):
    with pytest.raises(ConfigError, match=r"lake must be a mapping, got str"):
        load_config(write(tmp_path, "lake: /data\n"))


def test_invalid_yaml_names_file(tmp_path):
    with pytest.raises(ConfigError, match=r"custom\.yaml: not valid YAML"):
        load_config(write(tmp_path, "spark: [unclosed\n"))


def test_environment_overrides_documented_keys():
    settings = load_config(
        "test",
        environ={
            "SHOPLAKE__LAKE__ROOT": "/data/lake",
            "SHOPLAKE__MLFLOW__TRACKING_URI": "http://mlflow:5000",
            "SHOPLAKE__SPARK__SHUFFLE_PARTITIONS": "16",
            "UNRELATED": "x",
        },
    )
    assert settings.lake.root == "/data/lake"
    assert settings.mlflow.tracking_uri == "http://mlflow:5000"
    assert settings.spark.shuffle_partitions == 16


def test_environment_override_is_validated():
    with pytest.raises(ConfigError, match=r"'spark\.shuffle_partitions' must be an integer, got 'lots'"):
        load_config("test", environ={"SHOPLAKE__SPARK__SHUFFLE_PARTITIONS": "lots"})


def test_environment_override_of_unknown_key_is_an_error():
    with pytest.raises(ConfigError, match=r"unknown key 'lake\.rooot'"):
        load_config("test", environ={"SHOPLAKE__LAKE__ROOOT": "/x"})


def test_malformed_override_name():
    with pytest.raises(ConfigError, match=r"expected SECTION\.KEY"):
        load_config("test", environ={"SHOPLAKE__LAKE": "/x"})


def test_spark_conf_follows_settings():
    settings = load_config("test", overrides={"spark.shuffle_partitions": 3})
    conf = spark_conf(settings)
    assert conf["spark.sql.shuffle.partitions"] == "3"
    assert conf["spark.ui.enabled"] == "false"
    assert conf["spark.default.parallelism"] == "2"
    assert "spark.jars.packages" not in conf
    cluster = spark_conf(load_config("cluster"))
    assert cluster["spark.jars.packages"].startswith("io.delta:delta-spark_2.13:")
