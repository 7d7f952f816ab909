# Helpers for scripts/bench (sourced, not run).

# measure NAME CMD... -- OK_CODES...
# Runs CMD with stdout discarded under /usr/bin/time; sets NAME_secs (wall seconds), NAME_cpu_secs
# (user + system CPU seconds: the per-core figure, steady even when other work shares the machine)
# and NAME_rss_kb (peak resident set, KiB). Fails the bench when CMD exits with a code not in OK_CODES.
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
    /usr/bin/time -f "%e %U %S %M" -o "$timing" "${cmd[@]}" > /dev/null 2> "$stderr_file" || status=$?
    local accepted=0 code
    for code in "${ok[@]}"; do [ "$status" -eq "$code" ] && accepted=1; done
    if [ "$accepted" -eq 0 ]; then
        echo "bench: ${cmd[*]} exited with $status:" >&2
        tail -n 20 "$stderr_file" >&2
        rm -f "$timing" "$stderr_file"
        exit 1
    fi
    local secs user sys rss
    # The last line holds the figures (time prints "Command exited with non-zero status" first).
    read -r secs user sys rss < <(tail -n 1 "$timing")
    rm -f "$timing" "$stderr_file"
    printf -v "${name}_secs" '%s' "$secs"
    printf -v "${name}_cpu_secs" '%s' "$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.2f", u+s}')"
    printf -v "${name}_rss_kb" '%s' "$rss"
}

# report_line LABEL SECONDS CPU_SECONDS RSS_KB BYTES: one aligned result line with throughput, by
# wall time and per core (by CPU time).
report_line() {
    awk -v l="$1" -v s="$2" -v c="$3" -v k="$4" -v b="$5" 'BEGIN{
        mbs = (s > 0) ? b / 1e6 / s : 0
        mbc = (c > 0) ? b / 1e6 / c : 0
        printf "%-38s %7.2f s wall %8.1f MB/s | %7.2f s CPU %8.1f MB/s/core | peak RSS %7.1f MB\n", l, s, mbs, c, mbc, k / 1024 }'
}
