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

static inline int tw_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int tw_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void tw_pop(lua_State *L, int n) { lua_pop(L, n); }
/* lua_pcall is a macro over lua_pcallk. */
static inline int tw_pcall(lua_State *L, int nargs, int nresults, int msgh) {
    return lua_pcall(L, nargs, nresults, msgh);
}

/* ---- per-state control block -------------------------------------------- */

/* Owned by the Swift LuaState; it is the allocator's userdata, so any C code
 * holding the lua_State finds it with lua_getallocf. Fields touched by the
 * watchdog thread are read and written with __atomic builtins. */
typedef struct tw_control {
    size_t used;            /* bytes Lua holds now */
    size_t peak;            /* most bytes Lua ever held */
    size_t limit;           /* 0 = unlimited */
    lua_State *L;           /* set once the state exists; used to locate refusals */
    int refused;            /* an allocation was refused since the last reset */
    size_t refused_size;    /* size of the refused request */
    char refused_where[240];/* "chunk:line" of the Lua code that asked, or "" */
    /* call bookkeeping, shared with the watchdog thread */
    unsigned long long epoch;       /* increments at every call begin and end */
    unsigned long long started_ns;  /* monotonic start of the running call */
    int active;                     /* a top-level call is running */
    unsigned long long armed_epoch; /* epoch the limit hook was armed for */
    int reason;                     /* TW_REASON_* for the armed hook */
    unsigned long long fired_epoch; /* epoch in which the limit hook raised */
    lua_State *running;             /* coroutine running now, NULL for the main thread */
    int running_lock;               /* guards `running` against the watchdog */
    int component_keys[4];          /* registry refs of "x", "y", "z", "w" (tw_intern_components) */
} tw_control;

enum { TW_REASON_NONE = 0, TW_REASON_TIME = 1, TW_REASON_INSTRUCTIONS = 2 };

static inline unsigned long long tw_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* Lua 5.4.6 relocates the stack as offsets while it reallocates it, so the
 * call stack can only be walked from inside the allocator on older releases. */
#if LUA_VERSION_RELEASE_NUM < 50406
#define TW_CAN_LOCATE_IN_ALLOCATOR 1
#else
#define TW_CAN_LOCATE_IN_ALLOCATOR 0
#endif

static inline void tw_locate_refusal(tw_control *c) {
    c->refused_where[0] = 0;
#if TW_CAN_LOCATE_IN_ALLOCATOR
    lua_State *T = c->running ? c->running : c->L;
    if (T == NULL) return;
    lua_Debug ar;
    for (int level = 0; level < 32 && lua_getstack(T, level, &ar); level++) {
        if (lua_getinfo(T, "Sl", &ar) && ar.currentline > 0) {
            snprintf(c->refused_where, sizeof c->refused_where, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
    }
#endif
}

/* Counting allocator: refuses (returns NULL, so Lua raises a memory error)
 * when the state would hold more than its limit. */
static inline void *tw_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    tw_control *c = (tw_control *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        c->used -= old;
        return NULL;
    }
    if (c->limit != 0 && nsize > old && c->used - old + nsize > c->limit) {
        if (!c->refused) {
            c->refused = 1;
            c->refused_size = nsize;
            tw_locate_refusal(c);
        }
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    c->refused = 0;   /* a retry after an emergency collection succeeded */
    c->used = c->used - old + nsize;
    if (c->used > c->peak) c->peak = c->used;
    return p;
}

/* A new state using the counting allocator, with the generational collector
 * (as the stock lua5.4 interpreter does): rules make many short-lived tables. */
static inline lua_State *tw_newstate(tw_control *c) {
    lua_State *L = lua_newstate(tw_alloc, c);
    if (L == NULL) return NULL;
    c->L = L;
    for (int i = 0; i < 4; i++) c->component_keys[i] = LUA_NOREF;
    lua_gc(L, LUA_GCGEN, 0, 0);  /* lua_gc is variadic: Swift cannot call it */
    return L;
}

/* ---- call limits ------------------------------------------------------------- */

static inline void tw_limit_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    void *ud;
    lua_getallocf(L, &ud);
    tw_control *c = (tw_control *)ud;
    unsigned long long epoch = __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE);
    unsigned long long armed = __atomic_load_n(&c->armed_epoch, __ATOMIC_ACQUIRE);
    if (!__atomic_load_n(&c->active, __ATOMIC_ACQUIRE) || armed != epoch) {
        lua_sethook(L, NULL, 0, 0);   /* armed for a call that already ended */
        return;
    }
    /* Keep firing on every instruction, so a designer's pcall that catches
     * this error is interrupted again right after it returns. */
    lua_sethook(L, tw_limit_hook, LUA_MASKCOUNT, 1);
    __atomic_store_n(&c->fired_epoch, epoch, __ATOMIC_RELEASE);
    luaL_where(L, 0);
    lua_pushstring(L, c->reason == TW_REASON_INSTRUCTIONS
                          ? "instruction limit exceeded"
                          : "time limit exceeded");
    lua_concat(L, 2);
    lua_error(L);
}

/* Marks the start of a top-level call; arms the exact instruction count hook
 * when instruction_limit > 0 (deterministic, but it slows every instruction). */
static inline void tw_call_begin(lua_State *L, tw_control *c, int instruction_limit) {
    c->refused = 0;
    __atomic_store_n(&c->started_ns, tw_now_ns(), __ATOMIC_RELEASE);
    unsigned long long e = __atomic_add_fetch(&c->epoch, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&c->active, 1, __ATOMIC_RELEASE);
    if (instruction_limit > 0) {
        c->reason = TW_REASON_INSTRUCTIONS;
        __atomic_store_n(&c->armed_epoch, e, __ATOMIC_RELEASE);
        lua_sethook(L, tw_limit_hook, LUA_MASKCOUNT, instruction_limit);
    }
}

static inline void tw_call_end(lua_State *L, tw_control *c) {
    __atomic_store_n(&c->active, 0, __ATOMIC_RELEASE);
    __atomic_add_fetch(&c->epoch, 1, __ATOMIC_ACQ_REL);
    if (lua_gethook(L) != NULL) lua_sethook(L, NULL, 0, 0);
}

static inline void tw_lock(tw_control *c) {
    while (__atomic_test_and_set(&c->running_lock, __ATOMIC_ACQUIRE)) { }
}
static inline void tw_unlock(tw_control *c) {
    __atomic_clear(&c->running_lock, __ATOMIC_RELEASE);
}

/* Called by the watchdog thread (lua_sethook is safe to call asynchronously):
 * arms the hook on the running thread if the call that started at `epoch` is
 * still running. */
static inline void tw_arm_time_limit(lua_State *L, tw_control *c, unsigned long long epoch) {
    if (!__atomic_load_n(&c->active, __ATOMIC_ACQUIRE)) return;
    if (__atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE) != epoch) return;
    c->reason = TW_REASON_TIME;
    __atomic_store_n(&c->armed_epoch, epoch, __ATOMIC_RELEASE);
    tw_lock(c);
    lua_sethook(c->running ? c->running : L, tw_limit_hook, LUA_MASKCOUNT, 1);
    tw_unlock(c);
    lua_sethook(L, tw_limit_hook, LUA_MASKCOUNT, 1);
}

/* coroutine.resume for the sandbox: a hook is per Lua thread, so the limit
 * hook is copied into the coroutine, the watchdog is told which thread runs,
 * and a limit that fired inside is re-armed on the resumer. */
static inline int tw_co_resume(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co != NULL, 1, "coroutine");
    int narg = lua_gettop(L) - 1;
    void *ud;
    lua_getallocf(L, &ud);
    tw_control *c = (tw_control *)ud;
    if (!lua_checkstack(co, narg)) {
        lua_pushboolean(L, 0);
        lua_pushliteral(L, "too many arguments to resume");
        return 2;
    }
    lua_xmove(L, co, narg);
    lua_sethook(co, lua_gethook(L), lua_gethookmask(L), lua_gethookcount(L));
    tw_lock(c);
    lua_State *previous = c->running;
    c->running = co;
    tw_unlock(c);
    int nres = 0;
    int status = lua_resume(co, L, narg, &nres);
    tw_lock(c);
    c->running = previous;
    tw_unlock(c);
    if (__atomic_load_n(&c->fired_epoch, __ATOMIC_ACQUIRE) == __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE)
        && __atomic_load_n(&c->active, __ATOMIC_ACQUIRE))
        lua_sethook(L, tw_limit_hook, LUA_MASKCOUNT, 1);
    if (status == LUA_OK || status == LUA_YIELD) {
        if (!lua_checkstack(L, nres + 1)) {
            lua_pop(co, nres);
            lua_pushboolean(L, 0);
            lua_pushliteral(L, "too many results to resume");
            return 2;
        }
        lua_pushboolean(L, 1);
        lua_xmove(co, L, nres);
        return nres + 1;
    }
    lua_pushboolean(L, 0);
    lua_xmove(co, L, 1);
    return 2;
}

static inline unsigned long long tw_load_epoch(tw_control *c) {
    return __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE);
}
static inline unsigned long long tw_load_started(tw_control *c) {
    return __atomic_load_n(&c->started_ns, __ATOMIC_ACQUIRE);
}
static inline int tw_load_active(tw_control *c) {
    return __atomic_load_n(&c->active, __ATOMIC_ACQUIRE);
}

/* ---- message handler -------------------------------------------------------- */

/* Appends a traceback to string errors; other error values pass through. */
static inline int tw_msgh(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* ---- Lua calling Swift -------------------------------------------------------- */

/* A Swift function callable from Lua. Returns the number of results pushed,
 * or -1 with *err/*errlen set to a message that the trampoline raises. */
typedef int (*tw_swift_fn)(lua_State *L, void *ctx, const char **err, size_t *errlen);

static inline int tw_trampoline(lua_State *L) {
    tw_swift_fn fn = (tw_swift_fn)lua_touserdata(L, lua_upvalueindex(1));
    void *ctx = lua_touserdata(L, lua_upvalueindex(2));
    const char *err = NULL;
    size_t errlen = 0;
    int n = fn(L, ctx, &err, &errlen);
    if (n >= 0) return n;
    luaL_where(L, 1);
    lua_pushlstring(L, err ? err : "error", err ? errlen : 5);
    lua_concat(L, 2);
    return lua_error(L);
}

/* ---- protected operations ---------------------------------------------------- */

static inline int tw_op_pushlstring(lua_State *L) {
    const char *s = (const char *)lua_touserdata(L, 1);
    size_t n = (size_t)lua_tointeger(L, 2);
    lua_pushlstring(L, s, n);
    return 1;
}

/* Pushes a string; returns a Lua status (on failure the error is pushed instead). */
static inline int tw_pushlstring(lua_State *L, const char *s, size_t n) {
    lua_pushcfunction(L, tw_op_pushlstring);
    lua_pushlightuserdata(L, (void *)s);
    lua_pushinteger(L, (lua_Integer)n);
    return lua_pcall(L, 2, 1, 0);
}

static inline int tw_op_newtable(lua_State *L) {
    lua_createtable(L, (int)lua_tointeger(L, 1), (int)lua_tointeger(L, 2));
    return 1;
}

static inline int tw_newtable(lua_State *L, int narr, int nrec) {
    lua_pushcfunction(L, tw_op_newtable);
    lua_pushinteger(L, narr);
    lua_pushinteger(L, nrec);
    return lua_pcall(L, 2, 1, 0);
}

static inline int tw_op_swiftfunction(lua_State *L) {
    lua_pushcclosure(L, tw_trampoline, 2);
    return 1;
}

/* Pushes a Lua function that calls `fn(L, ctx, ...)`. */
static inline int tw_pushswiftfunction(lua_State *L, tw_swift_fn fn, void *ctx) {
    lua_pushcfunction(L, tw_op_swiftfunction);
    lua_pushlightuserdata(L, (void *)fn);
    lua_pushlightuserdata(L, ctx);
    return lua_pcall(L, 2, 1, 0);
}

static inline int tw_op_rawset(lua_State *L) {
    lua_rawset(L, 1);
    return 0;
}

/* t[k] = v without metamethods, for the table at `t` and key and value on top. */
static inline int tw_rawset(lua_State *L, int t) {
    t = lua_absindex(L, t);
    lua_pushcfunction(L, tw_op_rawset);
    lua_pushvalue(L, t);
    lua_rotate(L, -4, 2);          /* fn, t, k, v */
    return lua_pcall(L, 3, 0, 0);
}

static inline int tw_op_ref(lua_State *L) {
    lua_pushinteger(L, luaL_ref(L, LUA_REGISTRYINDEX));
    return 1;
}

/* Pops the value on top into the registry; *ref gets its reference. */
static inline int tw_ref(lua_State *L, int *ref) {
    lua_pushcfunction(L, tw_op_ref);
    lua_rotate(L, -2, 1);
    int status = lua_pcall(L, 1, 1, 0);
    if (status == LUA_OK) {
        *ref = (int)lua_tointeger(L, -1);
        lua_pop(L, 1);
    }
    return status;
}

static inline int tw_op_load(lua_State *L) {
    size_t n;
    const char *src = (const char *)lua_touserdata(L, 1);
    n = (size_t)lua_tointeger(L, 2);
    const char *name = (const char *)lua_touserdata(L, 3);
    int status = luaL_loadbufferx(L, src, n, name, "t");
    if (status != LUA_OK) return lua_error(L);
    return 1;
}

/* Compiles text (never binary) into a function; pushes it or the error. */
static inline int tw_load(lua_State *L, const char *src, size_t n, const char *chunkname) {
    lua_pushcfunction(L, tw_op_load);
    lua_pushlightuserdata(L, (void *)src);
    lua_pushinteger(L, (lua_Integer)n);
    lua_pushlightuserdata(L, (void *)chunkname);
    return lua_pcall(L, 3, 1, 0);
}

/* Opens the libraries a game may use, under protection. */
static inline int tw_op_openlibs(lua_State *L) {
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
    lua_pushcfunction(L, tw_co_resume);
    lua_setfield(L, -2, "resume");
    lua_pop(L, 6);
    return 0;
}

static inline int tw_openlibs(lua_State *L) {
    lua_pushcfunction(L, tw_op_openlibs);
    return lua_pcall(L, 0, 0, 0);
}

/* ---- vector components ------------------------------------------------------- */

static inline tw_control *tw_control_of(lua_State *L) {
    void *ud;
    lua_getallocf(L, &ud);
    return (tw_control *)ud;
}

static inline int tw_op_intern_components(lua_State *L) {
    tw_control *c = (tw_control *)lua_touserdata(L, 1);
    for (int i = 0; i < 4; i++) {
        lua_pushlstring(L, "xyzw" + i, 1);
        c->component_keys[i] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    return 0;
}

/* Interns the keys of vec3 and quat tables ("x", "y", "z", "w") once per
 * state, kept in the control block rather than in each quantizer: a quantizer
 * is then the same for every state (a bot brain's and its match's), and
 * reading a component is two raw gets that allocate nothing. */
static inline int tw_intern_components(lua_State *L, tw_control *c) {
    lua_pushcfunction(L, tw_op_intern_components);
    lua_pushlightuserdata(L, c);
    return lua_pcall(L, 1, 0, 0);
}

/* Pushes the key of component i (0 = "x" ... 3 = "w"); allocates nothing. */
static inline void tw_push_component_key(lua_State *L, int i) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, tw_control_of(L)->component_keys[i]);
}

/* ---- quantization and bulk reads --------------------------------------------- */

/* Swift never fuses a * b + c into one rounding; C must not either, or the
 * two quantizers (and dequantizers) could disagree on machines with FMA. */
#pragma STDC FP_CONTRACT OFF

/* How a Lua value becomes the integer a snapshot stores: the one
 * implementation, used for whole entity lists and for single values. */
enum {
    TW_Q_BOOL = 0, TW_Q_INTEGER = 1, TW_Q_F32 = 2, TW_Q_FIXED = 3,
    TW_Q_ANGLE = 4, TW_Q_STRING = 5, TW_Q_REFERENCE = 6, TW_Q_VEC3 = 7, TW_Q_QUAT = 8
};

typedef struct tw_quantizer {
    int kind;               /* TW_Q_* */
    long long lower, upper; /* range of the stored integer (string: max bytes) */
    double min, step;       /* fixed, and vec3's x axis: min + q * step */
    long long turn;         /* angle: steps per turn */
    double min_y, step_y, min_z, step_z;    /* vec3: the y and z axes */
    long long steps_x, steps_y, steps_z;    /* vec3: the last step of each axis */
    int shift_y, shift_z;   /* vec3: where y and z sit in the packed value */
    int bits;               /* quat: bits per component */
} tw_quantizer;

static inline long long tw_clamp(const tw_quantizer *q, double rounded) {
    if (rounded <= (double)q->lower) return q->lower;
    if (rounded >= (double)q->upper) return q->upper;
    return (long long)rounded;
}

/* Integers and references round half away from zero and clamp; NaN is 0;
 * fixed clamps to its steps; angles wrap into one turn. */
static inline long long tw_quantize_number(const tw_quantizer *q, double v) {
    switch (q->kind) {
    case TW_Q_BOOL: return v != 0;
    case TW_Q_INTEGER:
    case TW_Q_REFERENCE:
        return v != v ? 0 : tw_clamp(q, __builtin_round(v));
    case TW_Q_F32: {
        float f = (float)v;
        unsigned int bits;
        memcpy(&bits, &f, sizeof bits);
        return (long long)bits;
    }
    case TW_Q_FIXED:
        return v != v ? 0 : tw_clamp(q, __builtin_round((v - q->min) / q->step));
    case TW_Q_ANGLE: {
        if (!__builtin_isfinite(v)) return 0;
        double turns = v / (2 * 3.141592653589793);
        double fraction = turns - __builtin_floor(turns);
        return (long long)__builtin_round(fraction * (double)q->turn) % q->turn;
    }
    default: return 0;
    }
}

/* One vec3 axis, as fixed does it: NaN is step 0, clamped to 0...steps. */
static inline long long tw_quantize_axis(double v, double min, double step, long long steps) {
    if (v != v) return 0;
    double r = __builtin_round((v - min) / step);
    if (r <= 0) return 0;
    if (r >= (double)steps) return steps;
    return (long long)r;
}

/* x | y << bx | z << (bx + by), each axis quantized like fixed. */
static inline long long tw_quantize_vec3(const tw_quantizer *q, double x, double y, double z) {
    unsigned long long qx = (unsigned long long)tw_quantize_axis(x, q->min, q->step, q->steps_x);
    unsigned long long qy = (unsigned long long)tw_quantize_axis(y, q->min_y, q->step_y, q->steps_y);
    unsigned long long qz = (unsigned long long)tw_quantize_axis(z, q->min_z, q->step_z, q->steps_z);
    return (long long)(qx | qy << q->shift_y | qz << q->shift_z);
}

/* Smallest three (docs/protocol.md, "Quaternions"), exactly as Swift's
 * Quantizer.quantize(quaternion:) does it, operation for operation: normalize
 * (zero or non-finite: the identity), take the first largest magnitude,
 * negate if it is negative, map the other three from [-1/sqrt 2, 1/sqrt 2]
 * onto 0...2^bits - 1. */
static inline long long tw_quantize_quat(const tw_quantizer *q, double x, double y, double z, double w) {
    const double half = 0.70710678118654752440;
    double m = 0;
    if (__builtin_isfinite(x) && __builtin_isfinite(y) && __builtin_isfinite(z) && __builtin_isfinite(w)) {
        m = __builtin_fabs(x);
        if (__builtin_fabs(y) > m) m = __builtin_fabs(y);
        if (__builtin_fabs(z) > m) m = __builtin_fabs(z);
        if (__builtin_fabs(w) > m) m = __builtin_fabs(w);
    }
    if (m == 0) {
        x = 0; y = 0; z = 0; w = 1;
    } else {
        x /= m; y /= m; z /= m; w /= m;
        double n = __builtin_sqrt(x * x + y * y + z * z + w * w);
        x /= n; y /= n; z /= n; w /= n;
    }
    double v[4] = { x, y, z, w };
    int index = 0;
    double largest = __builtin_fabs(x);
    for (int i = 1; i < 4; i++)
        if (__builtin_fabs(v[i]) > largest) { index = i; largest = __builtin_fabs(v[i]); }
    double sign = v[index] < 0 ? -1 : 1;
    long long top = (1LL << q->bits) - 1;
    double scale = (double)top / (2 * half);
    unsigned long long packed = (unsigned long long)index;
    int shift = 2;
    for (int i = 0; i < 4; i++) {
        if (i == index) continue;
        double c = sign < 0 ? -v[i] : v[i];
        double r = __builtin_round((c + half) * scale);
        long long k = r <= 0 ? 0 : r >= (double)top ? top : (long long)r;
        packed |= (unsigned long long)k << shift;
        shift += q->bits;
    }
    return (long long)packed;
}

static inline double tw_dequantize(const tw_quantizer *q, long long v) {
    switch (q->kind) {
    case TW_Q_F32: {
        unsigned int bits = (unsigned int)v;
        float f;
        memcpy(&f, &bits, sizeof f);
        return (double)f;
    }
    case TW_Q_FIXED: return q->min + (double)v * q->step;
    case TW_Q_ANGLE: return (double)v * (2 * 3.141592653589793) / (double)q->turn;
    default: return (double)v;
    }
}

/* One value read out of Lua and quantized. Strings are left to the caller:
 * `s` points into Lua's own storage and stays valid while the table holding
 * it is unchanged and nothing allocates. */
typedef struct tw_cell {
    long long q;        /* the stored integer (not for strings) */
    const char *s;      /* strings: their bytes */
    size_t len;
    int type;           /* LUA_T* of the value */
    int ok;             /* 0: the value has the wrong type (stored as 0 / "" / the identity quat) */
} tw_cell;

/* Reads components 0..n-1 (x, y, z, w) of the table at `index` (absolute):
 * the field if it is not nil, else the array item; anything but a number is 0.
 * Raw gets only; one stack slot. */
static inline void tw_read_components(lua_State *L, int index, int n, double *v) {
    const int *keys = tw_control_of(L)->component_keys;
    for (int i = 0; i < n; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, keys[i]);
        int t = lua_rawget(L, index);
        if (t == LUA_TNIL) {
            lua_pop(L, 1);
            t = lua_rawgeti(L, index, i + 1);
        }
        v[i] = t == LUA_TNUMBER ? lua_tonumberx(L, -1, NULL) : 0;
        lua_pop(L, 1);
    }
}

/* Quantizes the value at `index` (absolute) by `q`. nil (and false, for
 * references) mean 0, "" or no entity; an entity table stands as its `id`.
 * vec3 and quat read a table's components; nil or another type is a vec3 of
 * 0 (every axis at its min) and the identity quaternion. */
static inline void tw_read_cell(lua_State *L, int index, int idkey, const tw_quantizer *q, tw_cell *c) {
    int t = lua_type(L, index);
    c->type = t;
    c->q = 0;
    c->ok = 1;
    switch (q->kind) {
    case TW_Q_BOOL:
        c->q = lua_toboolean(L, index);
        break;
    case TW_Q_STRING:
        if (t == LUA_TSTRING) c->s = lua_tolstring(L, index, &c->len);
        else { c->len = 0; c->ok = (t == LUA_TNIL); }
        break;
    case TW_Q_REFERENCE:
        if (t == LUA_TTABLE) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, idkey);
            int isint = 0;
            lua_Integer id = 0;
            if (lua_rawget(L, index) == LUA_TNUMBER) id = lua_tointegerx(L, -1, &isint);
            lua_pop(L, 1);
            if (isint) c->q = tw_clamp(q, (double)id); else c->ok = 0;
        } else if (t == LUA_TNUMBER) {
            int isint = 0;
            lua_Integer id = lua_tointegerx(L, index, &isint);
            if (isint) c->q = tw_clamp(q, (double)id); else c->ok = 0;
        } else {
            c->ok = (t == LUA_TNIL) || (t == LUA_TBOOLEAN && !lua_toboolean(L, index));
        }
        break;
    case TW_Q_VEC3:
    case TW_Q_QUAT: {
        double v[4] = { 0, 0, 0, 0 };
        if (t == LUA_TTABLE) tw_read_components(L, index, q->kind == TW_Q_VEC3 ? 3 : 4, v);
        else c->ok = (t == LUA_TNIL);
        if (q->kind == TW_Q_QUAT) c->q = tw_quantize_quat(q, v[0], v[1], v[2], v[3]);
        else if (t == LUA_TTABLE) c->q = tw_quantize_vec3(q, v[0], v[1], v[2]);
        break;
    }
    default:
        if (t == LUA_TNUMBER) c->q = tw_quantize_number(q, lua_tonumberx(L, index, NULL));
        else c->ok = (t == LUA_TNIL);
        break;
    }
}

/* Reads, for every table list[1..n] of the array at `list`, its integer `id`
 * and then the fields named by the registry strings keys[0..nkeys),
 * quantized by qs[0..nkeys), into cells[(nkeys + 1) * k ...]. Only raw gets:
 * no allocation in Lua, no metamethod. One call per entity list instead of
 * several per field. Returns the number of tables read, at most `capacity`. */
static inline int tw_read_tables(lua_State *L, int list, const int *keys, const tw_quantizer *qs,
                                 int nkeys, int idkey, tw_cell *cells, int capacity) {
    list = lua_absindex(L, list);
    if (!lua_checkstack(L, nkeys + 8)) return 0;
    /* Keys on the stack: copying a stack slot is cheaper than a registry lookup per field. */
    int keybase = lua_gettop(L) + 1;
    lua_rawgeti(L, LUA_REGISTRYINDEX, idkey);
    for (int f = 0; f < nkeys; f++) lua_rawgeti(L, LUA_REGISTRYINDEX, keys[f]);
    int n = (int)lua_rawlen(L, list);
    if (n > capacity) n = capacity;
    for (int k = 0; k < n; k++) {
        tw_cell *row = cells + (size_t)k * (size_t)(nkeys + 1);
        lua_rawgeti(L, list, k + 1);
        int entity = lua_gettop(L);
        lua_pushvalue(L, keybase);
        lua_rawget(L, entity);
        int isint = 0;
        row[0].type = lua_type(L, -1);
        row[0].q = row[0].type == LUA_TNUMBER ? lua_tointegerx(L, -1, &isint) : 0;
        row[0].ok = isint;
        lua_pop(L, 1);
        for (int f = 0; f < nkeys; f++) {
            lua_pushvalue(L, keybase + 1 + f);
            lua_rawget(L, entity);
            tw_read_cell(L, entity + 1, idkey, &qs[f], &row[f + 1]);
            lua_pop(L, 1);
        }
        lua_pop(L, 1);
    }
    lua_settop(L, keybase - 1);
    return n;
}

/* The same for the one table at `table`: its fields only, into cells[0..nkeys). */
static inline void tw_read_fields(lua_State *L, int table, const int *keys, const tw_quantizer *qs,
                                  int nkeys, int idkey, tw_cell *cells) {
    table = lua_absindex(L, table);
    for (int f = 0; f < nkeys; f++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, keys[f]);
        lua_rawget(L, table);
        tw_read_cell(L, lua_gettop(L), idkey, &qs[f], &cells[f]);
        lua_pop(L, 1);
    }
}

#endif
