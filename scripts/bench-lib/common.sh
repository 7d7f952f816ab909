# Helpers for scripts/bench (sourced, not run).

# measure NAME CMD... -- OK_CODES...
# Runs CMD with stdout discarded under /usr/bin/time; sets NAME_secs (wall seconds) and NAME_rss_kb
# (peak resident set, KiB). Fails the bench when CMD exits with a code not in OK_CODES.
measure() {
    local name="$1"; shift
    local cmd=() ok=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do cmd+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    ok=("$@")
    [ ${#ok[@]} -gt 0 ] || ok=(0)
    local timing stderr_file status=0
    timing=$(mktemp)
    stderr_file=$(mktemp)
    /usr/bin/time -f "%e %M" -o "$timing" "${cmd[@]}" > /dev/null 2> "$stderr_file" || status=$?
    local accepted=0 code
    for code in "${ok[@]}"; do [ "$status" -eq "$code" ] && accepted=1; done
    if [ "$accepted" -eq 0 ]; then
        echo "bench: ${cmd[*]} exited with $status:" >&2
        tail -n 20 "$stderr_file" >&2
        rm -f "$timing" "$stderr_file"
        exit 1
    fi
    local secs rss
    # The last line holds the figures (time prints "Command exited with non-zero status" first).
    read -r secs rss < <(tail -n 1 "$timing")
    rm -f "$timing" "$stderr_file"
    printf -v "${name}_secs" '%s' "$secs"
    printf -v "${name}_rss_kb" '%s' "$rss"
}

# report_line LABEL SECONDS RSS_KB BYTES: one aligned result line with throughput.
report_line() {
    awk -v l="$1" -v s="$2" -v k="$3" -v b="$4" 'BEGIN{
        mbs = (s > 0) ? b / 1e6 / s : 0
        printf "%-40s %8.2f s %9.1f MB/s  peak RSS %8.1f MB\n", l, s, mbs, k / 1024 }'
}
