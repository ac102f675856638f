/*
 * Call limits: call bookkeeping shared with the watchdog, and coroutine resume
 * and close, which carry the limit hook into the coroutine (the hook itself
 * and the budget check are in tw_budget.h).
 * Part of the CLua shim: see shim.h for the rules of the boundary.
 */
#ifndef TICKWIRE_TW_LIMITS_H
#define TICKWIRE_TW_LIMITS_H

/* ---- call limits ------------------------------------------------------------- */

/* Marks the start of a top-level call; arms the exact instruction count hook
 * when instruction_limit > 0 (deterministic, but it slows every instruction).
 * The hook adds TW_HOOK_PERIOD instructions at a time to c->steps, which the
 * C budget check (tw_budget.h) adds its steps to. */
static inline void tw_call_begin(lua_State *L, tw_control *c, long long instruction_limit) {
    c->refused = 0;
    c->steps = 0;
    c->step_limit = instruction_limit > 0 ? (unsigned long long)instruction_limit : 0;
    __atomic_store_n(&c->started_ns, tw_now_ns(), __ATOMIC_RELEASE);
    __atomic_add_fetch(&c->epoch, 1, __ATOMIC_ACQ_REL);
    __atomic_store_n(&c->active, 1, __ATOMIC_RELEASE);
    if (instruction_limit > 0)
        lua_sethook(L, tw_limit_hook, LUA_MASKCOUNT,
                    instruction_limit < TW_HOOK_PERIOD ? (int)instruction_limit : TW_HOOK_PERIOD);
}

static inline void tw_call_end(lua_State *L, tw_control *c) {
    __atomic_store_n(&c->active, 0, __ATOMIC_RELEASE);
    c->step_limit = 0;
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
    __atomic_store_n(&c->armed_epoch, epoch, __ATOMIC_RELEASE);
    tw_lock(c);
    lua_sethook(c->running ? c->running : L, tw_limit_hook, LUA_MASKCOUNT, 1);
    tw_unlock(c);
    lua_sethook(L, tw_limit_hook, LUA_MASKCOUNT, 1);
}

/* Before running Lua on thread `co` from L: a hook is per Lua thread, so the
 * limit hook is copied into it, and the watchdog is told which thread runs.
 * Returns the thread that ran before, for tw_leave_thread. */
static inline lua_State *tw_enter_thread(lua_State *L, tw_control *c, lua_State *co) {
    lua_sethook(co, lua_gethook(L), lua_gethookmask(L), lua_gethookcount(L));
    tw_lock(c);
    lua_State *previous = c->running;
    c->running = co;
    tw_unlock(c);
    return previous;
}

/* After `co` stopped running: restores `running`, and re-arms the hook on L
 * if a limit fired inside (so the error cannot be swallowed by the caller). */
static inline void tw_leave_thread(lua_State *L, tw_control *c, lua_State *previous) {
    tw_lock(c);
    c->running = previous;
    tw_unlock(c);
    if (tw_stop_reason(c) != TW_REASON_NONE)
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
    lua_State *previous = tw_enter_thread(L, c, co);
    int nres = 0;
    int status = lua_resume(co, L, narg, &nres);
    tw_leave_thread(L, c, previous);
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

/* coroutine.close for the sandbox (lcorolib.c's luaB_close, Lua 5.4.4, MIT
 * licence, Copyright (C) 1994-2022 Lua.org, PUC-Rio): the coroutine's pending
 * __close handlers run on the coroutine, so they get the limit hook and the
 * watchdog sees them as the running thread, as in tw_co_resume. */
static inline int tw_co_close(lua_State *L) {
    lua_State *co = lua_tothread(L, 1);
    luaL_argexpected(L, co != NULL, 1, "coroutine");
    static const char *const statname[] = {"running", "dead", "suspended", "normal"};
    int status;   /* 0 running, 1 dead, 2 suspended, 3 normal (lcorolib's auxstatus) */
    if (L == co) status = 0;
    else if (lua_status(co) == LUA_YIELD) status = 2;
    else if (lua_status(co) != LUA_OK) status = 1;
    else {
        lua_Debug ar;
        if (lua_getstack(co, 0, &ar)) status = 3;
        else status = lua_gettop(co) == 0 ? 1 : 2;
    }
    if (status != 1 && status != 2)
        return luaL_error(L, "cannot close a %s coroutine", statname[status]);
    void *ud;
    lua_getallocf(L, &ud);
    tw_control *c = (tw_control *)ud;
    lua_State *previous = tw_enter_thread(L, c, co);
#if LUA_VERSION_NUM == 504 && LUA_VERSION_RELEASE_NUM >= 50406
    int result = lua_closethread(co, L);
#else
    int result = lua_resetthread(co);
#endif
    tw_leave_thread(L, c, previous);
    if (result == LUA_OK) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushboolean(L, 0);
    lua_xmove(co, L, 1);  /* the error */
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
