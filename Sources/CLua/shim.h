/*
 * The C side of Tickwire's Lua boundary.
 *
 * Swift cannot import Lua's function-like macros, and must never be unwound by
 * lua_error's longjmp. This header holds only what Swift cannot express:
 *
 *   - wrappers for macros (tw_pcall, tw_pop, ...);
 *   - the counting allocator and its per-state control block;
 *   - the limit hook that stops a runaway call;
 *   - the trampoline through which Lua calls Swift: the Swift function returns
 *     a status and the trampoline raises the error after the Swift frame is gone;
 *   - "protected operations": anything that may allocate (and so raise a memory
 *     error) runs inside lua_pcall on a C function, never on a Swift frame.
 *
 * Parts: tw_control.h (control block, counting allocator), tw_budget.h (limit
 * hook and the budget check C loops call), tw_limits.h (call bookkeeping,
 * coroutine resume and close), tw_match.h + tw_strlib.h, tw_tablib.h,
 * tw_baselib.h (bounded copies of the library functions that loop in C),
 * tw_calls.h (message handler, trampoline, protected operations), tw_reads.h
 * (quantization, bulk reads).
 *
 * SwiftPM does not rebuild Swift targets when these headers change: after
 * editing one, touch Sources/Lua/*.swift (or build from clean).
 *
 * APIs Swift must never call directly: lua_error, luaL_error, lua_call,
 * luaL_check*, lua_settable/lua_gettable/lua_setfield/lua_getfield (they may
 * run metamethods), and any push that allocates (strings, tables, closures).
 */
#ifndef TICKWIRE_CLUA_SHIM_H
#define TICKWIRE_CLUA_SHIM_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <time.h>

/* ---- macros Swift cannot import ---------------------------------------- */

/* LUA_VERSION_RELEASE_NUM is an expression macro, which Swift does not import. */
static inline int tw_release_num(void) { return LUA_VERSION_RELEASE_NUM; }
static inline int tw_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int tw_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void tw_pop(lua_State *L, int n) { lua_pop(L, n); }
/* lua_pcall is a macro over lua_pcallk. */
static inline int tw_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    return lua_pcall(L, nargs, nresults, msgh);
}

#include "tw_control.h"
#include "tw_budget.h"
#include "tw_limits.h"
#include "tw_match.h"
#include "tw_strlib.h"
#include "tw_tablib.h"
#include "tw_baselib.h"
#include "tw_calls.h"
#include "tw_reads.h"

#endif
