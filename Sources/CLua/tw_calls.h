/*
 * The message handler, Lua calling Swift, and the protected operations.
 * Part of the CLua shim: see shim.h for the rules of the boundary.
 */
#ifndef TICKWIRE_TW_CALLS_H
#define TICKWIRE_TW_CALLS_H

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
    int status = tw_load_string(L, src, n, name, "t");   /* budget-checked slices */
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
    lua_pop(L, 6);
    tw_install_bounded_libs(L);
    return 0;
}

static inline int tw_openlibs(lua_State *L) {
    lua_pushcfunction(L, tw_op_openlibs);
    return lua_pcall(L, 0, 0, 0);
}

#endif
