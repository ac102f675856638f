/*
 * Base-library functions the sandbox bounds: `load` of a string (parsed in
 * chunks, the budget checked between chunks) and `setmetatable` (refuses
 * `__gc`), plus the table that puts every bounded function in place of the
 * stock one when a state opens its libraries.
 * Part of the CLua shim: see shim.h for the rules of the boundary.
 *
 * Parts adapted from Lua 5.4.4's lbaselib.c (luaB_load, load_aux,
 * generic_reader, luaB_setmetatable): Copyright (C) 1994-2022 Lua.org, PUC-Rio, MIT licence
 * (the notice in lua.h applies).
 */
#ifndef TICKWIRE_TW_BASELIB_H
#define TICKWIRE_TW_BASELIB_H

/* ---- text reader ---------------------------------------------------------- */

/* The parser asks for source TW_LOAD_CHUNK bytes at a time, so a huge source
 * is parsed in slices with a budget check between them: 64 KiB parse in well
 * under a millisecond, so a time limit overruns by at most that. */
#define TW_LOAD_CHUNK ((size_t)64 * 1024)

typedef struct tw_text_reader {
    const char *s;
    size_t left;
    int started;
} tw_text_reader;

/* lua_Reader over a string. It runs inside Lua's protected parser, so the
 * budget check may raise here: lua_load then returns that error. Each chunk
 * counts bytes/16 steps in exact instruction mode. */
static inline const char *tw_read_text(lua_State *L, void *ud, size_t *size) {
    tw_text_reader *r = (tw_text_reader *)ud;
    if (r->left == 0) {
        *size = 0;
        return NULL;
    }
    size_t n = r->left < TW_LOAD_CHUNK ? r->left : TW_LOAD_CHUNK;
    if (r->started) tw_budget_check(L, (unsigned)(n / 16));
    r->started = 1;
    const char *chunk = r->s;
    r->s += n;
    r->left -= n;
    *size = n;
    return chunk;
}

/* lua_load of a string through tw_read_text; mode as for lua_load. */
static inline int tw_load_string(lua_State *L, const char *s, size_t n, const char *chunkname, const char *mode) {
    tw_text_reader reader = { s, n, 0 };
    return lua_load(L, tw_read_text, &reader, chunkname, mode);
}

/* lua_Reader over a Lua function (lbaselib.c's generic_reader): each piece
 * the function returns is fed to the parser in tw_read_text's slices, so one
 * huge piece is budget-checked too. The piece is kept in stack slot 5. */
static inline const char *tw_read_function(lua_State *L, void *ud, size_t *size) {
    tw_text_reader *r = (tw_text_reader *)ud;
    if (r->left == 0) {
        luaL_checkstack(L, 2, "too many nested functions");
        lua_pushvalue(L, 1);
        lua_call(L, 0, 1);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            *size = 0;
            return NULL;
        }
        else if (tw_unlikely(!lua_isstring(L, -1)))
            luaL_error(L, "reader function must return a string");
        lua_replace(L, 5);
        r->s = lua_tolstring(L, 5, &r->left);
        if (r->left == 0) {  /* an empty piece ends the chunk, as in stock Lua */
            *size = 0;
            return r->s;
        }
    }
    return tw_read_text(L, r, size);
}

/* ---- load ------------------------------------------------------------------- */

/* load(chunk [, chunkname [, mode [, env]]]) as in Lua 5.4.4. A string chunk is
 * parsed through tw_read_text (the string stays on the stack at index 1, so
 * it outlives the parse); a reader function through tw_read_function, whose
 * calls to the Lua reader are also hooked as usual. */
static inline int tw_base_load(lua_State *L) {
    int status;
    size_t l;
    const char *s = lua_tolstring(L, 1, &l);
    const char *mode = luaL_optstring(L, 3, "bt");
    int env = (!lua_isnone(L, 4) ? 4 : 0);
    if (s != NULL) {
        const char *chunkname = luaL_optstring(L, 2, s);
        status = tw_load_string(L, s, l, chunkname, mode);
    }
    else {
        const char *chunkname = luaL_optstring(L, 2, "=(load)");
        luaL_checktype(L, 1, LUA_TFUNCTION);
        lua_settop(L, 5);  /* slot 5 holds the reader's current piece */
        tw_text_reader reader = { NULL, 0, 0 };
        status = lua_load(L, tw_read_function, &reader, chunkname, mode);
    }
    if (status == LUA_OK) {
        if (env != 0) {
            lua_pushvalue(L, env);
            if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
        }
        return 1;
    }
    luaL_pushfail(L);
    lua_insert(L, -2);
    return 2;
}

/* ---- setmetatable ------------------------------------------------------------- */

/* setmetatable(t, mt) as in Lua 5.4.4, but a metatable that raw-holds a non-nil
 * __gc is refused: Lua runs finalizers with hooks off, so a finalizer could
 * never be stopped. Lua marks an object for finalization only if __gc is
 * present when setmetatable is called, and scripts cannot create userdata,
 * so this check is enough. */
static inline int tw_base_setmetatable(lua_State *L) {
    int t = lua_type(L, 2);
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_argexpected(L, t == LUA_TNIL || t == LUA_TTABLE, 2, "nil or table");
    if (t == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        int gc = lua_rawget(L, 2);
        lua_pop(L, 1);
        if (gc != LUA_TNIL)
            return luaL_error(L, "setmetatable: __gc metamethods are not allowed (finalizers cannot be time-limited)");
    }
    if (tw_unlikely(luaL_getmetafield(L, 1, "__metatable") != LUA_TNIL))
        return luaL_error(L, "cannot change a protected metatable");
    lua_settop(L, 2);
    lua_setmetatable(L, 1);
    return 1;
}

/* ---- installing the bounded functions ------------------------------------------ */

/* Puts the bounded functions in place of the stock ones; the standard
 * libraries must be open (their tables in the globals). */
static inline void tw_install_bounded_libs(lua_State *L) {
    lua_pushglobaltable(L);
    lua_pushcfunction(L, tw_base_load);
    lua_setfield(L, -2, "load");
    lua_pushcfunction(L, tw_base_setmetatable);
    lua_setfield(L, -2, "setmetatable");

    lua_getfield(L, -1, LUA_STRLIBNAME);
    lua_pushcfunction(L, tw_str_find); lua_setfield(L, -2, "find");
    lua_pushcfunction(L, tw_str_match); lua_setfield(L, -2, "match");
    lua_pushcfunction(L, tw_gmatch); lua_setfield(L, -2, "gmatch");
    lua_pushcfunction(L, tw_str_gsub); lua_setfield(L, -2, "gsub");
    lua_pushcfunction(L, tw_str_rep); lua_setfield(L, -2, "rep");
    lua_pop(L, 1);

    lua_getfield(L, -1, LUA_TABLIBNAME);
    lua_pushcfunction(L, tw_tinsert); lua_setfield(L, -2, "insert");
    lua_pushcfunction(L, tw_tremove); lua_setfield(L, -2, "remove");
    lua_pushcfunction(L, tw_tmove); lua_setfield(L, -2, "move");
    lua_pushcfunction(L, tw_tconcat); lua_setfield(L, -2, "concat");
    lua_pushcfunction(L, tw_tunpack); lua_setfield(L, -2, "unpack");
    lua_pushcfunction(L, tw_sort); lua_setfield(L, -2, "sort");
    lua_pop(L, 1);

    lua_getfield(L, -1, LUA_COLIBNAME);
    lua_pushcfunction(L, tw_co_resume); lua_setfield(L, -2, "resume");
    lua_pushcfunction(L, tw_co_close); lua_setfield(L, -2, "close");
    lua_pop(L, 2);
}

#endif
