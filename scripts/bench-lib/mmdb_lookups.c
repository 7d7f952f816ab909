/* N lookups of a fixed address list with libmaxminddb: MMDB_lookup_string, then MMDB_get_value
 * for the country code, as a program using the C library would do it. The peer figure for
 * scripts/bench-lookups.
 *
 * usage: mmdb_lookups DATABASE.mmdb ADDRESSES.txt ROUNDS [FIELD...]
 * FIELD defaults to the path "country_code" (ip-location-db layout); pass "country iso_code"
 * for a GeoIP2 database. Prints the rate per second of this thread's CPU time (the per-core
 * figure, which other processes on a shared machine barely move) and of wall-clock time. */
#define _POSIX_C_SOURCE 200809L
#include <maxminddb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s DATABASE.mmdb ADDRESSES.txt ROUNDS [FIELD...]\n", argv[0]);
        return 2;
    }
    MMDB_s mmdb;
    int status = MMDB_open(argv[1], MMDB_MODE_MMAP, &mmdb);
    if (status != MMDB_SUCCESS) {
        fprintf(stderr, "%s: %s\n", argv[1], MMDB_strerror(status));
        return 2;
    }
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        perror(argv[2]);
        return 2;
    }
    size_t cap = 1024, n = 0;
    char **addresses = malloc(cap * sizeof *addresses);
    char *line = NULL;
    size_t line_cap = 0;
    ssize_t len;
    while ((len = getline(&line, &line_cap, f)) > 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = 0;
        if (len == 0) continue;
        if (n == cap) {
            cap *= 2;
            addresses = realloc(addresses, cap * sizeof *addresses);
        }
        addresses[n++] = strdup(line);
    }
    free(line);
    fclose(f);
    long rounds = atol(argv[3]);
    const char *default_path[] = {"country_code", NULL};
    const char **path = default_path;
    if (argc > 4) path = (const char **)&argv[4];

    unsigned long found = 0, checksum = 0;
    double start = now(CLOCK_MONOTONIC), cpu_start = now(CLOCK_THREAD_CPUTIME_ID);
    for (long r = 0; r < rounds; r++) {
        for (size_t i = 0; i < n; i++) {
            int gai_error = 0, mmdb_error = 0;
            MMDB_lookup_result_s result = MMDB_lookup_string(&mmdb, addresses[i], &gai_error, &mmdb_error);
            if (gai_error != 0 || mmdb_error != MMDB_SUCCESS || !result.found_entry) continue;
            MMDB_entry_data_s data;
            if (MMDB_aget_value(&result.entry, &data, path) == MMDB_SUCCESS && data.has_data &&
                data.type == MMDB_DATA_TYPE_UTF8_STRING && data.data_size >= 2) {
                found++;
                checksum += (unsigned char)data.utf8_string[0] * 256u + (unsigned char)data.utf8_string[1];
            }
        }
    }
    double elapsed = now(CLOCK_MONOTONIC) - start, cpu = now(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
    double total = (double)n * (double)rounds;
    printf("libmaxminddb %s: %.0f lookups in %.3f s CPU: %.2f M lookups/s (CPU time; wall clock %.2f) (found %lu, checksum %lu)\n",
           MMDB_lib_version(), total, cpu, total / cpu / 1e6, total / elapsed / 1e6, found, checksum);
    MMDB_close(&mmdb);
    return 0;
}
