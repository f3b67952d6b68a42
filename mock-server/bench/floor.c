/*
 * The machine's floor for the streaming benchmark: the same events on the same schedule (N streams
 * started over a ramp, a first event after TTFT, then one every ITL), written by the least a
 * program can do (one write() of a 200-byte record per event, on connections opened beforehand,
 * woken by a 1 ms tick like the server's pacer) and read by the least a client can do (one epoll
 * loop, one read() per ready socket). No HTTP, no JVM. What this shows, on the same cores, is what
 * no server and no client could do better than here.
 *
 * Prints one JSON line: TTFT and inter-token percentiles (ms, as the Java client counts them), and
 * each side's CPU per event (us) and in cores over the run.
 *
 * Usage: floor STREAMS TTFT_MS ITL_MS TOKENS RAMP_MS
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define RECORD 200

typedef struct {
  int32_t stream;
  int32_t event;
} header_t;

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: floor STREAMS TTFT_MS ITL_MS TOKENS RAMP_MS\n");
    return 2;
  }
  int streams = atoi(argv[1]);
  int64_t ttft = (int64_t)(atof(argv[2]) * 1e6), itl = (int64_t)(atof(argv[3]) * 1e6);
  int tokens = atoi(argv[4]);
  int64_t ramp = (int64_t)(atof(argv[5]) * 1e6);
  long events = (long)streams * tokens;

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in address = {0};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (listener < 0 || bind(listener, (void *)&address, sizeof address) ||
      listen(listener, 4096) || getsockname(listener, (void *)&address, &length))
    die("listen");
  int *reading = malloc(streams * sizeof(int)), *writing = malloc(streams * sizeof(int));
  int one = 1;
  for (int s = 0; s < streams; s++) {
    reading[s] = socket(AF_INET, SOCK_STREAM, 0);
    if (reading[s] < 0 || connect(reading[s], (void *)&address, sizeof address)) die("connect");
    writing[s] = accept(listener, NULL, NULL);
    if (writing[s] < 0) die("accept");
    setsockopt(writing[s], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(reading[s], IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  /* Arrival times, shared with the reader process; the run starts 200 ms from now for both. */
  int64_t *arrival = mmap(NULL, events * sizeof(int64_t), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  double *reader_cpu = mmap(NULL, sizeof(double), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (arrival == MAP_FAILED || reader_cpu == MAP_FAILED) die("mmap");
  memset(arrival, 0, events * sizeof(int64_t));
  int64_t start = now_ns() + 200000000;

  pid_t reader = fork();
  if (reader < 0) die("fork");
  if (reader == 0) {
    int poll = epoll_create1(0);
    for (int s = 0; s < streams; s++) {
      struct epoll_event watch = {.events = EPOLLIN, .data.u32 = (uint32_t)s};
      if (epoll_ctl(poll, EPOLL_CTL_ADD, reading[s], &watch)) die("epoll_ctl");
    }
    /* Bytes of a record not yet complete, per stream (a read may end mid-record). */
    int *partial = calloc(streams, sizeof(int));
    char (*pending)[RECORD] = calloc(streams, RECORD);
    char buffer[64 * 1024];
    struct epoll_event ready[256];
    long received = 0;
    double cpu_before = cpu_seconds();
    int64_t deadline = start + ramp + ttft + tokens * itl + 30000000000LL;
    while (received < events && now_ns() < deadline) {
      int count = epoll_wait(poll, ready, 256, 1000);
      for (int i = 0; i < count; i++) {
        int s = (int)ready[i].data.u32;
        ssize_t got = read(reading[s], buffer, sizeof buffer);
        int64_t at = now_ns();
        for (ssize_t from = 0; from < got;) {
          int take = RECORD - partial[s];
          if (take > got - from) take = (int)(got - from);
          memcpy(pending[s] + partial[s], buffer + from, take);
          partial[s] += take;
          from += take;
          if (partial[s] == RECORD) {
            header_t h;
            memcpy(&h, pending[s], sizeof h);
            arrival[(long)h.stream * tokens + h.event] = at;
            partial[s] = 0;
            received++;
          }
        }
      }
    }
    *reader_cpu = cpu_seconds() - cpu_before;
    _exit(0);
  }

  /* The writer: every tick, each started stream writes the events that are due. */
  int *next = calloc(streams, sizeof(int));
  char record[RECORD];
  memset(record, 'x', sizeof record);
  double cpu_before = cpu_seconds();
  int first_open = 0;
  long written = 0;
  while (first_open < streams) {
    int64_t now = now_ns();
    for (int s = first_open; s < streams; s++) {
      int64_t begun = start + ramp * s / streams;
      if (begun > now) break;
      while (next[s] < tokens && begun + ttft + next[s] * itl <= now) {
        header_t h = {s, next[s]};
        memcpy(record, &h, sizeof h);
        if (write(writing[s], record, RECORD) != RECORD) die("write");
        next[s]++;
        written++;
      }
      if (s == first_open && next[s] == tokens) first_open++;
    }
    struct timespec tick = {0, 1000000};
    nanosleep(&tick, NULL);
  }
  double writer_cpu = cpu_seconds() - cpu_before;
  double wall = (now_ns() - start) / 1e9;
  waitpid(reader, NULL, 0);

  double *first = malloc(streams * sizeof(double)), *gaps = malloc(events * sizeof(double));
  long firsts = 0, gap_count = 0, arrived = 0;
  for (int s = 0; s < streams; s++) {
    int64_t *times = arrival + (long)s * tokens;
    if (times[0]) first[firsts++] = (times[0] - (start + ramp * s / streams)) / 1e6;
    for (int e = 0; e < tokens; e++) {
      arrived += times[e] != 0;
      if (e > 0 && times[e] && times[e - 1]) gaps[gap_count++] = (times[e] - times[e - 1]) / 1e6;
    }
  }
  printf("{\"streams\": %d, \"events\": %ld, \"arrived\": %ld, \"wall_s\": %.2f, ", streams,
         written, arrived, wall);
  print_percentiles("ttft_ms", first, firsts);
  printf(", ");
  print_percentiles("itl_ms", gaps, gap_count);
  printf(", \"writer_us_per_event\": %.2f, \"reader_us_per_event\": %.2f, "
         "\"writer_cores\": %.2f, \"reader_cores\": %.2f}\n",
         writer_cpu / written * 1e6, *reader_cpu / written * 1e6, writer_cpu / wall,
         *reader_cpu / wall);
  return arrived == events ? 0 : 1;
}
