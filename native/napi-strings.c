// JavaScript strings and arrays of them as C strings, for the native calls that execute programs (pty-spawn.c,
// fd-flags.c's execInPlace). A string holding NUL is refused: C would cut it short.
#define _GNU_SOURCE
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "napi-strings.h"

/** Frees a vector of strings from ccmux_strings_of (each element, then the vector). */
void ccmux_free_strings(char **strings) {
  if (strings == NULL) return;
  for (char **s = strings; *s != NULL; s++) free(*s);
  free(strings);
}

/** A JavaScript string as a new C string (NULL when it is not a string or holds NUL). */
char *ccmux_string_of(napi_env env, napi_value value) {
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) return NULL;
  char *text = malloc(length + 1);
  if (text == NULL) return NULL;
  if (napi_get_value_string_utf8(env, value, text, length + 1, &length) != napi_ok || strlen(text) != length) {
    free(text);
    return NULL;
  }
  return text;
}

/** An array of strings, with `first` (if not NULL) before them, as a NULL-ended vector; NULL on a bad element. */
char **ccmux_strings_of(napi_env env, napi_value array, const char *first) {
  uint32_t count;
  if (napi_get_array_length(env, array, &count) != napi_ok) return NULL;
  uint32_t offset = first == NULL ? 0 : 1;
  char **strings = calloc((size_t)count + offset + 1, sizeof(char *));
  if (strings == NULL) return NULL;
  if (first != NULL && (strings[0] = strdup(first)) == NULL) {
    free(strings);
    return NULL;
  }
  for (uint32_t i = 0; i < count; i++) {
    napi_value element;
    if (napi_get_element(env, array, i, &element) != napi_ok ||
        (strings[i + offset] = ccmux_string_of(env, element)) == NULL) {
      ccmux_free_strings(strings);
      return NULL;
    }
  }
  return strings;
}
