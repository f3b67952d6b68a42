/* What the streaming benchmark's C programs (floor.c, sse-client.c) share: clocks, CPU time, and
 * percentiles ranked as the Java client ranks them. */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* This process's CPU time so far, user and system, in seconds. */
static double cpu_seconds(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec +
         r.ru_stime.tv_usec / 1e6;
}

static void die(const char *what) {
  perror(what);
  exit(2);
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The same rank rule as the Java client: ceil(p/100 * n) - 1. */
static double pct(const double *sorted, long n, double p) {
  if (n == 0) return -1;
  long i = (long)((p / 100.0) * n + 0.999999999) - 1;
  if (i < 0) i = 0;
  if (i >= n) i = n - 1;
  return sorted[i];
}

/* Sorts `values` and prints them as a JSON member: "name": {"p50": .., "p90": .., "p99": .., "max": ..} */
static void print_percentiles(const char *name, double *values, long n) {
  qsort(values, n, sizeof(double), by_value);
  printf("\"%s\": {\"p50\": %.2f, \"p90\": %.2f, \"p99\": %.2f, \"max\": %.2f}", name,
         pct(values, n, 50), pct(values, n, 90), pct(values, n, 99), n ? values[n - 1] : -1.0);
}

#endif
