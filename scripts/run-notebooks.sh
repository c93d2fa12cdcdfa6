#!/usr/bin/env bash
# Executes notebooks headlessly on the repository's tslab kernel and fails if any cell fails.
#
#   scripts/run-notebooks.sh [--out DIR] [--timeout SEC] [--fail-fast] [--overwrite-committed] [NOTEBOOK.ipynb ...]
#
# Default: every notebooks/*.ipynb, executed IN PLACE, so the committed notebooks carry the
# outputs of the last full run and read well on GitHub. A notebook is rewritten only when all its
# cells succeed; one that fails keeps its previous outputs and the cell's error is printed here.
# In place, the committed outputs never silently change profile: the profile (SPARSING_PROFILE,
# default `default`) must be the one recorded in each notebook's metadata, the notebooks may not
# fall back to computing `smoke` (SPARSING_NO_FALLBACK=1), and figures are embedded as PNG only
# (SPARSING_STATIC_FIGURES=1), written as files under notebooks/figures and linked from the outputs
# (SPARSING_FIGURES_DIR). --overwrite-committed allows another profile's outputs in place.
# --out DIR writes the executed copies to DIR instead and leaves notebooks/ untouched (for CI, or
# to try the smoke profile without replacing the committed default-profile outputs).
# Executed notebooks get their execution counts (tslab's replies carry none) and the profile in
# their metadata (sparsing_law.profile).
# --timeout SEC is the limit per cell (default $NOTEBOOK_CELL_TIMEOUT, else 1800).
# The environment passes through to the kernels, e.g.
#   SPARSING_PROFILE=smoke scripts/run-notebooks.sh --out /tmp/executed
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT=""
TIMEOUT="${NOTEBOOK_CELL_TIMEOUT:-1800}"
FAIL_FAST=0
OVERWRITE=0
NOTEBOOKS=()

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    --out=*) OUT="${1#--out=}"; shift ;;
    --timeout) TIMEOUT="$2"; shift 2 ;;
    --timeout=*) TIMEOUT="${1#--timeout=}"; shift ;;
    --fail-fast) FAIL_FAST=1; shift ;;
    --overwrite-committed) OVERWRITE=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "run-notebooks: unknown option $1" >&2; usage >&2; exit 2 ;;
    *) NOTEBOOKS+=("$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"); shift ;;
  esac
done

if [[ ${#NOTEBOOKS[@]} -eq 0 ]]; then
  shopt -s nullglob
  NOTEBOOKS=("$ROOT"/notebooks/*.ipynb)
  shopt -u nullglob
  if [[ ${#NOTEBOOKS[@]} -eq 0 ]]; then echo "run-notebooks: no notebooks in $ROOT/notebooks" >&2; exit 1; fi
fi

# The kernel: our committed kernelspec, which runs `tslab` from node_modules/.bin.
export JUPYTER_PATH="$ROOT/kernel-setup/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export PATH="$ROOT/node_modules/.bin:$PATH"

if ! command -v jupyter >/dev/null 2>&1 || ! jupyter nbconvert --version >/dev/null 2>&1; then
  echo "run-notebooks: jupyter nbconvert not found; run kernel-setup/setup.sh (or apt-get install jupyter-nbconvert)" >&2
  exit 1
fi
if [[ ! -x "$ROOT/node_modules/.bin/tslab" ]]; then
  echo "run-notebooks: node_modules/.bin/tslab missing; run npm ci" >&2
  exit 1
fi
if [[ ! -f "$ROOT/dist/lib/index.js" ]]; then
  echo "run-notebooks: dist/lib/index.js missing; run npm run build" >&2
  exit 1
fi
# Notebooks import the library as "sparsing-law": make sure node_modules/sparsing-law -> ..
node "$ROOT/scripts/link-self.cjs"

ARGS=(--config "$ROOT/kernel-setup/nbconvert_config.py"
  --to notebook --execute
  --ExecutePreprocessor.kernel_name=tslab
  --ExecutePreprocessor.timeout="$TIMEOUT"
  --ExecutePreprocessor.startup_timeout=120
  --ExecutePreprocessor.record_timing=False)
PROFILE="${SPARSING_PROFILE:-default}"
# Reads or writes notebook metadata with the python3 that jupyter runs on.
nb_profile() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("metadata",{}).get("sparsing_law",{}).get("profile",""))' "$1"; }
# Execution counts in cell order (one kernel ran them in that order) and the profile in the metadata.
nb_stamp() {
  python3 - "$1" "$PROFILE" <<'PY'
import json, sys
path, profile = sys.argv[1], sys.argv[2]
nb = json.load(open(path))
n = 0
for c in nb["cells"]:
    if c["cell_type"] != "code":
        continue
    n += 1
    c["execution_count"] = n
    for o in c.get("outputs", []):
        if o.get("output_type") == "execute_result":
            o["execution_count"] = n
nb.setdefault("metadata", {})["sparsing_law"] = {"profile": profile}
with open(path, "w") as f:
    json.dump(nb, f, indent=1, ensure_ascii=False)
    f.write("\n")
PY
}
if [[ -n "$OUT" ]]; then
  mkdir -p "$OUT"
  OUT="$(cd "$OUT" && pwd)"
  ARGS+=(--output-dir "$OUT")
else
  ARGS+=(--inplace)
  if [[ $OVERWRITE -eq 0 ]]; then
    for nb in "${NOTEBOOKS[@]}"; do
      committed="$(nb_profile "$nb")"
      if [[ -n "$committed" && "$committed" != "$PROFILE" ]]; then
        echo "run-notebooks: ${nb#"$ROOT"/} shows the '$committed' profile; running it in place with '$PROFILE' would replace those outputs." >&2
        echo "  use --out DIR to try another profile, or --overwrite-committed to replace them on purpose" >&2
        exit 2
      fi
    done
    export SPARSING_NO_FALLBACK=1
  fi
  export SPARSING_STATIC_FIGURES="${SPARSING_STATIC_FIGURES:-1}"
fi
# Figures go to files next to the notebooks (notebooks/figures, or DIR/figures), linked from the
# outputs, so that committed notebooks stay small; files no notebook links any more are removed.
FIGURES="${OUT:-$ROOT/notebooks}/figures"
export SPARSING_FIGURES_DIR="${SPARSING_FIGURES_DIR:-$FIGURES}"
export SPARSING_FIGURES_LINK_FROM="$(dirname "$SPARSING_FIGURES_DIR")"   # where the executed notebooks are written
prune_figures() {
  python3 - "$SPARSING_FIGURES_DIR" "$(dirname "$SPARSING_FIGURES_DIR")" <<'PY'
import glob, os, sys
figures, notebooks = sys.argv[1], sys.argv[2]
text = "".join(open(f).read() for f in glob.glob(os.path.join(notebooks, "*.ipynb")))
for f in glob.glob(os.path.join(figures, "*.png")):
    if os.path.basename(f) not in text:
        os.remove(f)
PY
}

echo "run-notebooks: ${#NOTEBOOKS[@]} notebook(s), per-cell timeout ${TIMEOUT}s, profile $PROFILE, output ${OUT:-in place}"
FAILED=()
START_ALL=$SECONDS
LOG="$(mktemp)"
trap 'rm -f "$LOG"' EXIT
for nb in "${NOTEBOOKS[@]}"; do
  rel="${nb#"$ROOT"/}"
  start=$SECONDS
  echo "── $rel"
  # The kernel starts in the notebook's folder (nbconvert sets it), so imports resolve as they do
  # interactively. On failure nbconvert's stderr ends with the failing cell and its error; tslab
  # reports compile errors and console output as cell output, shown above the error here.
  if jupyter nbconvert "${ARGS[@]}" "$nb" >"$LOG" 2>&1; then
    if [[ -n "$OUT" ]]; then nb_stamp "$OUT/$(basename "$nb")"; else nb_stamp "$nb"; fi
    echo "   ok ($((SECONDS - start)) s)"
  else
    # Keep the failing cell, its output (printed by the config's hook) and the error; skip Python's
    # traceback through nbconvert itself.
    if grep -q -e '^----- output of failing cell' -e '^nbclient\.exceptions\.' "$LOG"; then
      awk '/^----- output of failing cell/{p=1} p{print} /^----- end of cell output/{p=0}
           /^nbclient\.exceptions\./{q=1} q{print}' "$LOG" | sed 's/^/   /' >&2
    else
      tail -n 40 "$LOG" | sed 's/^/   /' >&2
    fi
    echo "   FAILED ($((SECONDS - start)) s)" >&2
    FAILED+=("$rel")
    if [[ $FAIL_FAST -eq 1 ]]; then break; fi
  fi
done

prune_figures
echo "run-notebooks: $(( ${#NOTEBOOKS[@]} - ${#FAILED[@]} )) ok, ${#FAILED[@]} failed, $((SECONDS - START_ALL)) s"
if [[ ${#FAILED[@]} -gt 0 ]]; then
  printf '  failed: %s\n' "${FAILED[@]}" >&2
  exit 1
fi
