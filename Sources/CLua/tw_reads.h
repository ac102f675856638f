/*
 * Vector components, quantization and the bulk reads of the snapshot.
 * Part of the CLua shim: see shim.h for the rules of the boundary.
 */
#ifndef TICKWIRE_TW_READS_H
#define TICKWIRE_TW_READS_H

/* ---- vector components ------------------------------------------------------- */


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
 * fixed clamps to its steps; angles wrap into one turn. Every NaN (and an
 * infinite angle) lands on a defined value; tw_holds tells whether the kind
 * holds the number at all. */
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

/* Whether a number is one the kind can hold: f32 holds anything; the others
 * hold finite numbers only (NaN and infinities are stored as a defined
 * value, but the reader reports them as wrong, like a value of the wrong
 * type). */
static inline int tw_holds(const tw_quantizer *q, double v) {
    return q->kind == TW_Q_F32 || q->kind == TW_Q_BOOL || __builtin_isfinite(v);
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
        if (t == LUA_TTABLE) {
            tw_read_components(L, index, q->kind == TW_Q_VEC3 ? 3 : 4, v);
            for (int i = 0; i < 4; i++) if (!__builtin_isfinite(v[i])) c->ok = 0;
        } else c->ok = (t == LUA_TNIL);
        if (q->kind == TW_Q_QUAT) c->q = tw_quantize_quat(q, v[0], v[1], v[2], v[3]);
        else if (t == LUA_TTABLE) c->q = tw_quantize_vec3(q, v[0], v[1], v[2]);
        break;
    }
    default:
        if (t == LUA_TNUMBER) {
            double v = lua_tonumberx(L, index, NULL);
            c->q = tw_quantize_number(q, v);
            c->ok = tw_holds(q, v);
        } else c->ok = (t == LUA_TNIL);
        break;
    }
}

/* Reads, for every table list[1..n] of the array at `list`, its integer `id`
 * and then the fields named by the registry strings keys[0..nkeys),
 * quantized by qs[0..nkeys), into cells[(nkeys + 1) * k ...]. Only raw gets:
 * no allocation in Lua, no metamethod. One call per entity list instead of
 * several per field. Returns the number of tables read, at most `capacity`.
 * When `ids` is a stack index (not 0), also counts in `*mismatches` the
 * tables whose `id` is not raw-equal to ids[table] (the engine's own record)
 * or whose field `kindkey` is not raw-equal to the registry value
 * `kindvalue` (an interned string: one pointer compare): two raw gets more
 * per table. */
static inline int tw_read_tables(lua_State *L, int list, const int *keys, const tw_quantizer *qs,
                                 int nkeys, int idkey, int ids, int kindkey, int kindvalue, int *mismatches,
                                 tw_cell *cells, int capacity) {
    list = lua_absindex(L, list);
    if (ids) ids = lua_absindex(L, ids);
    *mismatches = 0;
    if (!lua_checkstack(L, nkeys + 8)) return 0;
    /* Keys on the stack: copying a stack slot is cheaper than a registry lookup per field. */
    int keybase = lua_gettop(L) + 1;
    lua_rawgeti(L, LUA_REGISTRYINDEX, idkey);
    for (int f = 0; f < nkeys; f++) lua_rawgeti(L, LUA_REGISTRYINDEX, keys[f]);
    int kindslot = 0;
    if (ids) {
        kindslot = lua_gettop(L) + 1;
        lua_rawgeti(L, LUA_REGISTRYINDEX, kindkey);
        lua_rawgeti(L, LUA_REGISTRYINDEX, kindvalue);
    }
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
        if (kindslot) {
            lua_pushvalue(L, entity);
            lua_rawget(L, ids);
            lua_pushvalue(L, kindslot);
            lua_rawget(L, entity);
            if (!lua_rawequal(L, -3, -2) || !lua_rawequal(L, -1, kindslot + 1)) (*mismatches)++;
            lua_pop(L, 2);
        }
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
