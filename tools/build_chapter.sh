#!/usr/bin/env bash
# Build one chapter (with the bibliography) strictly, into its own folder, leaving the full book's _build alone:
#   tools/build_chapter.sh book/04_vae.ipynb      ->  _build/chapter-04_vae/_build/html/book/04_vae.html
set -euo pipefail
nb=${1:?usage: tools/build_chapter.sh book/NAME.ipynb}
stem=$(basename "${nb%.ipynb}")
out=${OUT_DIR:-_build/chapter-$stem}
mkdir -p "$out"
rm -rf "$out/_build/html" "$out/_build/.doctrees"  # a fresh read, so every warning shows again
cat > "$out/_toc.yml" <<TOC
format: jb-book
root: book/$stem
chapters:
  - file: book/bibliography
TOC
export UNSUP_PROGRESS=${UNSUP_PROGRESS:-0} MPLBACKEND=Agg
.venv/bin/jupyter-book build -W --keep-going -n --toc "$out/_toc.yml" --path-output "$out" .
echo "page: $(cd "$out" && pwd)/_build/html/book/$stem.html"
