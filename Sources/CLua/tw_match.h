/*
 * Lua's pattern matcher (lstrlib.c of Lua 5.4.4), bounded: the matcher's
 * recursion and backtracking, its expansion loops, %b scans and bracket
 * classes count steps and check the call budget (tw_budget.h) every
 * TW_BUDGET_EVERY steps, so a pathological pattern stops at the call's time
 * or instruction limit instead of running for hours. Otherwise it is Lua's
 * code unchanged (names prefixed tw_), so results equal stock Lua's for every
 * input that finishes (Tests/LuaTests/LuaPatternDifferentialTests.swift).
 * Part of the CLua shim: see shim.h for the rules of the boundary.
 *
 * Lua 5.4.4 -- Copyright (C) 1994-2022 Lua.org, PUC-Rio.
 * Permission is hereby granted, free of charge, to any person obtaining a copy
 * of this software and associated documentation files (the "Software"), to
 * deal in the Software without restriction, including without limitation the
 * rights to use, copy, modify, merge, publish, distribute, sublicense, and/or
 * sell copies of the Software, and to permit persons to whom the Software is
 * furnished to do so, subject to the following conditions: The above copyright
 * notice and this permission notice shall be included in all copies or
 * substantial portions of the Software. THE SOFTWARE IS PROVIDED "AS IS",
 * WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED.
 */
#ifndef TICKWIRE_TW_MATCH_H
#define TICKWIRE_TW_MATCH_H

#include <ctype.h>
#include <limits.h>
#include <stddef.h>

/*
** maximum number of captures that a pattern can do during
** pattern-matching. This limit is arbitrary, but must fit in
** an unsigned char.
*/
#if !defined(LUA_MAXCAPTURES)
#define LUA_MAXCAPTURES		32
#endif


/* macro to 'unsign' a character */
#define TW_UCHAR(c)	((unsigned char)(c))


/*
** Some sizes are better limited to fit in 'int', but must also fit in
** 'size_t'. (We assume that 'lua_Integer' cannot be smaller than 'int'.)
*/
#define TW_MAX_SIZET	((size_t)(~(size_t)0))

#define TW_MAXSIZE  \
	(sizeof(size_t) < sizeof(int) ? TW_MAX_SIZET : (size_t)(INT_MAX))






/* }====================================================== */

/*
** {======================================================
** PATTERN MATCHING
** =======================================================
*/


#define TW_CAP_UNFINISHED	(-1)
#define TW_CAP_POSITION	(-2)


typedef struct tw_MatchState {
  const char *src_init;  /* init of source string */
  const char *src_end;  /* end ('\0') of source string */
  const char *p_end;  /* end ('\0') of pattern */
  lua_State *L;
  int matchdepth;  /* control for recursive depth (to avoid C stack overflow) */
  unsigned char level;  /* total number of captures (finished or unfinished) */
  unsigned steps;  /* Tickwire: steps since the last budget check */
  struct {
    const char *init;
    ptrdiff_t len;
  } capture[LUA_MAXCAPTURES];
} tw_MatchState;


/* recursive function */
static const char *tw_match (tw_MatchState *ms, const char *s, const char *p);


/* maximum recursion depth for 'tw_match' */
#if !defined(TW_MAXCCALLS)
#define TW_MAXCCALLS	200
#endif


#define TW_L_ESC		'%'
#define TW_SPECIALS	"^$*+?.([%-"


static int tw_check_capture (tw_MatchState *ms, int l) {
  l -= '1';
  if (tw_unlikely(l < 0 || l >= ms->level ||
                 ms->capture[l].len == TW_CAP_UNFINISHED))
    return luaL_error(ms->L, "invalid capture index %%%d", l + 1);
  return l;
}


static int tw_capture_to_close (tw_MatchState *ms) {
  int level = ms->level;
  for (level--; level>=0; level--)
    if (ms->capture[level].len == TW_CAP_UNFINISHED) return level;
  return luaL_error(ms->L, "invalid pattern capture");
}


static const char *tw_classend (tw_MatchState *ms, const char *p) {
  switch (*p++) {
    case TW_L_ESC: {
      if (tw_unlikely(p == ms->p_end))
        luaL_error(ms->L, "malformed pattern (ends with '%%')");
      return p+1;
    }
    case '[': {
      const char *start = p;
      if (*p == '^') p++;
      do {  /* look for a ']' */
        if (tw_unlikely(p == ms->p_end))
          luaL_error(ms->L, "malformed pattern (missing ']')");
        if (*(p++) == TW_L_ESC && p < ms->p_end)
          p++;  /* skip escapes (e.g. '%]') */
      } while (*p != ']');
      /* Tickwire: a long class costs its length here and in the test that
       * follows (short ones are covered by the step of the item) */
      if (tw_unlikely(p - start > 64))
        tw_budget_step(ms->L, &ms->steps, tw_weight((size_t)(p - start) >> 5));
      return p+1;
    }
    default: {
      return p;
    }
  }
}


static int tw_match_class (int c, int cl) {
  int res;
  switch (tolower(cl)) {
    case 'a' : res = isalpha(c); break;
    case 'c' : res = iscntrl(c); break;
    case 'd' : res = isdigit(c); break;
    case 'g' : res = isgraph(c); break;
    case 'l' : res = islower(c); break;
    case 'p' : res = ispunct(c); break;
    case 's' : res = isspace(c); break;
    case 'u' : res = isupper(c); break;
    case 'w' : res = isalnum(c); break;
    case 'x' : res = isxdigit(c); break;
    case 'z' : res = (c == 0); break;  /* deprecated option */
    default: return (cl == c);
  }
  return (islower(cl) ? res : !res);
}


static int tw_matchbracketclass (int c, const char *p, const char *ec) {
  int sig = 1;
  if (*(p+1) == '^') {
    sig = 0;
    p++;  /* skip the '^' */
  }
  while (++p < ec) {
    if (*p == TW_L_ESC) {
      p++;
      if (tw_match_class(c, TW_UCHAR(*p)))
        return sig;
    }
    else if ((*(p+1) == '-') && (p+2 < ec)) {
      p+=2;
      if (TW_UCHAR(*(p-2)) <= c && c <= TW_UCHAR(*p))
        return sig;
    }
    else if (TW_UCHAR(*p) == c) return sig;
  }
  return !sig;
}


static int tw_singlematch (tw_MatchState *ms, const char *s, const char *p,
                        const char *ep) {
  if (s >= ms->src_end)
    return 0;
  else {
    int c = TW_UCHAR(*s);
    switch (*p) {
      case '.': return 1;  /* matches any char */
      case TW_L_ESC: return tw_match_class(c, TW_UCHAR(*(p+1)));
      case '[': return tw_matchbracketclass(c, p, ep-1);
      default:  return (TW_UCHAR(*p) == c);
    }
  }
}


static const char *tw_matchbalance (tw_MatchState *ms, const char *s,
                                   const char *p) {
  if (tw_unlikely(p >= ms->p_end - 1))
    luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
  if (*s != *p) return NULL;
  else {
    int b = *p;
    int e = *(p+1);
    int cont = 1;
    const char *start = s;  /* Tickwire: the scan is weighed once, at its end */
    while (++s < ms->src_end) {
      if (*s == e) {
        if (--cont == 0) {
          tw_budget_step(ms->L, &ms->steps, tw_weight((size_t)(s - start) >> 4));
          return s+1;
        }
      }
      else if (*s == b) cont++;
    }
    tw_budget_step(ms->L, &ms->steps, tw_weight((size_t)(s - start) >> 4));
  }
  return NULL;  /* string ends out of balance */
}


static const char *tw_max_expand (tw_MatchState *ms, const char *s,
                                 const char *p, const char *ep) {
  ptrdiff_t i = 0;  /* counts maximum expand for item */
  if (tw_unlikely(ep - p > 64)) {  /* Tickwire: a long class, weighed per character */
    while (tw_singlematch(ms, s + i, p, ep)) {
      i++;
      tw_budget_step(ms->L, &ms->steps, tw_weight((size_t)(ep - p) >> 6));
    }
  }
  else {
    while (tw_singlematch(ms, s + i, p, ep))
      i++;
    /* Tickwire: the scan is linear in the subject; weigh it once */
    tw_budget_step(ms->L, &ms->steps, tw_weight((size_t)i >> 4));
  }
  /* keeps trying to tw_match with the maximum repetitions */
  while (i>=0) {
    const char *res = tw_match(ms, (s+i), ep+1);
    if (res) return res;
    i--;  /* else didn't tw_match; reduce 1 repetition to try again */
  }
  return NULL;
}


static const char *tw_min_expand (tw_MatchState *ms, const char *s,
                                 const char *p, const char *ep) {
  for (;;) {
    const char *res = tw_match(ms, s, ep+1);
    if (res != NULL)
      return res;
    else if (tw_singlematch(ms, s, p, ep)) {
      s++;  /* try with one more repetition */
      if (tw_unlikely(ep - p > 64))  /* Tickwire: a long class costs its length */
        tw_budget_step(ms->L, &ms->steps, tw_weight((size_t)(ep - p) >> 6));
    }
    else return NULL;
  }
}


static const char *tw_start_capture (tw_MatchState *ms, const char *s,
                                    const char *p, int what) {
  const char *res;
  int level = ms->level;
  if (level >= LUA_MAXCAPTURES) luaL_error(ms->L, "too many captures");
  ms->capture[level].init = s;
  ms->capture[level].len = what;
  ms->level = level+1;
  if ((res=tw_match(ms, s, p)) == NULL)  /* tw_match failed? */
    ms->level--;  /* undo capture */
  return res;
}


static const char *tw_end_capture (tw_MatchState *ms, const char *s,
                                  const char *p) {
  int l = tw_capture_to_close(ms);
  const char *res;
  ms->capture[l].len = s - ms->capture[l].init;  /* close capture */
  if ((res = tw_match(ms, s, p)) == NULL)  /* tw_match failed? */
    ms->capture[l].len = TW_CAP_UNFINISHED;  /* undo capture */
  return res;
}


static const char *tw_match_capture (tw_MatchState *ms, const char *s, int l) {
  size_t len;
  l = tw_check_capture(ms, l);
  len = ms->capture[l].len;
  if ((size_t)(ms->src_end-s) >= len &&
      memcmp(ms->capture[l].init, s, len) == 0)
    return s+len;
  else return NULL;
}


static const char *tw_match (tw_MatchState *ms, const char *s, const char *p) {
  if (tw_unlikely(ms->matchdepth-- == 0))
    luaL_error(ms->L, "pattern too complex");
  init: /* using goto's to optimize tail recursion */
  tw_budget_step(ms->L, &ms->steps, 1);  /* Tickwire: every pattern item tried */
  if (p != ms->p_end) {  /* end of pattern? */
    switch (*p) {
      case '(': {  /* start capture */
        if (*(p + 1) == ')')  /* position capture? */
          s = tw_start_capture(ms, s, p + 2, TW_CAP_POSITION);
        else
          s = tw_start_capture(ms, s, p + 1, TW_CAP_UNFINISHED);
        break;
      }
      case ')': {  /* end capture */
        s = tw_end_capture(ms, s, p + 1);
        break;
      }
      case '$': {
        if ((p + 1) != ms->p_end)  /* is the '$' the last char in pattern? */
          goto dflt;  /* no; go to default */
        s = (s == ms->src_end) ? s : NULL;  /* check end of string */
        break;
      }
      case TW_L_ESC: {  /* escaped sequences not in the format class[*+?-]? */
        switch (*(p + 1)) {
          case 'b': {  /* balanced string? */
            s = tw_matchbalance(ms, s, p + 2);
            if (s != NULL) {
              p += 4; goto init;  /* return tw_match(ms, s, p + 4); */
            }  /* else fail (s == NULL) */
            break;
          }
          case 'f': {  /* frontier? */
            const char *ep; char previous;
            p += 2;
            if (tw_unlikely(*p != '['))
              luaL_error(ms->L, "missing '[' after '%%f' in pattern");
            ep = tw_classend(ms, p);  /* points to what is next */
            tw_budget_step(ms->L, &ms->steps, tw_weight((size_t)(ep - p) >> 4));  /* Tickwire */
            previous = (s == ms->src_init) ? '\0' : *(s - 1);
            if (!tw_matchbracketclass(TW_UCHAR(previous), p, ep - 1) &&
               tw_matchbracketclass(TW_UCHAR(*s), p, ep - 1)) {
              p = ep; goto init;  /* return tw_match(ms, s, ep); */
            }
            s = NULL;  /* tw_match failed */
            break;
          }
          case '0': case '1': case '2': case '3':
          case '4': case '5': case '6': case '7':
          case '8': case '9': {  /* capture results (%0-%9)? */
            s = tw_match_capture(ms, s, TW_UCHAR(*(p + 1)));
            if (s != NULL) {
              p += 2; goto init;  /* return tw_match(ms, s, p + 2) */
            }
            break;
          }
          default: goto dflt;
        }
        break;
      }
      default: dflt: {  /* pattern class plus optional suffix */
        const char *ep = tw_classend(ms, p);  /* points to optional suffix */
        /* does not tw_match at least once? */
        if (!tw_singlematch(ms, s, p, ep)) {
          if (*ep == '*' || *ep == '?' || *ep == '-') {  /* accept empty? */
            p = ep + 1; goto init;  /* return tw_match(ms, s, ep + 1); */
          }
          else  /* '+' or no suffix */
            s = NULL;  /* fail */
        }
        else {  /* matched once */
          switch (*ep) {  /* handle optional suffix */
            case '?': {  /* optional */
              const char *res;
              if ((res = tw_match(ms, s + 1, ep + 1)) != NULL)
                s = res;
              else {
                p = ep + 1; goto init;  /* else return tw_match(ms, s, ep + 1); */
              }
              break;
            }
            case '+':  /* 1 or more repetitions */
              s++;  /* 1 tw_match already done */
              /* FALLTHROUGH */
            case '*':  /* 0 or more repetitions */
              s = tw_max_expand(ms, s, p, ep);
              break;
            case '-':  /* 0 or more repetitions (minimum) */
              s = tw_min_expand(ms, s, p, ep);
              break;
            default:  /* no suffix */
              s++; p = ep; goto init;  /* return tw_match(ms, s + 1, ep); */
          }
        }
        break;
      }
    }
  }
  ms->matchdepth++;
  return s;
}



static const char *tw_lmemfind (lua_State *L, const char *s1, size_t l1,
                               const char *s2, size_t l2) {
  unsigned steps = 0;  /* Tickwire: each candidate costs l2/64 + 1 steps */
  if (l2 == 0) return s1;  /* empty strings are everywhere */
  else if (l2 > l1) return NULL;  /* avoids a negative 'l1' */
  else {
    const char *init;  /* to search for a '*s2' inside 's1' */
    l2--;  /* 1st char will be checked by 'memchr' */
    l1 = l1-l2;  /* 's2' cannot be found after that */
    while (l1 > 0 && (init = (const char *)memchr(s1, *s2, l1)) != NULL) {
      tw_budget_step(L, &steps, (unsigned)(l2 >> 6) + 1);  /* Tickwire */
      init++;   /* 1st char is already checked */
      if (memcmp(init, s2+1, l2) == 0)
        return init-1;
      else {  /* correct 'l1' and 's1' to try again */
        l1 -= init-s1;
        s1 = init;
      }
    }
    return NULL;  /* not found */
  }
}

#endif
