/*
 * Call limits: the limit hook, call bookkeeping shared with the watchdog, coroutine resume.
 * Part of the CLua shim: see shim.h for the rules of the boundary.
 */
#ifndef TICKWIRE_TW_LIMITS_H
#define TICKWIRE_TW_LIMITS_H

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

#endif
