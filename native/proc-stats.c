// Every process's /proc/<pid>/stat, read and parsed in one call. The server looks at its panes' processes (their
// foreground group, members, a sweep after a kill, the process limit every 250 ms) by a pass over /proc; in
// JavaScript each file cost an open, an fstat, a read, a close and two buffers, about 23 µs a process on the
// bench machine (1.5 ms for 65 processes, and a developer's machine has several hundred), on the thread that
// answers the agent. Here it is an openat, a read into the stack and a close.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>

#include "proc-stats.h"

/** Numbers per process in what procStats returns (see FIELD_*). */
#define FIELDS 9
/** A stat line is at most 52 fields of at most 20 digits and a command name of 64 bytes: well under this. */
#define LINE_BYTES 4096

// One process's stat line in `dir` (an open /proc), parsed into `out` (FIELDS numbers): false when it is gone or
// its line does not parse.
static bool read_stat(int dir, const char *pid_name, double *out) {
  char path[64];
  char line[LINE_BYTES];
  int written = snprintf(path, sizeof(path), "%s/stat", pid_name);
  if (written < 0 || (size_t)written >= sizeof(path)) return false;
  int fd = openat(dir, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd == -1) return false;
  ssize_t got;
  do got = read(fd, line, sizeof(line) - 1);
  while (got == -1 && errno == EINTR);
  close(fd);
  if (got <= 0) return false;
  line[got] = '\0';
  // The command name is in parentheses and may hold spaces and parentheses itself: the fields start after the last.
  char *close_paren = strrchr(line, ')');
  if (close_paren == NULL || close_paren[1] != ' ') return false;
  char *cursor = close_paren + 2;
  // Fields after the name, from 0: state(0) ppid(1) pgrp(2) session(3) tty_nr(4) tpgid(5) ... num_threads(17)
  // itrealvalue(18) starttime(19).
  char state = *cursor;
  double ppid = 0, pgrp = 0, session = 0, tty = 0, tpgid = 0, threads = 1, start = 0;
  for (int field = 0; field <= 19; field++) {
    char *end = cursor;
    while (*end != ' ' && *end != '\0' && *end != '\n') end++;
    if (end == cursor) return false;
    if (field > 0) {
      long long value = strtoll(cursor, NULL, 10);
      switch (field) {
        case 1: ppid = (double)value; break;
        case 2: pgrp = (double)value; break;
        case 3: session = (double)value; break;
        case 4: tty = (double)value; break;
        case 5: tpgid = (double)value; break;
        case 17: threads = value > 0 ? (double)value : 1; break;
        case 19: start = (double)strtoull(cursor, NULL, 10); break;
        default: break;
      }
    }
    if (*end != ' ') {
      if (field < 19) return false;
    }
    cursor = end + 1;
  }
  out[0] = strtod(pid_name, NULL);
  out[1] = ppid;
  out[2] = pgrp;
  out[3] = session;
  out[4] = tty;
  out[5] = tpgid;
  out[6] = threads;
  out[7] = start;
  out[8] = state == 'Z' ? 1 : 0;
  return true;
}

static bool all_digits(const char *name) {
  if (*name == '\0') return false;
  for (; *name != '\0'; name++)
    if (*name < '0' || *name > '9') return false;
  return true;
}

static napi_value numbers(napi_env env, const double *values, size_t count) {
  void *data = NULL;
  napi_value buffer;
  napi_value array;
  if (napi_create_arraybuffer(env, count * sizeof(double), &data, &buffer) != napi_ok) return NULL;
  if (count > 0) memcpy(data, values, count * sizeof(double));
  if (napi_create_typedarray(env, napi_float64_array, count, buffer, 0, &array) != napi_ok) return NULL;
  return array;
}

// procStats(): a Float64Array of FIELDS numbers per process in /proc (pid, ppid, pgrp, session, tty_nr, tpgid,
// num_threads, starttime, zombie 0/1); processes that exit while it reads are left out. Throws EPROC when /proc
// cannot be listed.
static napi_value proc_stats(napi_env env, napi_callback_info info) {
  (void)info;
  int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *listing = dir == -1 ? NULL : fdopendir(dir);
  if (listing == NULL) {
    if (dir != -1) close(dir);
    napi_throw_error(env, "EPROC", "cannot list /proc");
    return NULL;
  }
  size_t capacity = 512, count = 0;
  double *values = malloc(capacity * FIELDS * sizeof(double));
  if (values == NULL) {
    closedir(listing);
    napi_throw_error(env, "EPROC", "out of memory");
    return NULL;
  }
  struct dirent *entry;
  while ((entry = readdir(listing)) != NULL) {
    if (!all_digits(entry->d_name)) continue;
    if (count == capacity) {
      double *grown = realloc(values, capacity * 2 * FIELDS * sizeof(double));
      if (grown == NULL) break;
      values = grown;
      capacity *= 2;
    }
    if (read_stat(dir, entry->d_name, values + count * FIELDS)) count++;
  }
  closedir(listing);
  napi_value result = numbers(env, values, count * FIELDS);
  free(values);
  return result;
}

// procStat(pid): the FIELDS numbers of one process (see procStats), or null when it is gone.
static napi_value proc_stat(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t pid = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_int32(env, argv[0], &pid) != napi_ok || pid <= 0) {
    napi_throw_type_error(env, NULL, "procStat(pid: number > 0)");
    return NULL;
  }
  char name[16];
  snprintf(name, sizeof(name), "%d", pid);
  int dir = open("/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  double values[FIELDS];
  bool found = dir != -1 && read_stat(dir, name, values);
  if (dir != -1) close(dir);
  if (!found) {
    napi_value null_value;
    napi_get_null(env, &null_value);
    return null_value;
  }
  return numbers(env, values, FIELDS);
}

void ccmux_register_proc_stats(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "procStats", NAPI_AUTO_LENGTH, proc_stats, NULL, &fn);
  napi_set_named_property(env, exports, "procStats", fn);
  napi_create_function(env, "procStat", NAPI_AUTO_LENGTH, proc_stat, NULL, &fn);
  napi_set_named_property(env, exports, "procStat", fn);
}
