# The mix of portal paths the load scripts replay (sourced by bench/mixed-load.sh and
# bench/cluster-load.sh): from the running portal at $base, two powiaty of every województwo
# and two gminy of each, then unit cards (both languages), indicator pages, reports (HTML and
# PDF) and API calls (JSON, CSV, XLSX, compare) over them and twelve catalogue indicators.
# Sets the arrays `gminy`, `powiaty`, `indicators`, `paths` and the strings `woj` and `inds` (the
# first five indicators, comma-separated); needs `die`.
fetch() { curl -sf --max-time 60 "$base$1"; }
discover_paths() {
    woj="$(fetch / | grep -oE 'href="/jst/[0-9]{2}"' | grep -oE '[0-9]+' | sort -u)"
    gminy=()
    powiaty=()
    local w p g i page
    for w in $woj; do
        page="$(fetch "/jst/$w")"
        mapfile -t -O "${#powiaty[@]}" powiaty < <(grep -oE 'href="/jst/[0-9]{4}"' <<<"$page" | grep -oE '[0-9]+' | sort -u | head -n 2)
    done
    for p in "${powiaty[@]}"; do
        mapfile -t -O "${#gminy[@]}" gminy < <(fetch "/jst/$p" | grep -oE 'href="/jst/[0-9]{7}"' | grep -oE '[0-9]+' | sort -u | head -n 2)
    done
    [[ ${#gminy[@]} -gt 0 ]] || die "no gmina links found"
    mapfile -t indicators < <(grep -oE '^code *= *"[A-Z0-9_]+"' catalogue/indicators.toml | grep -oE '"[^"]+"' | tr -d '"' | head -n 12)
    inds="$(IFS=,; echo "${indicators[*]:0:5}")"
    paths=()
    for g in "${gminy[@]}"; do paths+=("/jst/$g" "/jst/$g?lang=en"); done
    for p in "${powiaty[@]}"; do paths+=("/jst/$p"); done
    for i in "${indicators[@]}"; do paths+=("/wskaznik/$i"); done
    for g in "${gminy[@]:0:8}"; do paths+=("/raport/$g?format=pdf" "/raport/$g"); done
    for w in $woj; do
        paths+=("/api/v1/data?indicators=$inds&unit=$w&years=last" \
            "/api/v1/data?indicators=$inds&unit=$w&years=last&format=csv" \
            "/api/v1/data?indicators=$inds&unit=$w&years=last&format=xlsx" \
            "/api/v1/compare?unit=${gminy[0]}&indicator=${indicators[0]}")
    done
    paths+=("/analiza?wskazniki=$inds" "/api/v1/indicators" "/obszar")
}
