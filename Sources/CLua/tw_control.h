/*
 * The per-state control block and the counting allocator.
 * Part of the CLua shim: see shim.h for the rules of the boundary.
 */
#ifndef TICKWIRE_TW_CONTROL_H
#define TICKWIRE_TW_CONTROL_H

/* ---- per-state control block -------------------------------------------- */

/* Owned by the Swift LuaState; it is the allocator's userdata, so any C code
 * holding the lua_State finds it with lua_getallocf. Fields touched by the
 * watchdog thread are read and written with __atomic builtins. */
typedef struct tw_control {
    size_t used;            /* bytes Lua holds now */
    size_t peak;            /* most bytes Lua ever held */
    size_t limit;           /* 0 = unlimited; caps used + external */
    size_t external;        /* bytes the engine holds for this state (snapshot history) */
    lua_State *L;           /* set once the state exists; used to locate refusals */
    int refused;            /* an allocation was refused since the last reset */
    size_t refused_size;    /* size of the refused request */
    char refused_where[240];/* "chunk:line" of the Lua code that asked, or "" */
    /* call bookkeeping, shared with the watchdog thread */
    unsigned long long epoch;       /* increments at every call begin and end */
    unsigned long long started_ns;  /* monotonic start of the running call */
    int active;                     /* a top-level call is running */
    unsigned long long armed_epoch; /* epoch the watchdog armed the time limit for */
    int reason;                     /* TW_REASON_* of the first firing in fired_epoch */
    unsigned long long fired_epoch; /* epoch in which a limit (hook or budget check) raised */
    char fired_message[256];        /* the first limit error of fired_epoch, re-raised as is */
    /* exact instruction mode (owner thread only): Lua instructions, counted by
     * the hook in periods, and C steps (tw_budget.h) share one counter */
    unsigned long long steps;
    unsigned long long step_limit;  /* 0 = no exact count in the running call */
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
    /* Engine-held bytes (c->external) count against the same cap, so a match
     * cannot grow its Lua heap into memory the engine already holds for it. */
    if (c->limit != 0 && nsize > old && c->used + c->external - old + nsize > c->limit) {
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

#endif
