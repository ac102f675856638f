/*
 * The call budget: one place that decides a limit fired and raises it, used by
 * the limit hook (between Lua instructions) and by C loops (inside library
 * functions, which the hook never interrupts).
 * Part of the CLua shim: see shim.h for the rules of the boundary.
 *
 * Invariants:
 *   - A limit error is raised only while a top-level call is active, and only
 *     from a C function called by Lua or from the hook (C frames: no Swift frame
 *     is ever unwound).
 *   - The first limit error of an epoch is kept in fired_message and every later
 *     firing in that epoch re-raises exactly that text, so the error names the
 *     game's file:line even when it is re-raised in the sandbox's wrappers.
 *   - Once fired, the hook is set to fire on every instruction of the thread,
 *     so a pcall that catches the error is interrupted again right after.
 *   - In exact instruction mode, Lua instructions and C steps share one
 *     counter (c->steps); both are deterministic, so failures repeat exactly.
 */
#ifndef TICKWIRE_TW_BUDGET_H
#define TICKWIRE_TW_BUDGET_H

/* C loops check the budget every TW_BUDGET_EVERY steps: often enough that a
 * time limit overruns by microseconds, rarely enough to cost nothing. */
#define TW_BUDGET_EVERY 1024u
/* In exact mode the hook runs every TW_HOOK_PERIOD instructions to add them to
 * c->steps (a count hook costs the same per instruction whatever its period). */
#define TW_HOOK_PERIOD 1000

#define tw_unlikely(x) (__builtin_expect(((x) != 0), 0))

static inline tw_control *tw_control_of(lua_State *L) {
    void *ud;
    lua_getallocf(L, &ud);
    return (tw_control *)ud;
}

static void tw_limit_hook(lua_State *L, lua_Debug *ar);

/* Writes "chunk:line: " of the innermost Lua frame that is game code (not the
 * sandbox's own wrappers, chunk "@tickwire/sandbox"), else of the innermost Lua
 * frame, else "". */
static inline void tw_limit_where(lua_State *L, char *out, size_t size) {
    lua_Debug ar;
    int fallback = 0;
    out[0] = 0;
    for (int level = 0; level < 64 && lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0) continue;
        if (strcmp(ar.source, "@tickwire/sandbox") == 0) {
            if (!fallback) snprintf(out, size, "%s:%d: ", ar.short_src, ar.currentline);
            fallback = 1;
            continue;
        }
        snprintf(out, size, "%s:%d: ", ar.short_src, ar.currentline);
        return;
    }
}

/* Raises the limit error of this epoch (building it at the first firing).
 * Never returns. */
static inline int tw_limit_raise(lua_State *L, tw_control *c, int reason) {
    unsigned long long epoch = __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&c->fired_epoch, __ATOMIC_ACQUIRE) != epoch) {
        char where[200];
        tw_limit_where(L, where, sizeof where);
        snprintf(c->fired_message, sizeof c->fired_message, "%s%s", where,
                 reason == TW_REASON_INSTRUCTIONS ? "instruction limit exceeded" : "time limit exceeded");
        c->reason = reason;
        __atomic_store_n(&c->fired_epoch, epoch, __ATOMIC_RELEASE);
    }
    lua_sethook(L, tw_limit_hook, LUA_MASKCOUNT, 1);
    lua_pushstring(L, c->fired_message);
    return lua_error(L);
}

/* Which limit, if any, stops the running call now (not counting steps). */
static inline int tw_stop_reason(tw_control *c) {
    if (!__atomic_load_n(&c->active, __ATOMIC_ACQUIRE)) return TW_REASON_NONE;
    unsigned long long epoch = __atomic_load_n(&c->epoch, __ATOMIC_ACQUIRE);
    if (__atomic_load_n(&c->fired_epoch, __ATOMIC_ACQUIRE) == epoch) return c->reason;
    if (__atomic_load_n(&c->armed_epoch, __ATOMIC_ACQUIRE) == epoch) return TW_REASON_TIME;
    return TW_REASON_NONE;
}

/* The budget check for C loops: counts `steps` against the exact instruction
 * limit (if the running call has one) and raises if a limit fired. */
static inline void tw_budget_check(lua_State *L, unsigned steps) {
    tw_control *c = tw_control_of(L);
    int reason = tw_stop_reason(c);
    if (reason != TW_REASON_NONE) tw_limit_raise(L, c, reason);
    if (c->step_limit != 0 && __atomic_load_n(&c->active, __ATOMIC_ACQUIRE)) {
        c->steps += steps;
        if (c->steps >= c->step_limit) tw_limit_raise(L, c, TW_REASON_INSTRUCTIONS);
    }
}

/* A step weight from a size, saturated so counters cannot overflow. */
static inline unsigned tw_weight(size_t w) {
    return w > (1u << 30) ? (1u << 30) : (unsigned)w;
}

/* One step of a C loop, weighted by `w` (e.g. bytes/64 for a memcmp); checks
 * the budget once *counter reaches TW_BUDGET_EVERY. */
static void tw_budget_spent(lua_State *L, unsigned *counter) __attribute__((noinline, cold));
static void tw_budget_spent(lua_State *L, unsigned *counter) {
    unsigned n = *counter;
    *counter = 0;
    tw_budget_check(L, n);
}

/* Inline and cheap (an add and a compare); the check itself is out of line so
 * it does not weigh on the hot loops that call this. */
static inline void tw_budget_step(lua_State *L, unsigned *counter, unsigned w) {
    *counter += w;
    if (tw_unlikely(*counter >= TW_BUDGET_EVERY)) tw_budget_spent(L, counter);
}

/* The limit hook: time limit armed by the watchdog, exact instruction count,
 * or a limit that already fired this epoch (re-raised on every instruction). */
static void tw_limit_hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    tw_control *c = tw_control_of(L);
    if (!__atomic_load_n(&c->active, __ATOMIC_ACQUIRE)) {
        lua_sethook(L, NULL, 0, 0);   /* armed for a call that already ended */
        return;
    }
    int reason = tw_stop_reason(c);
    if (reason != TW_REASON_NONE) tw_limit_raise(L, c, reason);
    if (c->step_limit == 0) {
        lua_sethook(L, NULL, 0, 0);   /* stale arming from an earlier epoch */
        return;
    }
    c->steps += (unsigned long long)lua_gethookcount(L);
    if (c->steps >= c->step_limit) tw_limit_raise(L, c, TW_REASON_INSTRUCTIONS);
    unsigned long long left = c->step_limit - c->steps;
    lua_sethook(L, tw_limit_hook, LUA_MASKCOUNT, left < TW_HOOK_PERIOD ? (int)left : TW_HOOK_PERIOD);
}

#endif
