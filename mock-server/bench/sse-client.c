/*
 * A measuring client for streaming chat calls that takes as little of a shared machine as it can:
 * one thread, one epoll loop, one read() per ready socket, no allocation per event. It opens one
 * keep-alive connection per stream before the first round, then starts each round's streams over
 * a ramp, and times each event as its bytes come off the socket. Warm-up rounds first (for the
 * server's JIT), then one measured round.
 *
 * Counts as the Java client (StreamingBenchmark) does: TTFT from the request written to the first
 * event with "content", the inter-token gaps between such events, a stream complete when it has
 * sent [DONE] and ended its chunked body. Also the server's CPU over the measured round, by
 * thread group (pacer, jetty, jit, gc, other) and how long its threads waited for a core.
 *
 * Prints one JSON line. Usage: sse-client HOST PORT KEY STREAMS RAMP_MS WARMUPS SERVER_PID
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define PENDING 16384

typedef struct {
  int fd;
  int64_t sent, headers;
  int64_t *events;
  int count, capacity;
  int headers_read, done, ended, failed;
  int length;
  char pending[PENDING];
} stream_t;

/* ---- the server's CPU, from /proc ---- */

enum { PACER, JETTY, JIT, GC, OTHER, GROUPS };
static const char *GROUP_NAMES[GROUPS] = {"pacer", "jetty", "jit", "gc", "other"};

typedef struct {
  double cpu[GROUPS], waited[GROUPS], user, system;
} server_cpu_t;

static int group_of(const char *name) {
  if (!strncmp(name, "sse-pacer", 9)) return PACER;
  if (!strncmp(name, "qtp", 3)) return JETTY;
  if (!strncmp(name, "C1 ", 3) || !strncmp(name, "C2 ", 3)) return JIT;
  if (name[0] == 'Z' || !strncmp(name, "GC", 2) || !strncmp(name, "G1", 2)) return GC;
  return OTHER;
}

/* utime and stime (clock ticks) from a stat line; the name is between the parentheses. */
static int parse_stat(const char *stat, char *name, size_t size, long *user, long *system) {
  const char *open = strchr(stat, '('), *close = strrchr(stat, ')');
  if (!open || !close) return -1;
  size_t n = (size_t)(close - open - 1);
  if (n >= size) n = size - 1;
  memcpy(name, open + 1, n);
  name[n] = 0;
  /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
  return sscanf(close + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld %ld", user, system) ==
                 2
             ? 0
             : -1;
}

static int read_file(const char *path, char *buffer, size_t size) {
  FILE *file = fopen(path, "r");
  if (!file) return -1;
  size_t n = fread(buffer, 1, size - 1, file);
  fclose(file);
  buffer[n] = 0;
  return 0;
}

static server_cpu_t server_cpu(long pid) {
  server_cpu_t out = {0};
  char path[320], text[1024], name[64];
  long user, system;
  double tick = (double)sysconf(_SC_CLK_TCK);
  snprintf(path, sizeof path, "/proc/%ld/stat", pid);
  if (read_file(path, text, sizeof text) == 0 && parse_stat(text, name, sizeof name, &user, &system) == 0) {
    out.user = user / tick;
    out.system = system / tick;
  }
  snprintf(path, sizeof path, "/proc/%ld/task", pid);
  DIR *tasks = opendir(path);
  if (!tasks) return out;
  for (struct dirent *task; (task = readdir(tasks));) {
    if (task->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "/proc/%ld/task/%s/stat", pid, task->d_name);
    if (read_file(path, text, sizeof text) || parse_stat(text, name, sizeof name, &user, &system))
      continue;
    int group = group_of(name);
    out.cpu[group] += (user + system) / tick;
    snprintf(path, sizeof path, "/proc/%ld/task/%s/schedstat", pid, task->d_name);
    unsigned long long on_core, waiting;
    if (read_file(path, text, sizeof text) == 0 && sscanf(text, "%llu %llu", &on_core, &waiting) == 2)
      out.waited[group] += waiting / 1e9;
  }
  closedir(tasks);
  return out;
}

/* ---- the streams ---- */

static struct sockaddr_in address;

static int connect_to_server(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  if (fd < 0 || connect(fd, (void *)&address, sizeof address)) die("connect");
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* The status line of the first answer that was not a 200, for the message when nothing completes. */
static char refusal[96];

static char *find(char *from, char *to, const char *needle) {
  return memmem(from, (size_t)(to - from), needle, strlen(needle));
}

/* Bytes came at `at`: every event they complete (ended by a blank line) is timed now. */
static void on_bytes(stream_t *s, int64_t at) {
  char *start = s->pending, *end = s->pending + s->length, *from = start;
  if (!s->headers_read) {
    char *blank = find(start, end, "\r\n\r\n");
    if (!blank) return;
    s->headers_read = 1;
    s->headers = at;
    if (strncmp(start, "HTTP/1.1 200", 12) != 0) {
      s->failed = 1;
      if (!refusal[0]) {
        size_t n = strcspn(start, "\r\n");
        snprintf(refusal, sizeof refusal, "%.*s", (int)(n < 80 ? n : 80), start);
      }
      return;
    }
    from = blank + 4;
  }
  for (char *event; (event = find(from, end, "\n\n"));) {
    if (find(from, event, "[DONE]")) {
      s->done = 1;
    } else if (find(from, event, "\"content\"")) {
      if (s->count == s->capacity) {
        s->capacity = s->capacity ? 2 * s->capacity : 64;
        s->events = realloc(s->events, s->capacity * sizeof(int64_t));
      }
      s->events[s->count++] = at;
    }
    from = event + 2;
  }
  if (s->done && find(from, end, "\r\n0\r\n\r\n")) s->ended = 1;
  s->length = (int)(end - from);
  memmove(s->pending, from, s->length);
}

/* A new connection for a stream whose own is closed, or in a state this client cannot follow. */
static void replace_connection(int poll, stream_t *s, uint32_t index) {
  epoll_ctl(poll, EPOLL_CTL_DEL, s->fd, NULL);
  close(s->fd);
  s->fd = connect_to_server();
  struct epoll_event watch = {.events = EPOLLIN, .data.u32 = index};
  if (epoll_ctl(poll, EPOLL_CTL_ADD, s->fd, &watch)) die("epoll_ctl");
}

static void reset(stream_t *s) {
  s->count = s->headers_read = s->done = s->ended = s->failed = s->length = 0;
  s->sent = s->headers = 0;
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: sse-client HOST PORT KEY STREAMS RAMP_MS WARMUPS SERVER_PID\n");
    return 2;
  }
  address.sin_family = AF_INET;
  address.sin_port = htons((uint16_t)atoi(argv[2]));
  if (inet_pton(AF_INET, argv[1], &address.sin_addr) != 1) die("host");
  int streams = atoi(argv[4]), warmups = atoi(argv[6]);
  int64_t ramp = (int64_t)(atof(argv[5]) * 1e6);
  long server = atol(argv[7]);
  const char *body = "{\"messages\":[{\"role\":\"user\",\"content\":\"benchmark\"}],\"stream\":true}";
  char request[1024];
  int request_length =
      snprintf(request, sizeof request,
               "POST /v1/chat/completions HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: "
               "application/json\r\nAPI-KEY: %s\r\nContent-Length: %zu\r\n\r\n%s",
               argv[1], argv[2], argv[3], strlen(body), body);

  stream_t *all = calloc(streams, sizeof(stream_t));
  int poll = epoll_create1(0);
  for (int i = 0; i < streams; i++) {
    all[i].fd = connect_to_server();
    struct epoll_event watch = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
    if (epoll_ctl(poll, EPOLL_CTL_ADD, all[i].fd, &watch)) die("epoll_ctl");
  }
  char buffer[64 * 1024];
  struct epoll_event ready[256];
  for (int round = 0; round <= warmups; round++) {
    for (int i = 0; i < streams; i++) reset(&all[i]);
    double cpu_before = cpu_seconds();
    server_cpu_t server_before = server_cpu(server);
    int64_t start = now_ns(), deadline = start + 120000000000LL;
    int started = 0, finished = 0;
    while (finished < streams && now_ns() < deadline) {
      int64_t now = now_ns();
      while (started < streams && now >= start + ramp * started / streams) {
        stream_t *s = &all[started++];
        s->sent = now_ns();
        if (write(s->fd, request, request_length) != request_length) {
          s->failed = 1;
          finished++;
        }
      }
      int64_t wait = started < streams ? start + ramp * started / streams - now_ns() : 100000000;
      /* whole milliseconds, at least one, as the Java client waits */
      int count = epoll_wait(poll, ready, 256, wait > 0 ? (int)((wait + 999999) / 1000000) : 0);
      for (int k = 0; k < count; k++) {
        stream_t *s = &all[ready[k].data.u32];
        ssize_t got = read(s->fd, buffer, sizeof buffer);
        int64_t at = now_ns();
        if (got < 0 && errno == EAGAIN) continue;
        int was_ended = s->ended;
        if (got <= 0) {
          s->failed = s->sent && !s->ended; /* closed by the server mid-answer */
        } else if (s->length + got > PENDING) {
          s->failed = 1; /* an event larger than this client expects */
        } else {
          memcpy(s->pending + s->length, buffer, got);
          s->length += (int)got;
          on_bytes(s, at);
        }
        /* A failed stream (closed, refused, unreadable) ends where it got to, on a new connection:
         * the round never waits on it, and what is left on its old one is not read as the next
         * answer. */
        if (got <= 0 || s->failed) {
          replace_connection(poll, s, ready[k].data.u32);
          if (s->sent) s->ended = 1;
        }
        if (s->ended && !was_ended) finished++;
      }
    }
    long completed = 0;
    for (int i = 0; i < streams; i++) completed += all[i].done && all[i].ended && !all[i].failed;
    if (completed == 0) {
      /* a broken server: say so now, rather than after every warm-up round's deadline */
      fprintf(stderr, "round %d: none of %d streams completed (%d ended%s%s)\n", round + 1, streams,
              finished, refusal[0] ? "; first refusal: " : ", none refused", refusal);
      return 1;
    }
    if (round < warmups) continue;

    double wall = (now_ns() - start) / 1e9, client = cpu_seconds() - cpu_before;
    server_cpu_t server_after = server_cpu(server);
    double *ttft = malloc(streams * sizeof(double)), *headers = malloc(streams * sizeof(double));
    long content = 0, firsts = 0, heads = 0, complete = 0;
    for (int i = 0; i < streams; i++) content += all[i].count;
    double *gaps = malloc((content + 1) * sizeof(double));
    long gap_count = 0;
    for (int i = 0; i < streams; i++) {
      stream_t *s = &all[i];
      complete += s->done && s->ended && !s->failed;
      if (s->headers) headers[heads++] = (s->headers - s->sent) / 1e6;
      if (s->count) ttft[firsts++] = (s->events[0] - s->sent) / 1e6;
      for (int e = 1; e < s->count; e++) gaps[gap_count++] = (s->events[e] - s->events[e - 1]) / 1e6;
    }
    printf("{\"client\": \"c, keep-alive\", \"streams\": %d, \"completed\": %ld, "
           "\"content_events\": %ld, \"wall_s\": %.2f, ",
           streams, complete, content, wall);
    print_percentiles("ttft_ms", ttft, firsts);
    printf(", ");
    print_percentiles("itl_ms", gaps, gap_count);
    printf(", ");
    print_percentiles("headers_ms", headers, heads);
    printf(", \"client_cpu_cores\": %.2f, \"server_cpu_cores\": %.2f, \"server_kernel_cores\": %.2f",
           client / wall,
           (server_after.user + server_after.system - server_before.user - server_before.system) / wall,
           (server_after.system - server_before.system) / wall);
    printf(", \"server_thread_cores\": {");
    for (int g = 0; g < GROUPS; g++)
      printf("%s\"%s\": %.2f", g ? ", " : "", GROUP_NAMES[g],
             (server_after.cpu[g] - server_before.cpu[g]) / wall);
    printf("}, \"server_waited_for_a_core_ms\": {");
    for (int g = 0; g < GROUPS; g++)
      printf("%s\"%s\": %.0f", g ? ", " : "", GROUP_NAMES[g],
             (server_after.waited[g] - server_before.waited[g]) * 1000);
    printf("}}\n");
    return complete == streams ? 0 : 1;
  }
  return 2;
}
