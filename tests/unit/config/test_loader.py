"""Config loading and validation: every documented error names the key or file."""
from __future__ import annotations

import dataclasses
import math
import typing

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
    conf = spark_conf(settings.spark)
    assert conf["spark.sql.shuffle.partitions"] == "3"
    assert conf["spark.ui.enabled"] == "false"
    assert conf["spark.default.parallelism"] == "2"
    assert conf["spark.jars.packages"].split(",") == list(settings.spark.packages)  # both engines in the tests
    assert "spark.jars.packages" not in spark_conf(load_config("local").spark)  # the embedded default needs no JVM package
    cluster = spark_conf(load_config("cluster").spark)
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


def _sections() -> dict[str, type]:
    from shoplake.config.settings import Settings

    return {f.name: f.default_factory for f in dataclasses.fields(Settings)
            if f.default_factory is not dataclasses.MISSING}


def _number_type(hint) -> type:
    """``int`` or ``float`` for a number or a list of numbers (anything else as it is)."""
    return typing.get_args(hint)[0] if typing.get_origin(hint) is tuple else hint


def _bounds():
    """``(section, field, hint, rule)`` for every numeric bound declared on a field (of each item, for a list)."""
    from shoplake.config.bounds import RULES

    for name, section in _sections().items():
        hints = typing.get_type_hints(section)
        for spec in dataclasses.fields(section):
            for rule in spec.metadata.get(RULES, ()):
                if rule.span is not None:
                    yield name, spec.name, hints[spec.name], rule


def _past_and_at(span, number: type) -> list[tuple[float, float]]:
    """``(just past, at or just inside)`` for each end of ``span``."""
    def step(end, away):
        return end + away if number is int else math.nextafter(end, end + away)

    ends = []
    if span.low is not None:
        inside = step(span.low, 1) if span.low_open else span.low
        ends.append((span.low if span.low_open else step(span.low, -1), inside))
    if span.high is not None:
        inside = step(span.high, -1) if span.high_open else span.high
        ends.append((span.high if span.high_open else step(span.high, 1), inside))
    return ends


BOUND_CASES = [
    pytest.param(section, name, hint, rule, past, at, id=f"{section}.{name}{'<' if past < at else '>'}")
    for section, name, hint, rule in _bounds() for past, at in _past_and_at(rule.span, _number_type(hint))
]
FLOAT_BOUNDS = sorted({(section, name) for section, name, hint, _ in _bounds() if _number_type(hint) is float})
# numbers without a bound of their own: seeds, the ALS grid values, lists checked whole, a cross-field pair
UNBOUNDED = {"analytics.seed", "forecast.seed", "dl.seed", "als.ranks", "als.reg_params", "als.alphas",
             "forecast.lags", "forecast.windows", "analytics.segment_k_min", "analytics.segment_k_max"}


def test_every_section_validates_by_its_declared_rules_and_its_defaults_pass():
    from shoplake.config.bounds import Section

    for name, section in _sections().items():
        assert issubclass(section, Section) and section.section == name  # messages name the section's YAML key
        assert section.validate is Section.validate  # one validator: the rules live on the fields
        assert section().validate() == []


def test_every_numeric_field_declares_a_bound_unless_it_is_known_to_have_none():
    numeric = {f"{name}.{spec.name}" for name, section in _sections().items() for spec in dataclasses.fields(section)
               if _number_type(typing.get_type_hints(section)[spec.name]) in (int, float)}
    bounded = {f"{section}.{name}" for section, name, _, _ in _bounds()}
    assert numeric - bounded == UNBOUNDED
    assert len(bounded) > 80


@pytest.mark.parametrize("section, name, hint, rule, past, at", BOUND_CASES)
def test_a_value_just_past_a_bound_is_refused_and_the_bound_itself_is_not(section, name, hint, rule, past, at):
    def value(number):
        return (number,) if typing.get_origin(hint) is tuple else number

    [(_, text)] = rule.find(value(past))
    message = f"{rule.key or f'{section}.{name}'}: {text}"
    with pytest.raises(ConfigError) as err:
        load_config("test", overrides={f"{section}.{name}": value(past)})
    assert message in str(err.value)
    inside = dataclasses.replace(getattr(load_config("test"), section), **{name: value(at)})
    assert rule.find(value(at)) == [] and message not in inside.validate()


@pytest.mark.parametrize("section, name", FLOAT_BOUNDS)
def test_not_a_number_is_outside_every_bound(section, name):
    as_list = typing.get_origin(typing.get_type_hints(_sections()[section])[name]) is tuple
    with pytest.raises(ConfigError, match=rf"{section}\.{name}: "):
        load_config("test", overrides={f"{section}.{name}": [math.nan] if as_list else math.nan})


@pytest.mark.parametrize("overrides, messages", [
    ({"lake.root": ""}, ["lake.root: must not be empty"]),
    ({"mlflow.tracking_uri": ""}, ["mlflow.tracking_uri: must not be empty"]),
    ({"logging.spark_level": "LOUD"},
     ["logging.spark_level: 'LOUD' is not one of ALL, DEBUG, INFO, WARN, ERROR, FATAL, OFF"]),
    ({"ingest.column_map": {"returns": {}, "carts": {}}},
     ["ingest.column_map: unknown source 'carts' (sources: clickstream, orders, products, reviews)"]),
    ({"gold.interaction_weights": {"wishlist": 1.0}}, ["gold.interaction_weights: unknown event type 'wishlist'"]),
    ({"als.families": ["cooccurrence"]}, ["als.families: cooccurrence must include als or als+popularity "
                                          "(ALS is the core model) and only als, als+popularity, cooccurrence"]),
    ({"als.families": []}, ["als.families: none must include als or als+popularity"]),
    ({"als.alphas": []}, ["als.ranks, als.reg_params, als.alphas and als.half_lives_days: must not be empty"]),
    ({"als.half_lives_days": [-1.0, -2.0]}, ["als.half_lives_days: must be >= 0 (0: no recency weighting)"]),
    ({"als.popularity_weights": [0.5, 1.0]}, ["als.popularity_weights: each must be between 0 and 1 (exclusive)"]),
    ({"als.neighbours": 0}, ["als.candidate_pool and als.neighbours: must be >= 1"]),
    ({"privacy.identity_columns": []}, ["privacy.identity_columns: must name at least one column"]),
    ({"privacy.email_pattern": "[a-"},
     ["privacy.email_pattern: not a valid regular expression (unterminated character set at position 0)"]),
    ({"privacy.key_env": ""}, ["privacy.key_env: must name an environment variable"]),
    ({"forecast.plot_items": -1}, ["forecast.fold_step/plot_items: must be >= 0",
                                   "forecast.monthly.fold_step/plot_items: must be >= 0"]),
    ({"forecast.monthly": {"lags": 5}}, ["forecast.monthly: 'int' object is not iterable"]),
    ({"dl.device": "tpu"}, ["dl.device: 'tpu' is not one of auto, cpu, cuda"]),
    ({"report.output": ""}, ["report.output: must not be empty"]),
    ({"analytics.rfm_score_levels": 11}, ["analytics.rfm_score_levels: must be between 2 and 10"]),
])
def test_each_rule_keeps_its_message(overrides, messages):
    with pytest.raises(ConfigError) as err:
        load_config("test", overrides=overrides)
    for message in messages:
        assert message in str(err.value)


def test_fields_sharing_a_message_report_it_once_and_name_the_variable_that_set_it():
    with pytest.raises(ConfigError) as err:
        load_config("test", environ={"SHOPLAKE__ALS__K": "0", "SHOPLAKE__ALS__TOP_N": "0"})
    message = str(err.value)
    assert message.count("als.k, als.top_n and als.max_iter: must be >= 1") == 1
    assert "(set by environment variable SHOPLAKE__ALS__" in message


def test_cross_field_rules_still_apply():
    with pytest.raises(ConfigError, match=r"analytics\.segment_k_min/segment_k_max: need 2 <= segment_k_min"):
        load_config("test", overrides={"analytics.segment_k_min": 4, "analytics.segment_k_max": 3})
    with pytest.raises(ConfigError, match=r"dl\.validation_fraction \+ dl\.text_test_fraction: must leave rows"):
        load_config("test", overrides={"dl.validation_fraction": 0.6, "dl.text_test_fraction": 0.4})
    with pytest.raises(ConfigError, match=r"privacy\.audit_key: must differ"):
        load_config("test", overrides={"privacy.key_env": "K", "privacy.audit_key_env": "K"})


def test_mutable_defaults_are_not_shared_between_instances():
    from shoplake.config.settings import AnalyticsSettings, ForecastSettings

    first, second = ForecastSettings(), ForecastSettings()
    first.monthly["lags"].append(48)
    assert second.monthly["lags"] == [1, 2, 3, 6, 12, 24] and ForecastSettings().monthly["lags"][-1] == 24
    assert AnalyticsSettings().segment_rules is not AnalyticsSettings().segment_rules
