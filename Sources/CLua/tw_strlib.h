/*
 * string.find, match, gmatch, gsub and rep of Lua 5.4.4 (lstrlib.c), bounded:
 * their loops over the subject count steps for the call budget (tw_budget.h)
 * and the matcher is tw_match.h's. string.rep of an empty result returns ""
 * at once (stock Lua loops n times copying nothing). Results otherwise equal
 * stock Lua's.
 * Part of the CLua shim: see shim.h for the rules of the boundary.
 *
 * Lua 5.4.4 -- Copyright (C) 1994-2022 Lua.org, PUC-Rio. MIT licence; the full
 * notice is in tw_match.h.
 */
#ifndef TICKWIRE_TW_STRLIB_H
#define TICKWIRE_TW_STRLIB_H


/*
** translate a relative initial string position
** (negative means back from end): clip result to [1, inf).
** The length of any string in Lua must fit in a lua_Integer,
** so there are no overflows in the casts.
** The inverted comparison avoids a possible overflow
** computing '-pos'.
*/
static size_t tw_posrelatI (lua_Integer pos, size_t len) {
  if (pos > 0)
    return (size_t)pos;
  else if (pos == 0)
    return 1;
  else if (pos < -(lua_Integer)len)  /* inverted comparison */
    return 1;  /* clip to 1 */
  else return len + (size_t)pos + 1;
}

static int tw_str_rep (lua_State *L) {
  size_t l, lsep;
  const char *s = luaL_checklstring(L, 1, &l);
  lua_Integer n = luaL_checkinteger(L, 2);
  const char *sep = luaL_optlstring(L, 3, "", &lsep);
  if (n <= 0 || (l == 0 && lsep == 0))  /* Tickwire: an empty result at once */
    lua_pushliteral(L, "");
  else if (tw_unlikely(l + lsep < l || l + lsep > TW_MAXSIZE / n))
    return luaL_error(L, "resulting string too large");
  else {
    size_t totallen = (size_t)n * l + (size_t)(n - 1) * lsep;
    luaL_Buffer b;
    char *p = luaL_buffinitsize(L, &b, totallen);
    /* Tickwire: the first n-1 copies (each followed by the separator) are
     * built by doubling what is already written, so a short string repeated
     * many times costs a few large copies, not one small copy per repeat;
     * each copy is a budget step weighted by its bytes. */
    size_t unit = l + lsep, repeated = (size_t)(n - 1) * unit;
    unsigned steps = 0;
    if (repeated > 0) {
      memcpy(p, s, l * sizeof(char));
      if (lsep > 0) memcpy(p + l, sep, lsep * sizeof(char));
      size_t done = unit;
      while (done < repeated) {
        size_t chunk = done < repeated - done ? done : repeated - done;
        tw_budget_step(L, &steps, tw_weight((chunk >> 6) + 1));
        memcpy(p + done, p, chunk);
        done += chunk;
      }
    }
    memcpy(p + repeated, s, l * sizeof(char));  /* last copy (not followed by separator) */
    luaL_pushresultsize(&b, totallen);
  }
  return 1;
}



/*
** get information about the i-th capture. If there are no captures
** and 'i==0', return information about the whole tw_match, which
** is the range 's'..'e'. If the capture is a string, return
** its length and put its address in '*cap'. If it is an integer
** (a position), push it on the stack and return TW_CAP_POSITION.
*/
static size_t tw_get_onecapture (tw_MatchState *ms, int i, const char *s,
                              const char *e, const char **cap) {
  if (i >= ms->level) {
    if (tw_unlikely(i != 0))
      luaL_error(ms->L, "invalid capture index %%%d", i + 1);
    *cap = s;
    return e - s;
  }
  else {
    ptrdiff_t capl = ms->capture[i].len;
    *cap = ms->capture[i].init;
    if (tw_unlikely(capl == TW_CAP_UNFINISHED))
      luaL_error(ms->L, "unfinished capture");
    else if (capl == TW_CAP_POSITION)
      lua_pushinteger(ms->L, (ms->capture[i].init - ms->src_init) + 1);
    return capl;
  }
}


/*
** Push the i-th capture on the stack.
*/
static void tw_push_onecapture (tw_MatchState *ms, int i, const char *s,
                                                    const char *e) {
  const char *cap;
  ptrdiff_t l = tw_get_onecapture(ms, i, s, e, &cap);
  if (l != TW_CAP_POSITION)
    lua_pushlstring(ms->L, cap, l);
  /* else position was already pushed */
}


static int tw_push_captures (tw_MatchState *ms, const char *s, const char *e) {
  int i;
  int nlevels = (ms->level == 0 && s) ? 1 : ms->level;
  luaL_checkstack(ms->L, nlevels, "too many captures");
  for (i = 0; i < nlevels; i++)
    tw_push_onecapture(ms, i, s, e);
  return nlevels;  /* number of strings pushed */
}


/* check whether pattern has no special characters */
static int tw_nospecials (const char *p, size_t l) {
  size_t upto = 0;
  do {
    if (strpbrk(p + upto, TW_SPECIALS))
      return 0;  /* pattern has a special character */
    upto += strlen(p + upto) + 1;  /* may have more after \0 */
  } while (upto <= l);
  return 1;  /* no special chars found */
}


static void tw_prepstate (tw_MatchState *ms, lua_State *L,
                       const char *s, size_t ls, const char *p, size_t lp) {
  ms->L = L;
  ms->matchdepth = TW_MAXCCALLS;
  ms->src_init = s;
  ms->src_end = s + ls;
  ms->p_end = p + lp;
  ms->steps = 0;
}


static void tw_reprepstate (tw_MatchState *ms) {
  ms->level = 0;
  lua_assert(ms->matchdepth == TW_MAXCCALLS);
}


static int tw_str_find_aux (lua_State *L, int find) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = tw_posrelatI(luaL_optinteger(L, 3, 1), ls) - 1;
  if (init > ls) {  /* start after string's end? */
    luaL_pushfail(L);  /* cannot find anything */
    return 1;
  }
  /* explicit request or no special characters? */
  if (find && (lua_toboolean(L, 4) || tw_nospecials(p, lp))) {
    /* do a plain search */
    const char *s2 = tw_lmemfind(L, s + init, ls - init, p, lp);
    if (s2) {
      lua_pushinteger(L, (s2 - s) + 1);
      lua_pushinteger(L, (s2 - s) + lp);
      return 2;
    }
  }
  else {
    tw_MatchState ms;
    const char *s1 = s + init;
    int anchor = (*p == '^');
    if (anchor) {
      p++; lp--;  /* skip anchor character */
    }
    tw_prepstate(&ms, L, s, ls, p, lp);
    do {
      const char *res;
      tw_reprepstate(&ms);
      if ((res=tw_match(&ms, s1, p)) != NULL) {
        if (find) {
          lua_pushinteger(L, (s1 - s) + 1);  /* start */
          lua_pushinteger(L, res - s);   /* end */
          return tw_push_captures(&ms, NULL, 0) + 2;
        }
        else
          return tw_push_captures(&ms, s1, res);
      }
    } while (s1++ < ms.src_end && !anchor);
  }
  luaL_pushfail(L);  /* not found */
  return 1;
}


static int tw_str_find (lua_State *L) {
  return tw_str_find_aux(L, 1);
}


static int tw_str_match (lua_State *L) {
  return tw_str_find_aux(L, 0);
}


/* state for 'tw_gmatch' */
typedef struct tw_GMatchState {
  const char *src;  /* current position */
  const char *p;  /* pattern */
  const char *lastmatch;  /* end of last match */
  tw_MatchState ms;  /* tw_match state */
} tw_GMatchState;


static int tw_gmatch_aux (lua_State *L) {
  tw_GMatchState *gm = (tw_GMatchState *)lua_touserdata(L, lua_upvalueindex(3));
  const char *src;
  gm->ms.L = L;
  for (src = gm->src; src <= gm->ms.src_end; src++) {
    const char *e;
    tw_reprepstate(&gm->ms);
    if ((e = tw_match(&gm->ms, src, gm->p)) != NULL && e != gm->lastmatch) {
      gm->src = gm->lastmatch = e;
      return tw_push_captures(&gm->ms, src, e);
    }
  }
  return 0;  /* not found */
}


static int tw_gmatch (lua_State *L) {
  size_t ls, lp;
  const char *s = luaL_checklstring(L, 1, &ls);
  const char *p = luaL_checklstring(L, 2, &lp);
  size_t init = tw_posrelatI(luaL_optinteger(L, 3, 1), ls) - 1;
  tw_GMatchState *gm;
  lua_settop(L, 2);  /* keep strings on closure to avoid being collected */
  gm = (tw_GMatchState *)lua_newuserdatauv(L, sizeof(tw_GMatchState), 0);
  if (init > ls)  /* start after string's end? */
    init = ls + 1;  /* avoid overflows in 's + init' */
  tw_prepstate(&gm->ms, L, s, ls, p, lp);
  gm->src = s + init; gm->p = p; gm->lastmatch = NULL;
  lua_pushcclosure(L, tw_gmatch_aux, 3);
  return 1;
}


static void tw_add_s (tw_MatchState *ms, luaL_Buffer *b, const char *s,
                                                   const char *e) {
  size_t l;
  lua_State *L = ms->L;
  const char *news = lua_tolstring(L, 3, &l);
  const char *p;
  while ((p = (char *)memchr(news, TW_L_ESC, l)) != NULL) {
    luaL_addlstring(b, news, p - news);
    p++;  /* skip ESC */
    if (*p == TW_L_ESC)  /* '%%' */
      luaL_addchar(b, *p);
    else if (*p == '0')  /* '%0' */
        luaL_addlstring(b, s, e - s);
    else if (isdigit(TW_UCHAR(*p))) {  /* '%n' */
      const char *cap;
      ptrdiff_t resl = tw_get_onecapture(ms, *p - '1', s, e, &cap);
      if (resl == TW_CAP_POSITION)
        luaL_addvalue(b);  /* add position to accumulated result */
      else
        luaL_addlstring(b, cap, resl);
    }
    else
      luaL_error(L, "invalid use of '%c' in replacement string", TW_L_ESC);
    l -= p + 1 - news;
    news = p + 1;
  }
  luaL_addlstring(b, news, l);
}


/*
** Add the replacement value to the string buffer 'b'.
** Return true if the original string was changed. (Function calls and
** table indexing resulting in nil or false do not change the subject.)
*/
static int tw_add_value (tw_MatchState *ms, luaL_Buffer *b, const char *s,
                                      const char *e, int tr) {
  lua_State *L = ms->L;
  switch (tr) {
    case LUA_TFUNCTION: {  /* call the function */
      int n;
      lua_pushvalue(L, 3);  /* push the function */
      n = tw_push_captures(ms, s, e);  /* all captures as arguments */
      lua_call(L, n, 1);  /* call it */
      break;
    }
    case LUA_TTABLE: {  /* index the table */
      tw_push_onecapture(ms, 0, s, e);  /* first capture is the index */
      lua_gettable(L, 3);
      break;
    }
    default: {  /* LUA_TNUMBER or LUA_TSTRING */
      tw_add_s(ms, b, s, e);  /* add value to the buffer */
      return 1;  /* something changed */
    }
  }
  if (!lua_toboolean(L, -1)) {  /* nil or false? */
    lua_pop(L, 1);  /* remove value */
    luaL_addlstring(b, s, e - s);  /* keep original text */
    return 0;  /* no changes */
  }
  else if (tw_unlikely(!lua_isstring(L, -1)))
    return luaL_error(L, "invalid replacement value (a %s)",
                         luaL_typename(L, -1));
  else {
    luaL_addvalue(b);  /* add result to accumulator */
    return 1;  /* something changed */
  }
}


static int tw_str_gsub (lua_State *L) {
  size_t srcl, lp;
  const char *src = luaL_checklstring(L, 1, &srcl);  /* subject */
  const char *p = luaL_checklstring(L, 2, &lp);  /* pattern */
  const char *lastmatch = NULL;  /* end of last match */
  int tr = lua_type(L, 3);  /* replacement type */
  lua_Integer max_s = luaL_optinteger(L, 4, srcl + 1);  /* max replacements */
  int anchor = (*p == '^');
  lua_Integer n = 0;  /* replacement count */
  int changed = 0;  /* change flag */
  tw_MatchState ms;
  luaL_Buffer b;
  luaL_argexpected(L, tr == LUA_TNUMBER || tr == LUA_TSTRING ||
                   tr == LUA_TFUNCTION || tr == LUA_TTABLE, 3,
                      "string/function/table");
  luaL_buffinit(L, &b);
  if (anchor) {
    p++; lp--;  /* skip anchor character */
  }
  tw_prepstate(&ms, L, src, srcl, p, lp);
  while (n < max_s) {
    const char *e;
    tw_reprepstate(&ms);  /* (re)prepare state for new match */
    if ((e = tw_match(&ms, src, p)) != NULL && e != lastmatch) {  /* match? */
      n++;
      changed = tw_add_value(&ms, &b, src, e, tr) | changed;
      src = lastmatch = e;
    }
    else if (src < ms.src_end)  /* otherwise, skip one character */
      luaL_addchar(&b, *src++);
    else break;  /* end of subject */
    if (anchor) break;
  }
  if (!changed)  /* no changes? */
    lua_pushvalue(L, 1);  /* return original string */
  else {  /* something changed */
    luaL_addlstring(&b, src, ms.src_end-src);
    luaL_pushresult(&b);  /* create and return new string */
  }
  lua_pushinteger(L, n);  /* number of substitutions */
  return 2;
}

#endif
