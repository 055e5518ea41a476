#!/usr/bin/env bash
# The house's one-way arrows (docs/design.md): every #include "crossq/<part>/..." in
# include/crossq/<part>/ and src/<part>/ must name a part that <part> may use. Prints each
# forbidden arrow as file: part -> other (the include) and exits 1 if there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
declare -A may=(
  [core]="core"
  [nn]="nn core"
  [agents]="agents nn core"
  [tasks]="tasks core"
  [train]="train agents nn tasks core"
  [report]="report core"
  [cli]="cli train agents nn tasks report core"
)
bad=0 files=0
for part in "${!may[@]}"; do
  for dir in "include/crossq/$part" "src/$part"; do
    [ -d "$dir" ] || continue
    while IFS= read -r file; do
      files=$((files + 1))
      while IFS= read -r other; do
        case " ${may[$part]} " in
          *" $other "*) ;;
          *) echo "$file: $part -> $other (#include \"crossq/$other/...\")"; bad=1 ;;
        esac
      done < <(grep -oE '^#include "crossq/[a-z_]+/' "$file" | sed -E 's|.*crossq/([a-z_]+)/|\1|' | sort -u)
    done < <(find "$dir" -type f \( -name '*.h' -o -name '*.cc' -o -name '*.h.in' \))
  done
done
# every header and source file lives in a part
stray=$(find include/crossq src -maxdepth 1 -type f \( -name '*.h' -o -name '*.cc' \) | sort)
if [ -n "$stray" ]; then echo "files outside the parts (move them into a part's folder):"; echo "$stray"; bad=1; fi
[ "$bad" = 0 ] && echo "check-includes: $files files, every include follows the plan"
exit "$bad"
