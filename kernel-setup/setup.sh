#!/usr/bin/env bash
# Sets up, checks and explains the Jupyter side of this repository (see kernel-setup/README.md).
#
#   kernel-setup/setup.sh [--notebook] [--check-only]
#
#   1. Jupyter: installs Debian's jupyter-nbconvert (enough to execute notebooks) when
#      `jupyter nbconvert` is missing; --notebook also installs jupyter-notebook (the interactive
#      server). Needs root; otherwise it prints the command to run.
#   2. Font: DejaVu Sans (fonts-dejavu-core), which the PNG renderer uses for the text in figures.
#   3. node_modules/sparsing-law -> .. so notebooks can `import ... from "sparsing-law"`.
#   4. Checks that the committed tslab kernelspec is found and that a kernel starts, runs
#      TypeScript and imports the library (after `npm run build`).
#   5. Prints how to open the notebooks.
# --check-only installs nothing (steps 3-5 still run). Exit status: 0 when everything checks out.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WANT_NOTEBOOK=0
CHECK_ONLY=0
for a in "$@"; do
  case "$a" in
    --notebook) WANT_NOTEBOOK=1 ;;
    --check-only) CHECK_ONLY=1 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

export JUPYTER_PATH="$ROOT/kernel-setup/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export PATH="$ROOT/node_modules/.bin:$PATH"
PROBLEMS=0
ok() { echo "  ok    $*"; }
todo() { echo "  TODO  $*"; PROBLEMS=$((PROBLEMS + 1)); }

SUDO=""
CAN_APT=0
if command -v apt-get >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then CAN_APT=1
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then CAN_APT=1; SUDO="sudo"
  fi
fi
[[ $CHECK_ONLY -eq 1 ]] && CAN_APT=0
APT_UPDATED=0
apt_install() { # apt_install PKG... ; returns non-zero when it could not
  if [[ $CAN_APT -ne 1 ]]; then return 1; fi
  if [[ $APT_UPDATED -eq 0 ]]; then $SUDO apt-get update -qq >/dev/null && APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

echo "Node and tslab"
if command -v node >/dev/null 2>&1 && node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)'; then
  ok "node $(node --version)"
else
  todo "Node.js 20 or newer is needed"
fi
if [[ -x "$ROOT/node_modules/.bin/tslab" ]]; then
  ok "tslab $(tslab --version 2>/dev/null | sed 's/^tslab //')"
else
  todo "node_modules/.bin/tslab missing: run npm ci in $ROOT"
fi

echo "Jupyter"
if jupyter nbconvert --version >/dev/null 2>&1; then
  ok "jupyter nbconvert $(jupyter nbconvert --version 2>/dev/null) ($(command -v jupyter))"
elif apt_install jupyter-nbconvert && jupyter nbconvert --version >/dev/null 2>&1; then
  ok "installed jupyter-nbconvert $(jupyter nbconvert --version 2>/dev/null) from Debian"
else
  todo "jupyter nbconvert missing: run  sudo apt-get install -y jupyter-nbconvert  (or: pip install nbconvert)"
fi
if jupyter notebook --version >/dev/null 2>&1; then
  ok "jupyter notebook $(jupyter notebook --version 2>/dev/null)"
elif [[ $WANT_NOTEBOOK -eq 1 ]] && apt_install jupyter-notebook && jupyter notebook --version >/dev/null 2>&1; then
  ok "installed jupyter-notebook from Debian"
else
  echo "  note  no interactive server: sudo apt-get install -y jupyter-notebook (or this script with --notebook), or pip install jupyterlab"
fi

echo "Font for figures"
font_ok() { [[ -n "${SPARSING_FONT:-}" && -f "${SPARSING_FONT:-}" ]] || fc-list 2>/dev/null | grep -q 'DejaVu Sans' || [[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]]; }
if font_ok; then
  ok "DejaVu Sans (or SPARSING_FONT) present"
elif apt_install fonts-dejavu-core && font_ok; then
  ok "installed fonts-dejavu-core"
else
  todo "no DejaVu Sans: run  sudo apt-get install -y fonts-dejavu-core  (or set SPARSING_FONT=/path/to/font.ttf); PNG figures would have no text"
fi

echo "Library import by package name"
if [[ -d "$ROOT/node_modules" ]] && node "$ROOT/scripts/link-self.cjs" >/dev/null; then
  ok "node_modules/sparsing-law -> .."
else
  todo "could not link node_modules/sparsing-law (run npm ci first)"
fi
HAVE_DIST=0
# The kernel check imports the compiled library: on a fresh clone build it first (npm run build is
# what `npm test` and `npm run reproduce` run anyway).
if [[ ! -f "$ROOT/dist/lib/index.js" && -d "$ROOT/node_modules" && $CHECK_ONLY -eq 0 ]]; then
  echo "  ...   dist/lib missing: npm run build"
  (cd "$ROOT" && npm run --silent build) || true
fi
if [[ -f "$ROOT/dist/lib/index.js" ]]; then HAVE_DIST=1; ok "dist/lib built"; else todo "dist/lib/index.js missing: run npm run build"; fi

echo "Kernel"
KDIR="$ROOT/kernel-setup/jupyter/kernels/tslab"
if [[ -f "$KDIR/kernel.json" ]]; then ok "kernelspec tslab in $KDIR (JUPYTER_PATH)"; else todo "missing $KDIR/kernel.json"; fi
if jupyter nbconvert --version >/dev/null 2>&1 && [[ -x "$ROOT/node_modules/.bin/tslab" ]]; then
  # A throw-away notebook inside the repository, so the kernel resolves modules as notebooks/ does.
  CHECK_DIR="$(mktemp -d "$ROOT/.kernel-check.XXXXXX")"
  trap 'rm -rf "$CHECK_DIR"' EXIT
  IMPORT_CELL='console.log(\"no dist/: import skipped\")'
  if [[ $HAVE_DIST -eq 1 ]]; then
    IMPORT_CELL='import * as lib from \"sparsing-law\";\nconsole.log(`sparsing-law exports ${Object.keys(lib).length} names`);'
  fi
  cat >"$CHECK_DIR/check.ipynb" <<EOF
{"cells": [
 {"cell_type": "code", "id": "c1", "execution_count": null, "metadata": {}, "outputs": [],
  "source": "import * as tslab from \"tslab\";\nconst n: number = 6 * 7;\nconsole.log(\`tslab \${tslab.versions.tslab}, TypeScript \${tslab.versions.typescript}, node \${tslab.versions.node}: \${n}\`);"},
 {"cell_type": "code", "id": "c2", "execution_count": null, "metadata": {}, "outputs": [],
  "source": "$IMPORT_CELL"}],
 "metadata": {"kernelspec": {"name": "tslab", "display_name": "TypeScript (tslab)", "language": "typescript"}},
 "nbformat": 4, "nbformat_minor": 5}
EOF
  start=$SECONDS
  if jupyter nbconvert --to notebook --execute --ExecutePreprocessor.kernel_name=tslab \
      --ExecutePreprocessor.timeout=120 --ExecutePreprocessor.startup_timeout=60 \
      --output-dir "$CHECK_DIR/out" "$CHECK_DIR/check.ipynb" >"$CHECK_DIR/log" 2>&1; then
    out="$(node -e '
      const nb = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
      for (const c of nb.cells) for (const o of c.outputs) if (o.text) process.stdout.write([].concat(o.text).join(""));
    ' "$CHECK_DIR/out/check.ipynb")"
    if grep -q ': 42$' <<<"$out"; then
      ok "kernel started and ran 2 cells in $((SECONDS - start)) s:"
    else
      todo "the kernel ran but printed something unexpected:"
    fi
    echo "$out" | sed 's/^/          /'
  else
    todo "the tslab kernel did not run the check notebook; log:"
    tail -n 25 "$CHECK_DIR/log" | sed 's/^/          /'
  fi
else
  todo "kernel not checked (needs jupyter nbconvert and tslab)"
fi

cat <<EOF

How to use it (from $ROOT):
  Run every notebook headlessly:   scripts/run-notebooks.sh          (SPARSING_PROFILE=smoke ... for the quick profile)
  Interactive, classic Notebook:   JUPYTER_PATH=\$PWD/kernel-setup/jupyter PATH=\$PWD/node_modules/.bin:\$PATH jupyter notebook notebooks/
  Interactive, JupyterLab:         pip install jupyterlab, then the same line with 'jupyter lab'
  Pick the kernel "TypeScript (tslab)". Details: kernel-setup/README.md
EOF
if [[ $PROBLEMS -gt 0 ]]; then echo; echo "setup.sh: $PROBLEMS thing(s) to do (TODO above)"; exit 1; fi
echo; echo "setup.sh: all checks passed"
