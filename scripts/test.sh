#!/usr/bin/env bash
# The whole test suite (`make test`): sanity, lint, unit, integration, engine and Molecule tests,
# and the unit and integration tests again under the oldest supported ansible-core (core216).
#
#   scripts/test.sh                              all stages (engine only if tests/engine exists,
#                                                molecule only if extensions/molecule exists;
#                                                podman always)
#   STAGES="units integration" scripts/test.sh   a subset (order is always sanity, lint, units,
#                                                integration, core216, engine, compat, connections,
#                                                molecule, podman)
#   STAGES=integration scripts/test.sh image_info
#                                                extra arguments go to the one selected stage:
#                                                ansible-test sanity / pytest tests/unit /
#                                                ansible-test integration / pytest tests/engine /
#                                                molecule scenario names (default: all);
#                                                core216: integration targets; podman: integration
#                                                targets (then no Molecule, unless PODMAN_PARTS says)
#   PODMAN_PARTS="integration molecule"          what the podman stage runs (default: both; only
#                                                integration when targets are named)
#   SANITY_ARGS=... UNITS_ARGS=... INTEGRATION_ARGS=... ENGINE_ARGS=... MOLECULE_ARGS=...
#                                                extra arguments per stage, with any STAGES
#                                                (core216 takes UNITS_ARGS and INTEGRATION_ARGS)
#
# How: scripts/setup.sh; a temp dir WORK; the checkout's files (git ls-files, so no .venv
# and nothing ignored) copied to WORK/ansible_collections/tidy/docker, where ansible-test
# insists on running; for the integration and engine stages, a private Docker engine in
# WORK/engine, seeded by scripts/seed.py --profile test, and a private registry on
# 127.0.0.1 (a free port), their addresses written to the copy's
# tests/integration/integration_config.yml (docker_host, registry); tests/engine gets the
# engine as TIDY_TEST_DOCKER_HOST. The lint stage runs ansible-lint (production profile,
# offline, over the whole tree), antsibull-docs lint-collection-docs --plugin-docs,
# antsibull-changelog lint, ruff, mypy and radon over plugins/ and tests/ (and
# scripts/module_docs.py), and whether docs/modules/ is current (scripts/module_docs.py --check), on the copy.
# The core216 stage runs the units and integration stages again with .venv-core216
# (ansible-core 2.16, the lowest version meta/runtime.yml admits; tests/requirements-core216.txt),
# on the same engine; its results are counted as core216-units and core216-integration. The molecule stage runs each scenario of extensions/molecule/ with `molecule test`
# (ANSIBLE_COLLECTIONS_PATH=WORK); the scenarios start and stop private engines of their own
# under TMPDIR (WORK/tmp), and whatever a failed scenario leaves is stopped after it. Every
# stage runs even when an earlier one failed.
# The podman stage runs the integration targets and the clean_host scenario again, against
# Podman's Docker-compatible API: a private Podman service in WORK/podman (scripts/podman.sh),
# seeded like the Docker engine, the same registry; integration_config.yml says
# tidy_test_engine: podman (docker in the Docker stages), the scenario gets TIDY_TEST_ENGINE=podman
# and starts a Podman service of its own. Its results are counted as podman-integration and
# podman-molecule; the service is stopped at the end of the stage (and on exit).
# On exit, Ctrl-C or TERM everything started here is stopped and WORK removed.
# Results (junit, logs) are copied to tests/output/ of the checkout.
# The last line is `summary: N passed, M failed`; the exit code is non-zero on any failure.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
VENV_CORE216=${VENV_CORE216:-$ROOT/.venv-core216}
PYVER=${TIDY_PYTHON_VERSION:-3.11}
DEFAULT_STAGES="sanity lint units integration core216"
[ -d "$ROOT/tests/engine" ] && DEFAULT_STAGES+=" engine"
[ -d "$ROOT/tests/compat" ] && DEFAULT_STAGES+=" compat"
[ -d "$ROOT/tests/connections" ] && DEFAULT_STAGES+=" connections"
[ -d "$ROOT/extensions/molecule" ] && DEFAULT_STAGES+=" molecule"
# Always: scripts/setup.sh installs podman, and a machine without it should fail, not skip.
DEFAULT_STAGES+=" podman"
STAGES=${STAGES:-$DEFAULT_STAGES}
read -r -a SANITY_EXTRA <<<"${SANITY_ARGS:-}"
read -r -a UNITS_EXTRA <<<"${UNITS_ARGS:-}"
read -r -a INTEGRATION_EXTRA <<<"${INTEGRATION_ARGS:-}"
read -r -a ENGINE_EXTRA <<<"${ENGINE_ARGS:-}"
read -r -a MOLECULE_EXTRA <<<"${MOLECULE_ARGS:-}"
unset DOCKER_HOST DOCKER_CONTEXT

selected=()
for stage in $STAGES; do
    case $stage in
        sanity|lint|units|integration|core216|engine|compat|connections|molecule|podman) selected+=("$stage") ;;
        *) echo "test.sh: unknown stage '$stage' (STAGES takes sanity, lint, units, integration, core216, engine, compat, connections, molecule, podman)" >&2; exit 2 ;;
    esac
done
[ ${#selected[@]} -gt 0 ] || { echo "test.sh: STAGES is empty" >&2; exit 2; }
wants() { [[ " ${selected[*]} " == *" $1 "* ]]; }
if [ $# -gt 0 ]; then
    [ ${#selected[@]} -eq 1 ] || { echo "test.sh: extra arguments ($*) need exactly one stage, e.g. STAGES=integration $0 $*" >&2; exit 2; }
    case ${selected[0]} in
        sanity) SANITY_EXTRA+=("$@") ;;
        units) UNITS_EXTRA+=("$@") ;;
        integration|core216|podman) INTEGRATION_EXTRA+=("$@") ;;
        engine|compat|connections) ENGINE_EXTRA+=("$@") ;;
        molecule) MOLECULE_EXTRA+=("$@") ;;
        lint) echo "test.sh: the lint stage takes no arguments" >&2; exit 2 ;;
    esac
fi

WORK=
CHILD=
ENGINE=
REGISTRY_DIR=
PODMAN_DIR=
COLL=
HOST_IMAGES=
T_START=$SECONDS

# ------------------------------------------------------------------ process handling
# Each step runs in its own session/process group (setsid), so that cleanup can stop it
# with everything it spawned, and so that `wait` (unlike a foreground command) lets the
# INT/TERM traps run at once.
kill_group() {
    local pid=$1 i
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 100; i++)); do
        kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || return 0
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}

# run LOG CMD...: run CMD in WORK's collection copy; output to the console and LOG ("-": no log).
run() {
    local log=$1 rc; shift
    if [ "$log" = - ]; then
        setsid -w "$@" </dev/null &
    else
        # shellcheck disable=SC2016
        setsid -w bash -c 'log=$1; shift; "$@" </dev/null 2>&1 | tee "$log"; exit "${PIPESTATUS[0]}"' run "$log" "$@" &
    fi
    CHILD=$!
    wait "$CHILD"
    rc=$?
    CHILD=
    return $rc
}

# Processes left behind that still use WORK (command line or working directory inside
# it), except those whose command line contains $1 (if given). Ansible's workers call
# setsid(), so they escape the process group of the stage and are found here.
pids_in_work() {
    local skip=${1:-} p cmdline cwd
    for p in /proc/[0-9]*; do
        p=${p#/proc/}
        [ "$p" = "$$" ] && continue
        cmdline=$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null) || continue
        cwd=$(readlink "/proc/$p/cwd" 2>/dev/null || true)
        [ -n "$skip" ] && [[ "$cmdline|$cwd" == *"$skip"* ]] && continue
        case "$cmdline|$cwd" in
            *"$WORK/"*|*"|$WORK") echo "$p" ;;
        esac
    done
}

kill_leftovers() {  # [SKIP]: TERM, then KILL after up to 3 s
    local left i p alive
    left=$(pids_in_work "${1:-}" | tr '\n' ' ')
    [ -n "${left// /}" ] || return 0
    echo "test.sh: stopping leftover processes: $left" >&2
    # shellcheck disable=SC2086
    kill -TERM $left 2>/dev/null
    for ((i = 0; i < 30; i++)); do
        alive=0
        for p in $left; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive -eq 0 ] && return 0
        sleep 0.1
    done
    # shellcheck disable=SC2086
    kill -KILL $left 2>/dev/null
    return 0
}

cleanup() {
    local rc=$?
    trap '' INT TERM HUP
    cd "$ROOT" || cd /
    [ -n "$CHILD" ] && kill_group "$CHILD"
    [ -n "$HOST_IMAGES" ] && kill_group "$HOST_IMAGES"
    [ -n "$WORK" ] && [ -d "$WORK" ] && stop_scenario_engines
    if [ -n "$REGISTRY_DIR" ] && [ -e "$REGISTRY_DIR" ]; then
        bash "$ROOT/scripts/registry.sh" stop "$REGISTRY_DIR" || echo "test.sh: WARNING: stopping the registry in $REGISTRY_DIR failed" >&2
    fi
    # The podman stage's service (normally stopped at the end of the stage), before
    # kill_leftovers: its conmon processes name WORK, and killing them first would leave the
    # service's containers to podman.sh's slower path.
    if [ -n "$PODMAN_DIR" ] && [ -e "$PODMAN_DIR" ]; then
        bash "$ROOT/scripts/podman.sh" stop "$PODMAN_DIR" >/dev/null || echo "test.sh: WARNING: stopping the Podman service in $PODMAN_DIR failed" >&2
    fi
    # Whatever still uses WORK but the engine (so nothing talks to the engine any more),
    # then the engine, then anything at all left in WORK.
    [ -n "$WORK" ] && [ -d "$WORK" ] && kill_leftovers "$WORK/engine/"
    if [ -n "$ENGINE" ] && [ -e "$ENGINE" ]; then
        bash "$ROOT/scripts/engine.sh" stop "$ENGINE" >/dev/null || echo "test.sh: WARNING: stopping the engine in $ENGINE failed" >&2
    fi
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        kill_leftovers
        if [ -d "$COLL/tests/output" ]; then
            rm -rf "$ROOT/tests/output"
            cp -a "$COLL/tests/output" "$ROOT/tests/output" 2>/dev/null || true
        fi
        rm -rf --one-file-system "$WORK" || echo "test.sh: WARNING: could not remove $WORK" >&2
    fi
    exit $rc
}

# Engines and registries the Molecule scenarios started under WORK/tmp/tidy-molecule (each
# directory carries the marker engine.sh, podman.sh or registry.sh writes): normally their destroy step
# stopped them; this catches a scenario that failed or was interrupted before it.
stop_scenario_engines() {
    local marker dir
    [ -d "$WORK/tmp/tidy-molecule" ] || return 0
    while IFS= read -r marker; do
        dir=${marker%/*}
        case $marker in
            */.tidy-engine)
                echo "test.sh: stopping the engine a scenario left in $dir" >&2
                bash "$ROOT/scripts/engine.sh" stop "$dir" >/dev/null || echo "test.sh: WARNING: stopping the engine in $dir failed" >&2 ;;
            */.tidy-podman)
                echo "test.sh: stopping the Podman service a scenario left in $dir" >&2
                bash "$ROOT/scripts/podman.sh" stop "$dir" >/dev/null || echo "test.sh: WARNING: stopping the Podman service in $dir failed" >&2 ;;
            */.tidy-registry)
                bash "$ROOT/scripts/registry.sh" stop "$dir" || echo "test.sh: WARNING: stopping the registry in $dir failed" >&2 ;;
        esac
    done < <(find "$WORK/tmp/tidy-molecule" -maxdepth 3 \( -name .tidy-engine -o -name .tidy-podman -o -name .tidy-registry \) 2>/dev/null)
    return 0
}

on_signal() {
    trap '' INT TERM HUP
    echo >&2
    echo "test.sh: interrupted by SIG$1, cleaning up" >&2
    exit "$2"
}
trap cleanup EXIT
trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'on_signal HUP 129' HUP

fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# ------------------------------------------------------------------ setup
run - bash "$ROOT/scripts/setup.sh" || {
    echo "test.sh: scripts/setup.sh failed"
    echo "summary: 0 passed, 1 failed"
    exit 1
}
# shellcheck disable=SC1091
. "$VENV/bin/activate"       # also puts the venv's python$PYVER first on PATH for ansible-test
PY=$VENV/bin/python

base=${TMPDIR:-/tmp}
[ -d "$base" ] && [ ${#base} -le 40 ] || base=/tmp  # short: the engine's sockets live below
WORK=$(mktemp -d "$base/tdt.XXXXXX") || { echo "test.sh: mktemp failed" >&2; exit 1; }
COLL=$WORK/ansible_collections/tidy/docker
LOGS=$COLL/tests/output/logs
mkdir -p "$COLL" "$WORK/tmp"
export TMPDIR=$WORK/tmp      # temp files of every stage end up in WORK and go with it
export PYTHONDONTWRITEBYTECODE=1

# Copy the checkout: tracked and untracked-but-not-ignored files that exist.
copy_checkout() {
    if git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git -C "$ROOT" ls-files -co --exclude-standard -z \
            | (cd "$ROOT" && while IFS= read -r -d '' f; do
                   if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
               done) \
            | tar -C "$ROOT" --null --no-recursion -T - -cf - \
            | tar -C "$COLL" -xf -
    else
        tar -C "$ROOT" --exclude=./.git --exclude=./.venv --exclude=./.venv-core216 --exclude=./.sandbox --exclude=./.tmp \
            --exclude=./collections --exclude=./tests/output --exclude=./.ansible \
            --exclude=./tests/integration/integration_config.yml --exclude=__pycache__ \
            -cf - . | tar -C "$COLL" -xf -
    fi
}
copy_checkout || { echo "test.sh: copying the checkout to $COLL failed" >&2; echo "summary: 0 passed, 1 failed"; exit 1; }
mkdir -p "$LOGS"
cd "$COLL" || exit 1
echo "test.sh: testing a copy in $COLL"

# The fleet's host images take minutes to build on a fresh machine: build them while the
# earlier stages run (the ssh_fleet scenario asks again and waits; host_image.sh locks per suite).
if wants molecule && [ -d extensions/molecule/ssh_fleet ]; then
    setsid bash "$ROOT/scripts/host_image.sh" build >"$LOGS/host-images.log" 2>&1 </dev/null &
    HOST_IMAGES=$!
fi

TOTAL_PASSED=0
TOTAL_FAILED=0
RESULTS=()

# record STAGE RC COUNTS_SOURCE SECONDS [KIND]: KIND (default STAGE) is how
# scripts/stage_results.py counts COUNTS_SOURCE (sanity, lint, units, integration, ...).
record() {
    local stage=$1 rc=$2 src=$3 secs=$4 kind=${5:-$1} p f s note line
    read -r p f s note < <("$PY" "$ROOT/scripts/stage_results.py" "$kind" "$rc" "$src" 2>/dev/null || echo "0 1 0 could not count results")
    TOTAL_PASSED=$((TOTAL_PASSED + p))
    TOTAL_FAILED=$((TOTAL_FAILED + f))
    line="$stage: $p passed, $f failed"
    [ "$s" != 0 ] && line+=", $s skipped"
    line+=" ($(fmt_time "$secs"))"
    [ -n "$note" ] && line+=" - $note"
    RESULTS+=("$line")
    echo "== $line"
}

record_failure() {  # STAGE SECONDS NOTE: the stage could not even run
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    RESULTS+=("$1: 0 passed, 1 failed ($(fmt_time "$2")) - $3")
    echo "== $1: 0 passed, 1 failed - $3"
}

# ------------------------------------------------------------------ sanity
if wants sanity; then
    echo "== sanity: ansible-test sanity --venv --python $PYVER ${SANITY_EXTRA[*]}"
    t0=$SECONDS
    rm -rf tests/output/junit
    run "$LOGS/sanity.log" ansible-test sanity --venv --python "$PYVER" --junit --color no \
        "${SANITY_EXTRA[@]}"
    rc=$?
    mkdir -p tests/output/junit-sanity
    cp tests/output/junit/*.xml tests/output/junit-sanity/ 2>/dev/null
    record sanity "$rc" tests/output/junit-sanity $((SECONDS - t0))
fi

# ------------------------------------------------------------------ lint
# Each check is one result line "NAME RC" in LOGS/lint.results; record counts them.
if wants lint; then
    echo "== lint: ansible-lint --profile production --offline; antsibull-docs lint-collection-docs --plugin-docs; antsibull-changelog lint; ruff; mypy; radon; module pages"
    t0=$SECONDS
    : >"$LOGS/lint.results"
    # The whole tree (.ansible-lint excludes tests/output); ansible-lint resolves the
    # collection's own modules through the copy's tree.
    run "$LOGS/lint-ansible-lint.log" env ANSIBLE_COLLECTIONS_PATH="$WORK" NO_COLOR=1 \
        ansible-lint --profile production --offline --nocolor
    echo "ansible-lint $?" >>"$LOGS/lint.results"
    run "$LOGS/lint-antsibull-docs.log" env ANSIBLE_COLLECTIONS_PATH="$WORK" \
        antsibull-docs lint-collection-docs --plugin-docs --validate-collection-refs all --check-extra-docs-refs .
    echo "antsibull-docs $?" >>"$LOGS/lint.results"
    run "$LOGS/lint-antsibull-changelog.log" antsibull-changelog lint
    echo "antsibull-changelog $?" >>"$LOGS/lint.results"
    # Python gates over plugins/ and tests/ (settings in pyproject.toml): ruff (with import sorting);
    # mypy twice: plugins/ against Python 3.9 (the oldest managed node), everything against the
    # controller's Python; radon: no function more complex than C (`radon cc -n D` prints nothing).
    run "$LOGS/lint-ruff.log" ruff check --no-cache --output-format concise plugins tests scripts/module_docs.py
    echo "ruff $?" >>"$LOGS/lint.results"
    run "$LOGS/lint-mypy-py39.log" env MYPYPATH="$WORK" mypy --cache-dir "$WORK/mypy-cache" --python-version 3.9 \
        -p ansible_collections.tidy.docker.plugins
    echo "mypy-plugins-py3.9 $?" >>"$LOGS/lint.results"
    run "$LOGS/lint-mypy.log" env MYPYPATH="$WORK" mypy --cache-dir "$WORK/mypy-cache" \
        -p ansible_collections.tidy.docker.plugins -p ansible_collections.tidy.docker.tests
    echo "mypy $?" >>"$LOGS/lint.results"
    run "$LOGS/lint-radon.log" bash -c 'out=$(radon cc -n D -s plugins tests scripts/module_docs.py) || exit 2
        [ -z "$out" ] && echo "radon: no function worse than C" && exit 0
        echo "radon: functions worse than C (split them):"; echo "$out"; exit 1'
    echo "radon $?" >>"$LOGS/lint.results"
    # docs/modules/NAME.md is generated from each module's DOCUMENTATION, EXAMPLES and RETURN
    # (`make docs`); a page that differs from what the generator writes now fails here.
    run "$LOGS/lint-module-docs.log" "$PY" scripts/module_docs.py --check
    echo "module-docs $?" >>"$LOGS/lint.results"
    record lint 0 "$LOGS/lint.results" $((SECONDS - t0))
fi

# ------------------------------------------------------------------ units
# pytest_stage STAGE DIR EXTRA...: pytest on DIR of the copy, junit to tests/output/junit/STAGE.xml,
# with the interpreter STAGE_PY (default: .venv's).
pytest_stage() {
    local stage=$1 dir=$2 py=${STAGE_PY:-$PY} rc t0=$SECONDS
    shift 2
    echo "== $stage: pytest $dir $* ($py)"
    mkdir -p tests/output/junit
    run "$LOGS/$stage.log" env PYTHONPATH="$WORK${PYTHONPATH:+:$PYTHONPATH}" \
        "$py" -m pytest "$dir" --rootdir . -p no:cacheprovider -q \
        --junitxml "tests/output/junit/$stage.xml" "$@"
    rc=$?
    record "$stage" "$rc" "tests/output/junit/$stage.xml" $((SECONDS - t0)) units
}

if wants units; then
    if [ -d tests/unit ]; then
        pytest_stage units tests/unit "${UNITS_EXTRA[@]}"
    else
        record_failure units 0 "no tests/unit directory"
    fi
fi

# ------------------------------------------------------------------ private engine
# One engine (and registry) for the integration and engine stages, started on first use.
ENGINE_STATE=   # empty: not started; ok; or why it is unusable
HOST=
REGISTRY_STATE= # the same for the registry, which the podman stage shares
ensure_registry() {
    if [ -z "$REGISTRY_STATE" ]; then
        REGISTRY_DIR=$WORK/registry
        if run "$WORK/registry.address" bash "$ROOT/scripts/registry.sh" start "$REGISTRY_DIR"; then
            REGISTRY_STATE=ok
        else
            REGISTRY_STATE="the private registry did not start"
        fi
    fi
    [ "$REGISTRY_STATE" = ok ]
}
ensure_engine() {
    if [ -z "$ENGINE_STATE" ]; then
        ENGINE=$WORK/engine
        HOST=unix://$ENGINE/docker.sock
        echo "== private engine, registry and fixtures"
        if ! run - bash "$ROOT/scripts/engine.sh" start "$ENGINE"; then
            ENGINE_STATE="the private Docker engine did not start"
        elif ! ensure_registry; then
            ENGINE_STATE=$REGISTRY_STATE
        elif ! run - "$PY" "$ROOT/scripts/seed.py" --docker-host "$HOST" --profile test; then
            ENGINE_STATE="seeding the engine failed"
        else
            ENGINE_STATE=ok
        fi
    fi
    [ "$ENGINE_STATE" = ok ]
}

# ------------------------------------------------------------------ integration
# run_integration STAGE T0 DOCKER_HOST ENGINE_KIND [VAR=VALUE...]: write integration_config.yml
# for that engine (tidy_test_engine: docker or podman, so targets can tell) and the registry,
# run ansible-test integration --local under `env VAR=VALUE...`, record the result.
run_integration() {
    local stage=$1 t0=$2 docker_host=$3 kind=$4 rc
    shift 4
    mkdir -p tests/integration
    cat >tests/integration/integration_config.yml <<EOF
# written by scripts/test.sh: the private engine and registry of this run
docker_host: $docker_host
registry: $(tail -n 1 "$WORK/registry.address")
tidy_test_image: tidy-test/busybox:latest
tidy_test_engine: $kind
EOF
    echo "== $stage: ansible-test integration --python $PYVER --local ${INTEGRATION_EXTRA[*]}"
    # --allow-destructive: the targets only touch the private engine of this run.
    run "$LOGS/$stage.log" env "$@" ansible-test integration --python "$PYVER" --local \
        --continue-on-error --allow-destructive --color no "${INTEGRATION_EXTRA[@]}"
    rc=$?
    record "$stage" "$rc" "$LOGS/$stage.log" $((SECONDS - t0)) integration
}

# integration_stage STAGE [VAR=VALUE...]: ansible-test integration --local against the private
# Docker engine, run under `env VAR=VALUE...` (core216: its venv first on PATH).
integration_stage() {
    local stage=$1 t0=$SECONDS
    shift
    if ! ensure_engine; then
        record_failure "$stage" $((SECONDS - t0)) "$ENGINE_STATE"
        return
    fi
    run_integration "$stage" "$t0" "$HOST" docker "$@"
}

if wants integration; then
    integration_stage integration
fi

# ------------------------------------------------------------------ core216
# units and integration again under ansible-core 2.16 (newest patch), the lowest release that
# meta/runtime.yml's requires_ansible admits: .venv-core216, from tests/requirements-core216.txt.
# Its bin/ goes first on PATH, so that ansible-test and the python$PYVER it looks up there are
# 2.16's. Sanity is not repeated: it runs on the newest ansible-core only (docs/testing.md).
if wants core216; then
    if [ -x "$VENV_CORE216/bin/ansible-test" ]; then
        echo "== core216: $("$VENV_CORE216/bin/ansible-test" --version 2>&1) (.venv-core216)"
        # The property tests' deep search (10,000 examples where CI=true) ran in units already and
        # tests pure logic that does not change with ansible-core; here 100 examples each check that
        # it runs under 2.16, which saves about 4 minutes of CI. TIDY_HYPOTHESIS_PROFILE overrides.
        TIDY_HYPOTHESIS_PROFILE=${TIDY_HYPOTHESIS_PROFILE:-fast} STAGE_PY=$VENV_CORE216/bin/python \
            pytest_stage core216-units tests/unit "${UNITS_EXTRA[@]}"
        integration_stage core216-integration PATH="$VENV_CORE216/bin:$PATH" VIRTUAL_ENV="$VENV_CORE216"
    else
        record_failure core216 0 "no $VENV_CORE216/bin/ansible-test (scripts/setup.sh makes it)"
    fi
fi

# ------------------------------------------------------------------ engine
# tests/engine: pytest against the same private engine, whose address it reads from
# TIDY_TEST_DOCKER_HOST.
if wants engine; then
    t0=$SECONDS
    if [ ! -d tests/engine ]; then
        record_failure engine 0 "no tests/engine directory"
    elif ! ensure_engine; then
        record_failure engine $((SECONDS - t0)) "$ENGINE_STATE"
    else
        export TIDY_TEST_DOCKER_HOST=$HOST
        pytest_stage engine tests/engine "${ENGINE_EXTRA[@]}"
    fi
fi

# ------------------------------------------------------------------ compat
# tests/compat: every module with each Docker SDK a managed node may have (4.1.0, 5.0.3, the
# newest), each in a venv that plays the node's interpreter, against the same engine. The
# venvs are kept in the checkout's .tmp/compat between runs. Where pyenv has other Pythons,
# the oldest and newest SDKs also run on the oldest and newest Python the nodes may have.
compat_matrix() {
    local matrix="4.1.0 5.0.3 7.2.0" pair sdk version python
    for pair in 4.1.0@3.9 5.0.3@3.10 7.2.0@3.12 7.2.0@3.13; do
        sdk=${pair%@*} version=${pair#*@}
        for python in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version".*/bin/python"$version"; do
            [ -x "$python" ] && matrix+=" $sdk@$python" && break
        done
    done
    echo "$matrix"
}
if wants compat; then
    t0=$SECONDS
    if ! ensure_engine; then
        record_failure compat $((SECONDS - t0)) "$ENGINE_STATE"
    else
        TIDY_TEST_DOCKER_HOST=$HOST TIDY_COMPAT_CACHE=$ROOT/.tmp/compat TIDY_COMPAT_MATRIX=${TIDY_COMPAT_MATRIX:-$(compat_matrix)} \
            pytest_stage compat tests/compat "${ENGINE_EXTRA[@]}"
    fi
fi

# ------------------------------------------------------------------ connections
# tests/connections: tcp + TLS and ssh:// (paramiko and the ssh command) for real; it starts
# its own engines and sshd on loopback and stops them.
if wants connections; then
    pytest_stage connections tests/connections "${ENGINE_EXTRA[@]}"
fi

# ------------------------------------------------------------------ molecule
# Each scenario of extensions/molecule/ (or those named as arguments) with `molecule test`;
# one result line "NAME RC" each in LOGS/molecule.results.
if wants molecule; then
    t0=$SECONDS
    scenarios=("${MOLECULE_EXTRA[@]}")
    if [ ${#scenarios[@]} -eq 0 ]; then
        for f in extensions/molecule/*/molecule.yml; do
            [ -e "$f" ] && f=${f%/molecule.yml} && scenarios+=("${f##*/}")
        done
    fi
    : >"$LOGS/molecule.results"
    if [ ${#scenarios[@]} -eq 0 ]; then
        record_failure molecule 0 "no scenario in extensions/molecule"
    else
        for scenario in "${scenarios[@]}"; do
            echo "== molecule: molecule test -s $scenario"
            run "$LOGS/molecule-$scenario.log" env ANSIBLE_COLLECTIONS_PATH="$WORK" NO_COLOR=1 \
                MOLECULE_EPHEMERAL_DIRECTORY="$WORK/molecule/$scenario" \
                molecule test -s "$scenario"
            echo "$scenario $?" >>"$LOGS/molecule.results"
            stop_scenario_engines
        done
        record molecule 0 "$LOGS/molecule.results" $((SECONDS - t0))
    fi
fi

# ------------------------------------------------------------------ podman
# The integration targets and the clean_host scenario again, on Podman's Docker-compatible API
# (issue 15). A private service in WORK/podman (scripts/podman.sh), seeded like the Docker
# engine; the registry is the one the Docker stages use (podman.sh marks loopback registries
# insecure). The scenario starts a Podman service of its own (TIDY_TEST_ENGINE=podman).
# Targets to leave out of the podman stage (default: none; every target passes on Podman);
# named on the command line (STAGES=podman scripts/test.sh container) they run all the same.
PODMAN_NOT_YET=${PODMAN_NOT_YET-}
podman_integration() {
    local t0=$SECONDS podman_host
    PODMAN_DIR=$WORK/podman
    podman_host=unix://$PODMAN_DIR/podman.sock
    echo "== podman: private Podman service, registry and fixtures"
    if ! command -v podman >/dev/null 2>&1; then
        record_failure podman-integration 0 "podman is not installed (scripts/setup.sh installs podman and catatonit)"
        return
    fi
    if ! run - bash "$ROOT/scripts/podman.sh" start "$PODMAN_DIR"; then
        record_failure podman-integration $((SECONDS - t0)) "the private Podman service did not start"
    elif ! ensure_registry; then
        record_failure podman-integration $((SECONDS - t0)) "$REGISTRY_STATE"
    elif ! run - "$PY" "$ROOT/scripts/seed.py" --docker-host "$podman_host" --profile test; then
        record_failure podman-integration $((SECONDS - t0)) "seeding the Podman service failed"
    else
        local saved=("${INTEGRATION_EXTRA[@]}") target
        # Without named targets: every target but those PODMAN_NOT_YET names.
        if [ ${#INTEGRATION_EXTRA[@]} -eq 0 ]; then
            for target in $PODMAN_NOT_YET; do INTEGRATION_EXTRA+=(--exclude "$target"); done
        fi
        run_integration podman-integration "$t0" "$podman_host" podman
        INTEGRATION_EXTRA=("${saved[@]}")
    fi
    # Done with it (the last user of the service): stop it now rather than on exit.
    if [ -e "$PODMAN_DIR" ]; then
        bash "$ROOT/scripts/podman.sh" stop "$PODMAN_DIR" || echo "test.sh: WARNING: stopping the Podman service in $PODMAN_DIR failed" >&2
    fi
}

podman_molecule() {
    local t0=$SECONDS
    : >"$LOGS/podman-molecule.results"
    if [ ! -f extensions/molecule/clean_host/molecule.yml ]; then
        record_failure podman-molecule 0 "no extensions/molecule/clean_host scenario"
        return
    fi
    echo "== podman-molecule: TIDY_TEST_ENGINE=podman molecule test -s clean_host"
    run "$LOGS/molecule-podman-clean_host.log" env ANSIBLE_COLLECTIONS_PATH="$WORK" NO_COLOR=1 \
        TIDY_TEST_ENGINE=podman MOLECULE_EPHEMERAL_DIRECTORY="$WORK/molecule/podman-clean_host" \
        molecule test -s clean_host
    echo "clean_host $?" >>"$LOGS/podman-molecule.results"
    stop_scenario_engines
    record podman-molecule 0 "$LOGS/podman-molecule.results" $((SECONDS - t0)) molecule
}

if wants podman; then
    # Named targets alone mean just those; PODMAN_PARTS picks the parts explicitly.
    if [ -n "${PODMAN_PARTS:-}" ]; then
        podman_parts=" $PODMAN_PARTS "
    elif [ ${#INTEGRATION_EXTRA[@]} -gt 0 ]; then
        podman_parts=" integration "
    else
        podman_parts=" integration molecule "
    fi
    for part in $podman_parts; do
        case $part in
            integration|molecule) ;;
            *) record_failure podman 0 "unknown part '$part' in PODMAN_PARTS (it takes integration, molecule)" ;;
        esac
    done
    [[ $podman_parts == *" integration "* ]] && podman_integration
    [[ $podman_parts == *" molecule "* ]] && podman_molecule
fi

echo
echo "== results (total $(fmt_time $((SECONDS - T_START))), logs and junit in tests/output/)"
for line in "${RESULTS[@]}"; do echo "   $line"; done
echo "summary: $TOTAL_PASSED passed, $TOTAL_FAILED failed"
[ "$TOTAL_FAILED" -eq 0 ]
