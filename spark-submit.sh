#!/usr/bin/env bash
# Submit a shoplake job with the spark-submit that ships inside pyspark.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PY="${SHOPLAKE_PYTHON:-$ROOT/.venv/bin/python}"

usage() {
  cat <<EOF
usage: spark-submit.sh [--env local|test|cluster|FILE.yaml] [--master URL] JOB [job args...]

Submits jobs/JOB.py with the settings of conf/<env>.yaml turned into spark-submit options
(--master, --conf, --packages, --driver-memory) and the shoplake library shipped to the
executors as a --py-files archive. Job arguments after JOB are passed to the job.

  --env ENV      config environment (default: local); conf/ENV.yaml or a YAML path
  --master URL   override spark.master (local[*], spark://host:7077, yarn, k8s://https://...)
  -h, --help     show this help

Environment: SHOPLAKE__SECTION__KEY=value overrides a config key (e.g. SHOPLAKE__LAKE__ROOT);
SHOPLAKE_PYTHON picks the Python (default: .venv/bin/python).

Jobs:
EOF
  "$PY" -c 'from shoplake.runner import list_jobs
for name, doc in list_jobs().items(): print(f"  {name:<20} {doc}")' 2>/dev/null || ls "$ROOT/jobs"
}

die() { echo "spark-submit.sh: error: $*" >&2; exit 2; }

env_name=local
master=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --env) [[ $# -ge 2 ]] || die "--env needs a value"; env_name="$2"; shift 2 ;;
    --env=*) env_name="${1#--env=}"; shift ;;
    --master) [[ $# -ge 2 ]] || die "--master needs a value"; master="$2"; shift 2 ;;
    --master=*) master="${1#--master=}"; shift ;;
    -*) die "unknown option $1 (see --help)" ;;
    *) break ;;
  esac
done
[[ $# -ge 1 ]] || { usage >&2; die "no job given"; }
[[ -x "$PY" ]] || die "no Python at $PY; run 'make setup' first"

job="$(basename "$1" .py)"
shift
job_file="$ROOT/jobs/$job.py"
[[ -f "$job_file" ]] || die "unknown job '$job'; known jobs: $(cd "$ROOT/jobs" && ls *.py | sed 's/\.py$//' | tr '\n' ' ')"

case "$env_name" in
  *.yaml|*.yml) config_file="$(realpath "$env_name" 2>/dev/null)" && [[ -f "$config_file" ]] || die "config file not found: $env_name" ;;
  *) config_file="$ROOT/conf/$env_name.yaml"
     [[ -f "$config_file" ]] || die "unknown env '$env_name'; known: $(cd "$ROOT/conf" && ls *.yaml | sed 's/\.yaml$//' | tr '\n' ' ')" ;;
esac

JAVA_HOME="$("$PY" -c 'from shoplake.session.java import main; main()')" || exit 2
export JAVA_HOME
SPARK_SUBMIT="$("$PY" -c 'import os, pyspark; print(os.path.join(os.path.dirname(pyspark.__file__), "bin", "spark-submit"))')"
export PYSPARK_PYTHON="$PY" PYSPARK_DRIVER_PYTHON="$PY"

work="$(mktemp -d "${TMPDIR:-/tmp}/shoplake-submit.XXXXXX")"
trap 'rm -rf "$work"' EXIT
submit_args="$("$PY" -m shoplake.session.submit --config "$config_file" ${master:+--master "$master"} --archive-dir "$work")" || exit 2
mapfile -t options <<<"$submit_args"

set +e
"$SPARK_SUBMIT" "${options[@]}" "$job_file" --config "$config_file" "$@"
rc=$?
set -e
exit $rc
