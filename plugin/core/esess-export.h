/*
 * esess-export.h - which engine functions libesessions exports.
 *
 * The engine is compiled with -fvisibility=hidden (configure probes it), so
 * a function is visible outside libesessions.so only when its declaration
 * in an installed header carries ESESS_API.  Internal functions stay
 * hidden even though the plugin and the unit tests link the same objects
 * statically.  tests/unit/check-exports.sh checks that the exported set is
 * exactly the functions the installed headers declare.
 */
#ifndef ESESS_EXPORT_H
#define ESESS_EXPORT_H

/** @file esess-export.h
 * @brief ESESS_API: the visibility mark of the public functions. */

#if defined(__GNUC__) && __GNUC__ >= 4
/** Marks a function of the public API: exported by libesessions. */
#define ESESS_API __attribute__((visibility("default")))
#else
#define ESESS_API
#endif

#endif /* ESESS_EXPORT_H */
