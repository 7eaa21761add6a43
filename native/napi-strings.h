// JavaScript strings and arrays of them as C strings (napi-strings.c).
#ifndef CCMUX_NAPI_STRINGS_H
#define CCMUX_NAPI_STRINGS_H
#include <node_api.h>

/** A JavaScript string as a new C string (NULL when it is not a string or holds NUL). */
char *ccmux_string_of(napi_env env, napi_value value);
/** An array of strings, with `first` (if not NULL) before them, as a NULL-ended vector; NULL on a bad element. */
char **ccmux_strings_of(napi_env env, napi_value array, const char *first);
/** Frees a vector from ccmux_strings_of (each element, then the vector); nothing for NULL. */
void ccmux_free_strings(char **strings);
#endif
