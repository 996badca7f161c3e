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
    assert conf["spark.jars.packages"].split(",") == list(settings.spark.packages)  # both engines in the tests
    assert "spark.jars.packages" not in spark_conf(load_config("local"))  # the embedded default needs no JVM package
    cluster = spark_conf(load_config("cluster"))
    assert cluster["spark.jars.packages"].startswith("io.delta:delta-spark_2.13:")


@pytest.mark.parametrize("master", [
    "local", "local[2]", "local[*]", "local[4,3]", "local[*, 2]", "local-cluster[2,1,1024]",
    "spark://spark-master.internal:7077", "spark://a:7077,b:7077", "yarn", "k8s://https://10.0.0.1:6443",
])
def test_spark_master_forms_spark_accepts(master):
    assert load_config("test", overrides={"spark.master": master}).spark.master == master


@pytest.mark.parametrize("master", ["bogus://x", "local[abc]", "local[0]", "local[2", "spark://host", "mesos://m:5050", ""])
def test_spark_master_of_another_form_is_refused_by_name(master):
    with pytest.raises(ConfigError, match=r"spark\.master: .*(is not a Spark master URL|must not be empty)"):
        load_config("test", overrides={"spark.master": master})


def test_driver_memory_must_be_a_memory_size():
    assert load_config("test", overrides={"spark.driver_memory": "512m"}).spark.driver_memory == "512m"
    with pytest.raises(ConfigError, match=r"spark\.driver_memory: 'lots' is not a memory size"):
        load_config("test", overrides={"spark.driver_memory": "lots"})


def test_environment_value_that_is_not_yaml_names_the_variable():
    with pytest.raises(ConfigError) as err:
        load_config("test", environ={"SHOPLAKE__SPARK__CONF": "{"})
    message = str(err.value)
    assert message.startswith("environment variable SHOPLAKE__SPARK__CONF: not a valid YAML value")
    assert "line 1, column 2" in message and "\n" not in message


def test_environment_value_of_the_wrong_type_names_the_variable():
    with pytest.raises(ConfigError, match=r"^environment variable SHOPLAKE__SPARK__CONF: 'spark\.conf' must be a mapping"):
        load_config("test", environ={"SHOPLAKE__SPARK__CONF": "abc"})


def test_invalid_environment_value_says_which_variable_set_it():
    with pytest.raises(ConfigError) as err:
        load_config("test", environ={"SHOPLAKE__SPARK__MASTER": "bogus://x", "SHOPLAKE__LAKE__BACKEND": "iceberg"})
    message = str(err.value)
    assert "spark.master: 'bogus://x'" in message and "(set by environment variable SHOPLAKE__SPARK__MASTER)" in message
    assert "(set by environment variable SHOPLAKE__LAKE__BACKEND)" in message
    assert "\n" not in message  # every problem on one line, so a job logs it as one


def test_invalid_yaml_file_is_reported_on_one_line_with_its_position(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, "spark:\n  master: [unclosed\n"))
    assert "custom.yaml: not valid YAML" in str(err.value) and "line 3" in str(err.value)
    assert "\n" not in str(err.value)


def test_config_errors_are_user_facing_configuration_errors():
    from shoplake.errors import ConfigurationError, UserFacingError

    assert issubclass(ConfigError, ConfigurationError) and issubclass(ConfigError, UserFacingError)
    assert issubclass(ConfigError, ValueError)  # callers catching ValueError keep working


def test_min_event_time_is_read_as_utc_from_yaml_or_environment(tmp_path):
    from datetime import datetime, timezone

    assert load_config("test").ingest.earliest_event_time() == datetime(1990, 1, 1, tzinfo=timezone.utc)
    stamped = load_config(write(tmp_path, "ingest:\n  min_event_time: 2021-06-01T12:00:00+02:00\n"))  # a YAML timestamp
    assert stamped.ingest.earliest_event_time() == datetime(2021, 6, 1, 10, tzinfo=timezone.utc)
    dated = load_config("test", environ={"SHOPLAKE__INGEST__MIN_EVENT_TIME": "2020-02-03"})
    assert dated.ingest.earliest_event_time() == datetime(2020, 2, 3, tzinfo=timezone.utc)


def test_min_event_time_that_is_not_a_time_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"ingest\.min_event_time: 'last year' is not an ISO-8601 date or time"):
        load_config(write(tmp_path, "ingest:\n  min_event_time: last year\n"))


def test_text_limits_are_checked_by_column(tmp_path):
    settings = load_config(write(tmp_path, "ingest:\n  max_text_length: 2000\n"
                                           "  max_text_length_by_field: {query: 100}\n"))
    assert (settings.ingest.text_limit("query"), settings.ingest.text_limit("user_agent")) == (100, 2000)
    with pytest.raises(ConfigError, match=r"ingest\.max_text_length_by_field: 'querry' is not a text column"):
        load_config(write(tmp_path, "ingest:\n  max_text_length_by_field: {querry: 100}\n"))
    with pytest.raises(ConfigError, match=r"ingest\.max_text_length_by_field\.query: must be >= 1"):
        load_config(write(tmp_path, "ingest:\n  max_text_length_by_field: {query: 0}\n"))
    with pytest.raises(ConfigError, match=r"ingest\.max_text_length: must be >= 1"):
        load_config(write(tmp_path, "ingest:\n  max_text_length: 0\n"))
