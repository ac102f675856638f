/*
 * What the bounded library copies (Sources/CLua/tw_strlib.h, tw_tablib.h)
 * cost against Lua's stock functions: runs a Lua script 7 times in a state
 * with the stock libraries, or with the bounded ones installed, inside a
 * top-level call as LuaState.call makes it, and prints the best time.
 *
 *   cc -O2 -ISources/CLua -I/usr/include/lua5.4 Tests/lua-bench/libbench.c \
 *      /usr/lib/x86_64-linux-gnu/liblua5.4.a -lm -o /tmp/libbench
 *   /tmp/libbench 0|1 INSTRUCTION_LIMIT Tests/lua-bench/patterns.lua
 *
 * (0 = stock, 1 = bounded; INSTRUCTION_LIMIT 0 = time limit only.)
 */
#include "shim.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 4) { fprintf(stderr, "usage: libbench 0|1 instruction-limit script.lua\n"); return 2; }
    int bounded = atoi(argv[1]);
    long long limit = atoll(argv[2]);
    tw_control c;
    memset(&c, 0, sizeof c);
    lua_State *L = tw_newstate(&c);
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_COLIBNAME, luaopen_coroutine, 1);
    lua_pop(L, 4);
    if (bounded) tw_install_bounded_libs(L);
    if (luaL_loadfile(L, argv[3])) { fprintf(stderr, "%s\n", lua_tostring(L, -1)); return 1; }
    double best = 1e9;
    long long result = 0;
    for (int k = 0; k < 7; k++) {
        lua_pushvalue(L, -1);
        tw_call_begin(L, &c, limit);
        double t0 = now();
        if (lua_pcall(L, 0, 1, 0)) { fprintf(stderr, "%s\n", lua_tostring(L, -1)); return 1; }
        double t = now() - t0;
        tw_call_end(L, &c);
        result = lua_tointeger(L, -1);
        lua_pop(L, 1);
        if (t < best) best = t;
    }
    printf("%s %s: result %lld, best of 7 %.1f ms\n", bounded ? "bounded" : "stock  ", argv[3], result, best * 1000);
    return 0;
}
